#!/usr/bin/env bash
# Installs the local node's runtime from Debian when it is missing: containerd
# (with ctr), runc, the CNI plugins, iptables, conntrack and iproute2 (ip, which
# removes the node's bridge). It needs root on
# Debian; anywhere else it prints one line saying the node is skipped, and
# the demo and the tests run without a node. It never fails the build.
set -uo pipefail
packages=(containerd runc containernetworking-plugins iptables conntrack iproute2)
# One file of each package that the node uses.
declare -A probe=(
  [containerd]=/usr/bin/containerd [runc]=/usr/sbin/runc
  [containernetworking-plugins]=/usr/lib/cni/bridge [iptables]=/usr/sbin/iptables
  [conntrack]=/usr/sbin/conntrack [iproute2]=/usr/sbin/ip
)

missing=()
for p in "${packages[@]}"; do [ -e "${probe[$p]}" ] || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0

skip() { echo "Node skipped: $* (the demo and the tests run without a node)." >&2; exit 0; }
[ "$(id -u)" = 0 ] || skip "installing ${missing[*]} needs root"
grep -qs '^ID=debian' /etc/os-release || skip "installing ${missing[*]} needs Debian's packages"
command -v apt-get >/dev/null || skip "no apt-get to install ${missing[*]}"

echo "Installing the node's runtime from Debian: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get update -qq >/dev/null || ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
  skip "apt-get could not install ${missing[*]}"
fi
exit 0

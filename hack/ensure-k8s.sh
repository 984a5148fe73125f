#!/usr/bin/env bash
# Builds the control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler), the node agent (kubelet) and kubectl into bin/k8s from the
# pinned tools module in hack/k8s, only when missing or of another version.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/bin/k8s"
mod="$root/hack/k8s"
stamp="$out/.version"
want=$(cat "$mod/go.mod" "$mod/go.sum" | sha256sum | cut -c1-16)-$(go env GOVERSION)
bins=(etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl)

up_to_date() {
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] || return 1
  for b in "${bins[@]}"; do [ -x "$out/$b" ] || return 1; done
}

if up_to_date; then exit 0; fi
mkdir -p "$out"
echo "Building the Kubernetes binaries into bin/k8s (about 6 minutes cold on 2 cores)..." >&2
cd "$mod"
kver=$(go list -m -f '{{.Version}}' k8s.io/kubernetes)
vpkg=k8s.io/component-base/version
ldflags="-s -w -X $vpkg.gitVersion=$kver -X $vpkg.gitMajor=1 -X $vpkg.gitMinor=$(echo "$kver" | cut -d. -f2) -X $vpkg.gitTreeState=clean"
# One invocation: the shared packages compile once and the links run in
# parallel. etcd's main package is .../server/v3, so go names it "server".
start=$(date +%s)
tmp=$(mktemp -d "$out/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
go build -ldflags "$ldflags" -o "$tmp/" go.etcd.io/etcd/server/v3 \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kubectl
mv "$tmp/server" "$out/etcd"
for b in "${bins[@]}"; do [ "$b" = etcd ] || mv "$tmp/$b" "$out/$b"; done
echo "$want" > "$stamp"
echo "Built ${bins[*]} in $(( $(date +%s) - start ))s" >&2

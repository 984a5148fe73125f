#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kubectl and etcd into bin/k8s
# from the pinned tools module in hack/k8s, only when missing or of another version.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/bin/k8s"
mod="$root/hack/k8s"
stamp="$out/.version"
want=$(cat "$mod/go.mod" "$mod/go.sum" | sha256sum | cut -c1-16)-$(go env GOVERSION)
bins=(kube-apiserver kube-controller-manager kubectl etcd)

up_to_date() {
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] || return 1
  for b in "${bins[@]}"; do [ -x "$out/$b" ] || return 1; done
}

if up_to_date; then exit 0; fi
mkdir -p "$out"
echo "Building the control-plane binaries into bin/k8s (about 8 minutes cold on 2 cores)..." >&2
cd "$mod"
kver=$(go list -m -f '{{.Version}}' k8s.io/kubernetes)
vpkg=k8s.io/component-base/version
ldflags="-s -w -X $vpkg.gitVersion=$kver -X $vpkg.gitMajor=1 -X $vpkg.gitMinor=$(echo "$kver" | cut -d. -f2) -X $vpkg.gitTreeState=clean"
go build -ldflags "$ldflags" -o "$out/etcd" go.etcd.io/etcd/server/v3
for b in kube-apiserver kube-controller-manager kubectl; do
  go build -ldflags "$ldflags" -o "$out/$b" "k8s.io/kubernetes/cmd/$b"
done
echo "$want" > "$stamp"

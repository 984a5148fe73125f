#!/usr/bin/env bash
# The lightning-operator on a local control plane, with a short walk-through.
# Run it with `make demo`, which builds bin/manager, bin/kubectl-lightning,
# bin/k8s/* and kustomize first. It leaves everything running; `make demo-down`
# stops it. A second run reuses what runs.
#
# Never prints the secret value: it is random, kept in $DEMO_DIR/demo-value
# (mode 0600), and only grepped for, to show it is absent.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/bin"
demo="${DEMO_DIR:-$root/.demo}"
kustomize="${KUSTOMIZE:-$(ls "$bin"/kustomize-* 2>/dev/null | head -1)}"
webhook_port="${DEMO_WEBHOOK_PORT:-9443}"
probe_port="${DEMO_PROBE_PORT:-18081}"
metrics_port="${DEMO_METRICS_PORT:-18443}"
ns="${DEMO_NAMESPACE:-demo}"
manager="${DEMO_MANAGER:-$bin/manager}"
demo_image=lightning.local/demo-app:dev   # built from test/images/demo-app, imported into the node
remote_image="${DEMO_IMAGE:-ghcr.io/lightning-ai/demo-app:0.1}"
operator_ns=lightning-system
operator_sa=lightning-operator-controller-manager
metrics_reader=demo-metrics-reader   # a ServiceAccount bound to config/rbac's metrics-reader ClusterRole
webhook_config=lightning-operator-mutating-webhook-configuration

export PATH="$bin:$bin/k8s:$PATH"
cd "$root"

for b in manager kubectl-lightning k8s/kubectl k8s/kube-apiserver k8s/etcd k8s/kube-controller-manager k8s/kube-scheduler k8s/kubelet; do
  [ -x "$bin/$b" ] || { echo "Missing bin/$b: run 'make demo'." >&2; exit 1; }
done
[ -n "$kustomize" ] && [ -x "$kustomize" ] || { echo "Missing kustomize in bin/: run 'make demo'." >&2; exit 1; }
[ -x "$bin/localcluster" ] || go build -o "$bin/localcluster" ./hack/localcluster

step=0
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
section() { step=$((step + 1)); printf '\n%s== %d. %s%s\n' "$bold" "$step" "$1" "$plain"; }
say() { printf '%s\n' "$*"; }
show() { printf '$ %s\n' "$*"; }                     # a command, for the reader
run() { show "$*"; "$@"; }                            # show it, then run it
exec 3>&2                                             # fail() reaches stderr even from a silenced check
fail() { echo "Error: $*" >&3; echo "Logs: $demo/logs/" >&3; exit 1; }

# wait_until SECONDS DESCRIPTION COMMAND...: poll until COMMAND succeeds.
wait_until() {
  local timeout=$1 what=$2; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || fail "timed out after ${timeout}s waiting for $what"
    sleep 1
  done
}

section "Start a local cluster: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and a node"
say "Secrets are encrypted at rest (EncryptionConfiguration, secretbox). The node is a kubelet"
say "with containerd and runc from Debian; its images were built from Go programs in test/images."
kubeconfig=$(localcluster up --dir "$demo" --bin-dir "$bin/k8s" --node --images "$bin/images")
export KUBECONFIG="$kubeconfig"
run kubectl get --raw /version | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/kube-apiserver \1/p'
if kubectl get node 127.0.0.1 >/dev/null 2>&1; then
  node=1
  run kubectl get nodes -o wide
else
  node=0
  say "No node: pods stay Pending, and the walk-through stops at the pod specs the webhook wrote."
fi

section "Install the CRDs, RBAC and webhook configuration (config/local)"
say "config/local is config/default without the in-cluster Deployment: the webhook is"
say "called by URL, https://127.0.0.1:$webhook_port/mutate--v1-pod, where the operator runs on this host."
show "kustomize build config/local | kubectl apply --server-side -f -"
"$kustomize" build config/local | sed "s#https://127.0.0.1:9443/#https://127.0.0.1:$webhook_port/#" \
  | kubectl apply --server-side --force-conflicts -f - | sed 's/^/  /'
kubectl wait --for=condition=Established --timeout=60s crd/lightningsecrets.lightning.ai crd/lightningapps.lightning.ai >/dev/null

section "Start the operator (bin/manager) as its ServiceAccount"
say "It authenticates with a client certificate for system:serviceaccount:$operator_ns:$operator_sa,"
say "so the RBAC from config/rbac applies as in a cluster. It issues its own webhook CA and"
say "serving certificate (for 127.0.0.1) and patches the caBundle into the webhook configuration."
# A changed manager binary (or localcluster, which sets its flags, or a
# port) replaces the running operator; otherwise it is reused.
manager_sum=$( (cat "$manager" "$bin/localcluster"; echo "$webhook_port $probe_port $metrics_port") | sha256sum | cut -c1-64)
if localcluster running --dir "$demo" --name manager; then
  if [ "$manager_sum" != "$(cat "$demo/manager.sha256" 2>/dev/null)" ]; then
    say "The manager or its flags changed: restarting the operator."
    localcluster stop --dir "$demo" --name manager
  else
    say "Reused the running operator (log: $demo/logs/manager.log)."
  fi
fi
if ! localcluster running --dir "$demo" --name manager; then
  for port in "$webhook_port" "$probe_port" "$metrics_port"; do
    if (: < "/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      fail "port $port on 127.0.0.1 is in use: set DEMO_WEBHOOK_PORT, DEMO_PROBE_PORT or DEMO_METRICS_PORT (see docs/quickstart.md)"
    fi
  done
  localcluster operator --dir "$demo" --manager "$manager" --webhook-port "$webhook_port" --probe-port "$probe_port" --metrics-port "$metrics_port"
  echo "$manager_sum" > "$demo/manager.sha256"
fi
operator_ready() {
  localcluster running --dir "$demo" --name manager || fail "the operator exited; see $demo/logs/manager.log"
  localcluster wait-http --timeout 2s "http://127.0.0.1:$probe_port/readyz"
}
wait_until 180 "the operator's /readyz" operator_ready
ca_bundle() { [ -n "$(kubectl get mutatingwebhookconfiguration "$webhook_config" -o jsonpath='{.webhooks[0].caBundle}{.webhooks[0].clientConfig.caBundle}')" ]; }
wait_until 120 "the webhook caBundle" ca_bundle
wait_until 120 "the operator's public key" kubectl lightning cert
say "The operator is ready; the webhook's caBundle is set."
show "kubectl lightning cert"
cert=$(kubectl lightning cert)
printf '%s\n' "$cert" | sed -n '1,2p'
say "  … ($(printf '%s\n' "$cert" | wc -l) lines: the public key to seal against, also for offline use with --cert)"

section "Seal a secret with the cluster's public key: kubectl lightning secret create"
kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
wait_until 60 "the default ServiceAccount of $ns" kubectl -n "$ns" get serviceaccount default
if [ ! -s "$demo/demo-value" ]; then
  (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=\n' > "$demo/demo-value")
fi
say "The value is random and is never shown (it is in $demo/demo-value, mode 0600)."
show "echo -n '••••••••' | kubectl lightning secret create my-secret -n $ns --apply"
if kubectl -n "$ns" get lightningsecret my-secret >/dev/null 2>&1; then
  say "  (my-secret exists from an earlier run: reused. To change its value, add --overwrite.)"
else
  kubectl lightning secret create my-secret -n "$ns" --apply < "$demo/demo-value" 2>&1 | sed 's/^/  /'
fi
wait_until 60 "LightningSecret my-secret to be Ready" \
  kubectl -n "$ns" wait --for=condition=Ready --timeout=5s lightningsecret/my-secret
run kubectl -n "$ns" get lightningsecrets
say "What is stored (safe to commit to git):"
kubectl -n "$ns" get lightningsecret my-secret -o jsonpath='{.spec.encryptedValue}' \
  | cut -c1-72 | sed 's/^/  spec.encryptedValue: /; s/$/…/'

section "Run an app: kubectl lightning run app"
cat > "$demo/app.py" <<'EOF'
import lightning as L

class Work(L.LightningWork):
    def run(self):
        import os
        print("FOO is", os.environ["FOO"], "and MY_APP_SECRET is set:", "MY_APP_SECRET" in os.environ)

class Flow(L.LightningFlow):
    def __init__(self):
        super().__init__()
        self.work_a = Work(cloud_compute=L.CloudCompute("cpu-small"))

    def run(self):
        self.work_a.run()

app = L.LightningApp(Flow())
EOF
if [ "$node" = 1 ]; then
  say "The image's process stands in for 'python app.py': it prints each secret's sha256, never the value."
  image=$demo_image
  command=(-- /lightning-demo-app --secret MY_APP_SECRET --env FOO --env LIGHTNING_CLOUD_APP_ID --env LIGHTNING_CLOUD_PROJECT_ID)
else
  image=$remote_image
  command=()
fi
run_app=(kubectl lightning run app "$demo/app.py" --cloud --name my-app -n "$ns" --image "$image"
  --work root.work_a=cpu-small --env FOO=bar --secret MY_APP_SECRET=my-secret)
show "${run_app[*]/#$demo\//} ${command[*]}"
"${run_app[@]}" "${command[@]}" | sed 's/^/  /'
show "${run_app[*]/#$demo\//} --apply ${command[*]}"
"${run_app[@]}" --apply "${command[@]}" | sed 's/^/  /'

resolved() { kubectl -n "$ns" wait --for=condition=SecretsResolved --timeout=5s lightningapp/my-app; }
wait_until 120 "SecretsResolved=True on my-app" resolved
components=$(kubectl -n "$ns" get lightningapp my-app -o go-template='{{len .spec.works}}')
components=$((components + 1))
deployments() { [ "$(kubectl -n "$ns" get deployments -l lightning.ai/app=my-app -o name | wc -l)" -ge "$components" ]; }
wait_until 120 "the app's Deployments" deployments
pods() { [ "$(kubectl -n "$ns" get pods -l lightning.ai/app=my-app -o name | wc -l)" -ge "$components" ]; }
wait_until 180 "the app's pods" pods
if [ "$node" = 1 ]; then
  say "Waiting until the app is Current as kstatus (Flux) reads it: Ready=True for this generation."
  show "localcluster kstatus -n $ns lightningapp/my-app"
  localcluster kstatus --timeout 180s -n "$ns" lightningapp/my-app | sed 's/^/  /' || fail "my-app did not become Ready"
fi
run kubectl -n "$ns" get lightningapp my-app
run kubectl -n "$ns" get deployments -l lightning.ai/app=my-app
kubectl -n "$ns" get lightningapp my-app -o go-template='{{range .status.conditions}}  {{.type}}={{.status}} ({{.reason}}): {{.message}}
{{end}}'
if [ "$node" = 0 ]; then
  say "SecretsResolved is True. Ready stays False here: no node runs, so pods stay Pending."
fi

section "The Flow and Work pods, as the webhook wrote them"
run kubectl -n "$ns" get pods -l lightning.ai/app=my-app -L lightning.ai/component
say "Their injected env (a secretKeyRef, never the value):"
kubectl -n "$ns" get pods -l lightning.ai/app=my-app -o go-template='{{range .items}}  pod {{.metadata.name}}:
{{range .spec.containers}}{{range .env}}    {{.name}}{{if .valueFrom}}{{with .valueFrom.secretKeyRef}} <- secretKeyRef {name: {{.name}}, key: {{.key}}}{{end}}{{else}}={{.value}}{{end}}
{{end}}{{end}}{{end}}'
secret=$(kubectl -n "$ns" get lightningapp my-app -o jsonpath='{.status.secretName}')
[ -n "$secret" ] || fail "my-app has no status.secretName"
say "The materialized Secret (immutable, owned by the app): $secret"
run kubectl -n "$ns" get secret "$secret"

# check_processes VALUE_FILE: each component's log must show the sha256 of the value.
check_processes() {
  local want got component deployment
  want=$(sha256sum < "$1" | cut -c1-64)
  for deployment in $(kubectl -n "$ns" get deployments -l lightning.ai/app=my-app -o name); do
    component=$(kubectl -n "$ns" get "$deployment" -o jsonpath='{.metadata.annotations.lightning\.ai/component-path}')
    got=
    for _ in $(seq 30); do   # the process prints at start; give its log a moment
      got=$(kubectl -n "$ns" logs "$deployment" 2>/dev/null | sed -n 's/^secret MY_APP_SECRET sha256=//p' | tail -1)
      [ -n "$got" ] && break
      sleep 1
    done
    show "kubectl -n $ns logs $deployment"
    kubectl -n "$ns" logs "$deployment" | sed 's/^/  /'
    [ "$got" = "$want" ] || fail "$component printed sha256 ${got:-nothing}, not that of the sealed value"
    say "  => $component: the sha256 its process printed matches the sealed value's."
  done
}

if [ "$node" = 1 ]; then
  section "The processes read the secret: each prints its sha256, never the value"
  run kubectl -n "$ns" get pods -l lightning.ai/app=my-app -o wide
  check_processes "$demo/demo-value"
fi

section "Proof, read from etcd directly: the Secret is encrypted at rest"
show "localcluster etcd-check --namespace $ns --secret $secret   # reads $(printf '/registry/secrets/%s/%s' "$ns" "$secret")"
localcluster etcd-check --dir "$demo" --namespace "$ns" --secret "$secret" < "$demo/demo-value" | sed 's/^/  /'
found=$(kubectl -n "$ns" get pods,deployments,replicasets,lightningapps,lightningsecrets,events -o yaml | grep -cF -f "$demo/demo-value" || true)
say "The value appears in the namespace's pods, Deployments, ReplicaSets, apps, LightningSecrets and Events: $found times."
[ "$found" = 0 ] || fail "the secret value leaked into an object"

if [ "$node" = 1 ]; then
  section "Change the value: new pods run with the new value, and the old Secret goes"
  old_pods=$(kubectl -n "$ns" get pods -l lightning.ai/app=my-app -o name | sort)
  (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=\n' > "$demo/demo-value.new")
  show "echo -n '••••••••' | kubectl lightning secret create my-secret -n $ns --overwrite --apply"
  kubectl lightning secret create my-secret -n "$ns" --overwrite --apply < "$demo/demo-value.new" 2>&1 | sed 's/^/  /'
  mv "$demo/demo-value.new" "$demo/demo-value"
  new_secret_named() { [ "$(kubectl -n "$ns" get lightningapp my-app -o jsonpath='{.status.secretName}')" != "$secret" ]; }
  wait_until 120 "a new Secret for my-app" new_secret_named
  new_secret=$(kubectl -n "$ns" get lightningapp my-app -o jsonpath='{.status.secretName}')
  say "The app now uses Secret $new_secret."
  localcluster kstatus --timeout 180s -n "$ns" lightningapp/my-app | sed 's/^/  /' || fail "my-app did not become Ready again"
  old_pods_gone() {
    local p
    for p in $old_pods; do kubectl -n "$ns" get "$p" >/dev/null 2>&1 && return 1; done
    return 0
  }
  wait_until 120 "the old pods to terminate" old_pods_gone
  old_secret_gone() { ! kubectl -n "$ns" get secret "$secret" >/dev/null 2>&1; }
  wait_until 120 "the old Secret $secret to be deleted" old_secret_gone
  run kubectl -n "$ns" get pods -l lightning.ai/app=my-app -o wide
  say "The old pods are gone ($(echo $old_pods | wc -w) terminated), and so is the old Secret $secret:"
  show "kubectl -n $ns get secret $secret"
  kubectl -n "$ns" get secret "$secret" 2>&1 | sed 's/^/  /' || true
  check_processes "$demo/demo-value"
fi

# The metrics answer only a token allowed to get /metrics, as in a cluster:
# one of a ServiceAccount bound to the metrics-reader ClusterRole.
kubectl -n "$operator_ns" create serviceaccount "$metrics_reader" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl create clusterrolebinding "$metrics_reader" --clusterrole=lightning-operator-metrics-reader \
  --serviceaccount="$operator_ns:$metrics_reader" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
metrics_curl="curl -sk -H \"Authorization: Bearer \$(kubectl -n $operator_ns create token $metrics_reader)\" https://127.0.0.1:$metrics_port/metrics"
if command -v curl >/dev/null; then
  # The line printed below works: the app's gauges are there, read with its token.
  # (grep reads to the end: with -q, curl could die of SIGPIPE and pipefail fail the check.)
  app_gauges() {
    curl -sfk -H "Authorization: Bearer $(kubectl -n "$operator_ns" create token "$metrics_reader")" \
      "https://127.0.0.1:$metrics_port/metrics" | grep "^lightning_app_status_condition{.*name=\"my-app\",namespace=\"$ns\""
  }
  wait_until 60 "my-app's gauges on https://127.0.0.1:$metrics_port/metrics" app_gauges
fi

section "Done: the cluster and the operator keep running"
say "  export KUBECONFIG=$KUBECONFIG"
say "  kubectl lightning secret list -n $ns"
say "  metrics: $metrics_curl | grep ^lightning_"
say "  operator log: $demo/logs/manager.log"
say "  stop everything: make demo-down"

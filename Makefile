# lightning-operator
#
#   make test    every test: generated-code check, vet, unit, envtest and e2e suites
#   make demo    the operator on a local control plane, with a walk-through
#
# Every tool is built into bin/ from the Go module proxy at a pinned version.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

ROOT        := $(CURDIR)
BIN         := $(ROOT)/bin
K8S_BIN     := $(BIN)/k8s
export KUBEBUILDER_ASSETS := $(K8S_BIN)
export PATH := $(BIN):$(PATH)

CONTROLLER_TOOLS_VERSION ?= v0.23.0
KUSTOMIZE_VERSION        ?= v5.7.1
CONTROLLER_GEN := $(BIN)/controller-gen-$(CONTROLLER_TOOLS_VERSION)
KUSTOMIZE      := $(BIN)/kustomize-$(KUSTOMIZE_VERSION)

# krew's validate-krew-manifest (what krew-index runs) and krew itself as the
# kubectl-krew plugin it installs with, for hack/release's test; built from
# krew's own module, never added to our go.mod. The test builds the same
# into the same folder when they are missing.
KREW_VERSION ?= v0.4.3
KREW_TOOLS   := $(BIN)/krew-$(KREW_VERSION)

# The Ginkgo CLI runs the e2e suite on parallel processes; the same version
# as go.mod's Ginkgo, built from its module.
GINKGO_VERSION ?= v2.34.0
GINKGO         := $(BIN)/ginkgo-$(GINKGO_VERSION)

# Bitnami Sealed Secrets, only for the scale harness's side-by-side phase; it
# is built from its own module, never added to our go.mod.
SEALED_SECRETS_VERSION ?= v0.36.6
SEALED_SECRETS_MODULE  := github.com/bitnami-labs/sealed-secrets
SEALED_SECRETS         := $(BIN)/sealed-secrets-$(SEALED_SECRETS_VERSION)

GO_TEST_FLAGS ?= -count=1
TEST_TIMEOUT  ?= 45m

.PHONY: all
all: build

##@ Generate

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate the CRDs, RBAC and webhook configuration, and the chart's copies of them.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd webhook paths="./..." \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac output:webhook:artifacts:config=config/webhook
	hack/chart-manifests.sh

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate deepcopy code.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: verify-generated
verify-generated: manifests generate ## Fail when committed generated code is stale.
	@if [ -n "$$(git status --porcelain -- api config dist/chart)" ]; then \
		echo "Generated code is stale; run 'make manifests generate' and commit:"; \
		git status --porcelain -- api config dist/chart; git --no-pager diff --stat -- api config dist/chart; exit 1; \
	fi

##@ Build

.PHONY: build
build: ## Build the manager and the CLI into bin/.
	go build -o $(BIN)/manager .
	go build -o $(BIN)/kubectl-lightning ./cmd/kubectl-lightning

.PHONY: envtest-binaries
envtest-binaries: ## Build etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet and kubectl into bin/k8s.
	hack/ensure-k8s.sh

.PHONY: node-runtime
node-runtime: ## Install the node's runtime from Debian when root (containerd, runc, CNI plugins); else say the node is skipped.
	hack/ensure-node.sh

.PHONY: node-images
node-images: ## Build the node's images (pause, demo-app) as OCI tarballs into bin/images.
	go build -o $(BIN)/localcluster ./hack/localcluster
	$(BIN)/localcluster images --out $(BIN)/images

##@ Test

# make test runs no separate vet: go test -vet=all (and the e2e suite's
# compile) run every analyzer go vet runs, on every package, packages
# without tests too, from the same compile.
.PHONY: vet
vet: ## Run go vet on every package (make test runs the same analyzers through go test -vet=all).
	go vet ./...

# The e2e suite mostly waits on pods and the apiserver: Ginkgo runs it on
# E2E_PROCS processes, which share a cluster, node and operator (the
# containers that stop or replace the operator get their own; see
# test/e2e), while go test runs the other packages. Its test binary is
# compiled first, so the two never compile the same packages at once.
E2E_PROCS ?= 3
E2E_FLAGS ?=
E2E_LOG   := $(BIN)/e2e.log

.PHONY: test
test: verify-generated envtest-binaries node-runtime krew-tools softhsm $(GINKGO) ## Run every test: the e2e suite (Ginkgo, in parallel) beside go test of the other packages.
	go vet -C test/kmsplugin ./...
	go test -c -vet=all -o $(BIN)/e2e.test ./test/e2e
	@color=$$([ -t 1 ] || echo --no-color); \
	echo "test/e2e runs meanwhile ($(notdir $(GINKGO)) --procs=$(E2E_PROCS)); its output follows the other packages', and is written to $(E2E_LOG) as it goes"; \
	$(GINKGO) run --procs=$(E2E_PROCS) --timeout=$(TEST_TIMEOUT) $$color $(E2E_FLAGS) $(BIN)/e2e.test > $(E2E_LOG) 2>&1 & e2e=$$!; \
	pkgs=$$(go list ./... | grep -v '/test/e2e$$') || { kill $$e2e; exit 1; }; \
	rc=0; go test $(GO_TEST_FLAGS) -vet=all -timeout $(TEST_TIMEOUT) $$pkgs || rc=$$?; \
	e2e_rc=0; wait $$e2e || e2e_rc=$$?; \
	echo "=== test/e2e"; cat $(E2E_LOG); \
	if [ $$rc -ne 0 ] || [ $$e2e_rc -ne 0 ]; then \
		echo "make test: FAIL ($$([ $$rc -eq 0 ] || echo 'go test, ')$$([ $$e2e_rc -eq 0 ] || echo 'test/e2e, ')see above)"; exit 1; fi

FUZZ_TIME ?= 60s

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZ_TIME each (not part of make test); a failing input lands in testdata/fuzz.
	@grep -rl --include='*_test.go' '^func Fuzz' . | grep -v '^./bin/' | while read -r f; do \
		for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$$f"); do \
			echo "== $$t ($$(dirname "$$f"))"; \
			go test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZ_TIME) "./$$(dirname "$${f#./}")" || exit 1; \
		done; \
	done

.PHONY: bench
bench: envtest-binaries ## Run the benchmarks.
	go test -run '^$$' -bench . -benchmem ./...

##@ Tools

$(CONTROLLER_GEN):
	@mkdir -p $(BIN)
	GOBIN=$(BIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)
	mv $(BIN)/controller-gen $@

$(KUSTOMIZE):
	@mkdir -p $(BIN)
	GOBIN=$(BIN) go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)
	mv $(BIN)/kustomize $@

$(GINKGO):
	@mkdir -p $(BIN)
	GOBIN=$(BIN) go install github.com/onsi/ginkgo/v2/ginkgo@$(GINKGO_VERSION)
	mv $(BIN)/ginkgo $@

.PHONY: krew-tools
krew-tools: $(KREW_TOOLS)/kubectl-krew ## Build krew's validate-krew-manifest and kubectl-krew into bin/krew-<version>.

$(KREW_TOOLS)/kubectl-krew:
	@mkdir -p $(KREW_TOOLS)
	GOBIN=$(KREW_TOOLS) go install sigs.k8s.io/krew/cmd/validate-krew-manifest@$(KREW_VERSION) sigs.k8s.io/krew/cmd/krew@$(KREW_VERSION)
	mv $(KREW_TOOLS)/krew $@

.PHONY: tools
tools: $(CONTROLLER_GEN) $(KUSTOMIZE) $(GINKGO) envtest-binaries krew-tools

.PHONY: sealed-secrets
sealed-secrets: $(SEALED_SECRETS)/sealedsecrets-crd.yaml ## Build Sealed Secrets' controller and kubeseal and copy its CRD into bin/sealed-secrets-<version>, for the harness's side-by-side phase.

# go install mod@version builds in its own module, outside ours; the CRD is
# the Helm chart's, as `helm install` applies it. It is written last.
$(SEALED_SECRETS)/sealedsecrets-crd.yaml:
	@mkdir -p $(SEALED_SECRETS)
	GOBIN=$(SEALED_SECRETS) go install $(SEALED_SECRETS_MODULE)/cmd/controller@$(SEALED_SECRETS_VERSION) $(SEALED_SECRETS_MODULE)/cmd/kubeseal@$(SEALED_SECRETS_VERSION)
	install -m 644 "$$(go env GOMODCACHE)/$(SEALED_SECRETS_MODULE)@$(SEALED_SECRETS_VERSION)/helm/sealed-secrets/crds/bitnami.com_sealedsecrets.yaml" $(SEALED_SECRETS)/sealedsecrets-crd.yaml

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*?##/ { printf "  %-18s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

.PHONY: bench-scale
bench-scale: envtest-binaries sealed-secrets ## Scale harness: both shapes at N=500 and N=2000, ours vs the floor of the same writes and vs Sealed Secrets (LIGHTNING_SCALE_SIZES, LIGHTNING_SCALE_SHAPES, LIGHTNING_SCALE_BEST_FLAGS).
	LIGHTNING_SCALE_SIZES=$${LIGHTNING_SCALE_SIZES:-500,2000} LIGHTNING_SCALE_UNRELATED=$${LIGHTNING_SCALE_UNRELATED:-10000} \
		go test -count=1 -timeout 90m -run 'TestScale$$' -v ./test/bench/ 2>&1 | grep -E 'RESULT|^(ok|FAIL|---)|_test.go:[0-9]+:'

.PHONY: bench-sealed-secrets
bench-sealed-secrets: envtest-binaries sealed-secrets ## Sealed Secrets' controller alone: N SealedSecrets to N Secrets on a fresh apiserver (LIGHTNING_SCALE_SEALED_SECRETS_N, default 2000; needs root).
	LIGHTNING_SCALE_SEALED_SECRETS_N=$${LIGHTNING_SCALE_SEALED_SECRETS_N:-2000} \
		go test -count=1 -timeout 30m -run TestSealedSecretsSideBySide -v ./test/bench/ 2>&1 | grep -E 'RESULT|skipped|^(ok|FAIL|---)|_test.go:[0-9]+:'

.PHONY: bench-scale-node
bench-scale-node: envtest-binaries node-runtime ## Scale run on the node: N/4 apps to Ready through the real deployment controller and kubelet (LIGHTNING_SCALE_NODE_N, default 40).
	LIGHTNING_SCALE_NODE_N=$${LIGHTNING_SCALE_NODE_N:-40} \
		go test -count=1 -timeout 30m -run TestScaleOnNode -v ./test/bench/ 2>&1 | grep -E 'RESULT|skipped|^(ok|FAIL|---)'

##@ Demo, end-to-end tests and install bundle

IMG      ?= ghcr.io/lightning-operator/lightning-operator:v0.1.0
TLS      ?= self
MODE     ?= cluster
SERVICE_MONITOR ?= false
comma    := ,
DEMO_DIR ?= $(ROOT)/.demo

.PHONY: demo
demo: build envtest-binaries node-runtime node-images $(KUSTOMIZE) ## Run the operator on a local cluster with a node (left running) and walk through it.
	KUSTOMIZE=$(KUSTOMIZE) DEMO_DIR=$(DEMO_DIR) hack/demo.sh

.PHONY: demo-down
demo-down: ## Stop the demo's operator, node and control plane, and remove what the node left on the machine; the data stays in .demo/.
	@if [ ! -d $(DEMO_DIR) ]; then echo "No demo in $(DEMO_DIR)"; exit 0; fi
	go build -o $(BIN)/localcluster ./hack/localcluster
	$(BIN)/localcluster down --dir $(DEMO_DIR)

.PHONY: e2e
e2e: envtest-binaries node-runtime $(GINKGO) ## Run only the end-to-end suite (part of 'make test'), verbose, on E2E_PROCS Ginkgo processes; E2E_FLAGS adds Ginkgo flags (--json-report=FILE, --focus=...).
	$(GINKGO) run --procs=$(E2E_PROCS) --timeout=$(TEST_TIMEOUT) -v $(E2E_FLAGS) ./test/e2e

.PHONY: image
image: ## Build the manager's image without Docker, as an OCI image-layout tarball: bin/images/manager.tar, named IMG.
	go run ./hack/image --name $(IMG) --out $(BIN)/images/manager.tar

.PHONY: build-installer
build-installer: $(KUSTOMIZE) ## Write dist/install.yaml with the image IMG: config/default, config/certmanager with TLS=cert-manager, or config/namespaced with MODE=namespaced; SERVICE_MONITOR=true adds config/prometheus.
	@case "$(TLS)" in self|cert-manager) ;; *) echo "TLS is self or cert-manager, not '$(TLS)'"; exit 1;; esac; \
	case "$(MODE)/$(TLS)" in cluster/self) base=default;; cluster/cert-manager) base=certmanager;; namespaced/self) base=namespaced;; \
		namespaced/*) echo "MODE=namespaced builds on config/default: TLS=cert-manager is not offered with it"; exit 1;; \
		*) echo "MODE is cluster or namespaced, not '$(MODE)'"; exit 1;; esac; \
	rm -rf $(ROOT)/dist/.installer && mkdir -p $(ROOT)/dist/.installer; \
	printf 'resources:\n- ../../config/%s\n' $$base > $(ROOT)/dist/.installer/kustomization.yaml
	@if [ "$(SERVICE_MONITOR)" = true ]; then \
		printf 'components:\n- ../../config/prometheus\n' >> $(ROOT)/dist/.installer/kustomization.yaml; fi
	@cd $(ROOT)/dist/.installer && $(KUSTOMIZE) edit set image controller=$(IMG)
	$(KUSTOMIZE) build $(ROOT)/dist/.installer > $(ROOT)/dist/install.yaml
	@rm -rf $(ROOT)/dist/.installer
	@echo "Wrote dist/install.yaml (MODE $(MODE), TLS $(TLS), image $(IMG)$(if $(filter true,$(SERVICE_MONITOR)),$(comma) ServiceMonitor))"

##@ Release

.PHONY: release
release: ## Build the CLI's archives for linux and darwin (amd64, arm64), checksums.txt and the krew manifest into dist/release: make release VERSION=v0.x.y
	SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct 2>/dev/null || echo 0) go run ./hack/release -version "$(VERSION)" \
		-commit "$$(git rev-parse HEAD 2>/dev/null)$$(test -z "$$(git status --porcelain 2>/dev/null)" || echo -dirty)" \
		-out $(ROOT)/dist/release

##@ KMS (the SoftHSM test plugin)

.PHONY: softhsm
softhsm: ## Install Debian's softhsm2 for the KMS plugin's tests when root and missing; else say those tests skip.
	@command -v softhsm2-util >/dev/null && exit 0; \
	skip() { echo "SoftHSM skipped: $$* (the KMS plugin's SoftHSM tests skip)." >&2; exit 0; }; \
	[ "$$(id -u)" = 0 ] || skip "installing softhsm2 needs root"; \
	grep -qs '^ID=debian' /etc/os-release || skip "installing softhsm2 needs Debian's packages"; \
	command -v apt-get >/dev/null || skip "no apt-get to install softhsm2"; \
	echo "Installing softhsm2 from Debian" >&2; \
	export DEBIAN_FRONTEND=noninteractive; \
	{ apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends softhsm2 >/dev/null; } \
		|| skip "apt-get could not install softhsm2"

.PHONY: kms-plugin
kms-plugin: ## Build the KMS v2 test plugin over PKCS#11 (SoftHSM; cgo, its own module test/kmsplugin) into bin/kmsplugin.
	CGO_ENABLED=1 go build -C test/kmsplugin -o $(BIN)/kmsplugin .

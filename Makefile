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

GO_TEST_FLAGS ?= -count=1
TEST_TIMEOUT  ?= 45m

.PHONY: all
all: build

##@ Generate

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate the CRDs, RBAC and webhook configuration.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd webhook paths="./..." \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac output:webhook:artifacts:config=config/webhook

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate deepcopy code.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: verify-generated
verify-generated: manifests generate ## Fail when committed generated code is stale.
	@if [ -n "$$(git status --porcelain -- api config)" ]; then \
		echo "Generated code is stale; run 'make manifests generate' and commit:"; \
		git status --porcelain -- api config; git --no-pager diff --stat -- api config; exit 1; \
	fi

##@ Build

.PHONY: build
build: ## Build the manager and the CLI into bin/.
	go build -o $(BIN)/manager .
	go build -o $(BIN)/kubectl-lightning ./cmd/kubectl-lightning

.PHONY: envtest-binaries
envtest-binaries: ## Build kube-apiserver, etcd, kube-controller-manager and kubectl into bin/k8s.
	hack/ensure-k8s.sh

##@ Test

.PHONY: vet
vet:
	go vet ./...

.PHONY: test
test: verify-generated vet envtest-binaries ## Run every test.
	go test $(GO_TEST_FLAGS) -timeout $(TEST_TIMEOUT) ./...

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

.PHONY: tools
tools: $(CONTROLLER_GEN) $(KUSTOMIZE) envtest-binaries

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*?##/ { printf "  %-18s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

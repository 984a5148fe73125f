// Package testenv starts the real control plane (kube-apiserver and etcd from
// bin/k8s) for the project's envtest suites, with the CRDs installed.
package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// RepoRoot is the project's top folder, found from this file's location so
// suites run from any package directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// AssetsDir is where the control-plane binaries are: KUBEBUILDER_ASSETS, or bin/k8s.
func AssetsDir() string {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir
	}
	return filepath.Join(RepoRoot(), "bin", "k8s")
}

// Options select what the environment installs besides the CRDs.
type Options struct {
	// WithWebhooks installs config/webhook, pointed at a local webhook server.
	WithWebhooks bool
}

// New returns an environment that installs the project's CRDs (and webhook
// configuration) into a real kube-apiserver. Start it with Start().
func New(opts Options) (*envtest.Environment, error) {
	assets := AssetsDir()
	if _, err := os.Stat(filepath.Join(assets, "kube-apiserver")); err != nil {
		return nil, fmt.Errorf("no kube-apiserver in %s: run 'make envtest-binaries' (or 'make test')", assets)
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{filepath.Join(RepoRoot(), "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	if opts.WithWebhooks {
		env.WebhookInstallOptions = envtest.WebhookInstallOptions{
			Paths: []string{filepath.Join(RepoRoot(), "config", "webhook", "manifests.yaml")},
		}
	}
	return env, nil
}

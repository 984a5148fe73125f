/*
Copyright 2026 The lightning-operator Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Package testenv starts the real control plane (kube-apiserver and etcd from
// bin/k8s) for the project's envtest suites, with the CRDs installed, and on
// request the real garbage collector.
package testenv

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"k8s.io/client-go/rest"
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

// Start starts an environment with the CRDs for one test, stopped when it
// ends, and returns its admin config.
func Start(t testing.TB) *rest.Config {
	t.Helper()
	env, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	return cfg
}

// AdminKubeconfig writes a kubeconfig of a system:masters user named user
// into dir and returns its path.
func AdminKubeconfig(env *envtest.Environment, user, dir string) (string, error) {
	u, err := env.AddUser(envtest.User{Name: user, Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return "", err
	}
	data, err := u.KubeConfig()
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, user+".kubeconfig")
	return path, os.WriteFile(path, data, 0o600)
}

// StartGarbageCollector runs kube-controller-manager from the assets with
// only its garbage collector, against env: envtest runs none, so without it
// owner references are never followed. Its output goes to logs; stop ends it.
func StartGarbageCollector(env *envtest.Environment, dir string, logs io.Writer) (stop func(), err error) {
	bin := filepath.Join(AssetsDir(), "kube-controller-manager")
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("no kube-controller-manager in %s: run 'make envtest-binaries'", AssetsDir())
	}
	kubeconfig, err := AdminKubeconfig(env, "garbage-collector", dir)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--kubeconfig="+kubeconfig, "--controllers=garbagecollector",
		"--leader-elect=false", "--secure-port=0", "--use-service-account-credentials=false")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}, nil
}

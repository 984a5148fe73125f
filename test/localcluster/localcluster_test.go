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

package localcluster

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func binDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "..", "bin", "k8s")
	}
	for _, b := range []string{Etcd, APIServer, "kubectl"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			t.Skipf("no %s in %s: run 'make envtest-binaries'", b, dir)
		}
	}
	return dir
}

func kubectl(t *testing.T, dir, kubeconfig string, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(dir, "kubectl"), args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestStartEncryptReuseRestart starts etcd and the apiserver, proves a
// Secret is encrypted in etcd, that a second Start reuses the running
// processes, and that a Start after Stop keeps the data.
func TestStartEncryptReuseRestart(t *testing.T) {
	bins := binDir(t)
	ctx := context.Background()
	dir := t.TempDir()
	opts := Options{BinDir: bins, WithoutControllerManager: true, Timeout: 5 * time.Minute}

	c, err := Start(ctx, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop() })
	const value = "canary-3b1f0c9e"
	kubectl(t, bins, c.Kubeconfig, "create", "secret", "generic", "s", "--from-literal=k="+value)

	r, err := c.InspectAtRest(ctx, SecretKey("default", "s"), []byte(value))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Encrypted || r.Prefix != "k8s:enc:secretbox:v1:key1:" || r.Contains {
		t.Fatalf("at rest: %+v", r)
	}

	again, err := Start(ctx, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Reused || again.APIServerURL != c.APIServerURL {
		t.Fatalf("second Start did not reuse the cluster: reused=%v url=%s, want %s", again.Reused, again.APIServerURL, c.APIServerURL)
	}

	// A client certificate for another user: authenticated, but RBAC gives it nothing.
	userKubeconfig := filepath.Join(dir, "user.kubeconfig")
	if err := c.WriteKubeconfig(userKubeconfig, "alice", []string{"devs"}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(bins, "kubectl"), "auth", "can-i", "get", "secrets")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+userKubeconfig)
	if out, _ := cmd.CombinedOutput(); strings.TrimSpace(string(out)) != "no" {
		t.Fatalf("kubectl auth can-i get secrets as alice: %q, want no", out)
	}

	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if c.Running(APIServer) || c.Running(Etcd) {
		t.Fatal("processes still run after Stop")
	}
	c, err = Start(ctx, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if c.Reused {
		t.Fatal("Start after Stop claims to reuse")
	}
	if got := kubectl(t, bins, c.Kubeconfig, "get", "secret", "s", "-o", "jsonpath={.metadata.name}"); got != "s" {
		t.Fatalf("the Secret did not survive a restart: %q", got)
	}
}

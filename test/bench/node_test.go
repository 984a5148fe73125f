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

package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/lightning-operator/lightning-operator/internal/testenv"
	"github.com/lightning-operator/lightning-operator/test/images"
	"github.com/lightning-operator/lightning-operator/test/localcluster"
)

// newNodeHarness starts the local cluster with a node, installs
// config/local (CRDs, RBAC, the webhook by URL) and prepares the manager to
// run as its ServiceAccount with the webhook, as `make demo` does.
func newNodeHarness(t *testing.T) *harness {
	if err := localcluster.NodeSupport(); err != nil {
		t.Skipf("node skipped: %v", err)
	}
	bins := testenv.AssetsDir()
	for _, b := range []string{localcluster.Kubelet, localcluster.Scheduler, "kubectl"} {
		if _, err := os.Stat(filepath.Join(bins, b)); err != nil {
			t.Skipf("no %s in %s: run 'make envtest-binaries'", b, bins)
		}
	}
	ctx := context.Background()
	dir := t.TempDir()
	root := testenv.RepoRoot()

	manager := filepath.Join(dir, "manager")
	var tarballs []string
	var buildErr, imagesErr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		build := exec.Command("go", "build", "-o", manager, ".")
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building the manager: %v\n%s", err, out)
		}
	}()
	go func() {
		defer wg.Done()
		tarballs, imagesErr = images.Build(ctx, root, filepath.Join(dir, "images"))
	}()
	wg.Wait()
	if buildErr != nil || imagesErr != nil {
		t.Fatal(buildErr, imagesErr)
	}

	c, err := localcluster.Start(ctx, filepath.Join(dir, "cluster"), localcluster.Options{
		BinDir: bins, Node: true, Images: tarballs, Timeout: 5 * time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
		if left := localcluster.NodeLeftovers(c.Dir); len(left) > 0 {
			t.Errorf("the stopped node left: %s", strings.Join(left, "; "))
		}
	})

	webhookPort, err := localcluster.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	probePort, err := localcluster.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	kubectl := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(filepath.Join(bins, "kubectl"), args...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+c.Kubeconfig, "NO_PROXY=127.0.0.1")
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	manifests := strings.ReplaceAll(kubectl("", "kustomize", filepath.Join(root, "config", "local")),
		"https://127.0.0.1:9443/", fmt.Sprintf("https://127.0.0.1:%d/", webhookPort))
	kubectl(manifests, "apply", "--server-side", "-f", "-")
	kubectl("", "wait", "--for=condition=Established", "--timeout=60s",
		"crd/lightningsecrets.lightning.ai", "crd/lightningapps.lightning.ai")

	op := localcluster.Operator{
		Kubeconfig:  filepath.Join(dir, "operator.kubeconfig"),
		WebhookPort: webhookPort,
		ProbePort:   probePort,
		CertDir:     filepath.Join(dir, "webhook-certs"),
		PresetsFile: filepath.Join(dir, "compute-presets.yaml"),
	}
	if err := c.WriteOperatorKubeconfig(op.Kubeconfig); err != nil {
		t.Fatal(err)
	}
	if err := localcluster.WriteLocalPresets(op.PresetsFile); err != nil {
		t.Fatal(err)
	}

	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cl := newClient(t, cfg)
	for _, ns := range namespaces() {
		if err := cl.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
	}
	return &harness{
		t: t, c: cl, cfg: cfg, kube: kubernetes.NewForConfigOrDie(cfg), kubeconfig: op.Kubeconfig, manager: manager, managerArgs: op.Args(),
		image: images.DemoApp,
		command: func(secrets []string) []string {
			cmd := []string{images.DemoAppCommand}
			for _, s := range secrets {
				cmd = append(cmd, "--secret", s)
			}
			return cmd
		},
	}
}

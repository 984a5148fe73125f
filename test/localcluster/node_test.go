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

package localcluster_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lightning-operator/lightning-operator/test/images"
	"github.com/lightning-operator/lightning-operator/test/localcluster"
)

// machineFacts is what a node may change on the machine and must put back.
func machineFacts() map[string]string {
	facts := map[string]string{}
	for _, key := range []string{"vm/overcommit_memory", "vm/panic_on_oom", "kernel/panic", "kernel/panic_on_oops",
		"kernel/keys/root_maxkeys", "kernel/keys/root_maxbytes", "net/ipv4/ip_forward"} {
		v, _ := os.ReadFile(filepath.Join("/proc/sys", key))
		facts["sysctl "+key] = strings.TrimSpace(string(v))
	}
	for _, cmd := range []string{"iptables", "ip6tables"} {
		for _, table := range []string{"filter", "nat", "mangle"} {
			out, _ := exec.Command(cmd, "-w", "-t", table, "-S").Output()
			var rules []string
			for _, line := range strings.Split(string(out), "\n") {
				if strings.Contains(line, "KUBE-") || strings.Contains(line, "LIGHTNING-") {
					rules = append(rules, line)
				}
			}
			facts[cmd+" "+table] = strings.Join(rules, "; ")
		}
	}
	for _, p := range []string{"/var/log/containers", "/var/lib/kubelet", "/var/lib/cni", "/run/containerd", "/run/mount", "/run/netns", "/run/lightning-localcluster"} {
		_, err := os.Stat(p)
		facts["exists "+p] = map[bool]string{true: "yes", false: "no"}[err == nil]
	}
	return facts
}

// TestNodeRunsAPodAndLeavesNothing starts the control plane with a node,
// runs the demo image with a secret in its env and reads the sha256 it
// logs, then stops everything and checks the machine is as it was.
func TestNodeRunsAPodAndLeavesNothing(t *testing.T) {
	if err := localcluster.NodeSupport(); err != nil {
		t.Skipf("node skipped: %v", err)
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	bins := filepath.Join(root, "bin", "k8s")
	if d := os.Getenv("KUBEBUILDER_ASSETS"); d != "" {
		bins = d
	}
	for _, b := range []string{localcluster.Kubelet, localcluster.Scheduler, "kubectl"} {
		if _, err := os.Stat(filepath.Join(bins, b)); err != nil {
			t.Skipf("no %s in %s: run 'make envtest-binaries'", b, bins)
		}
	}
	ctx := context.Background()
	// Other nodes (the e2e suite's) may run meanwhile: the machine-wide
	// state is restored by the last node, so compare it only when alone.
	alone := localcluster.NodesRunning() == 0
	before := machineFacts()
	dir := t.TempDir()
	tarballs, err := images.Build(ctx, root, filepath.Join(dir, "images"))
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	c, err := localcluster.Start(ctx, filepath.Join(dir, "cluster"), localcluster.Options{
		BinDir: bins, Node: true, Images: tarballs, Timeout: 5 * time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = c.Stop()
		}
	})
	if !c.HasNode {
		t.Fatalf("no node: %s", c.NodeSkipped)
	}
	t.Logf("control plane and node Ready after %s", time.Since(start).Round(100*time.Millisecond))

	kubectl := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(filepath.Join(bins, "kubectl"), args...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+c.Kubeconfig)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	const value = "node-canary-5e1d"
	kubectl("", "create", "secret", "generic", "s", "--from-literal=TOKEN="+value)
	kubectl(`apiVersion: v1
kind: Pod
metadata: {name: demo}
spec:
  containers:
  - name: demo
    image: `+images.DemoApp+`
    imagePullPolicy: Never
    command: ["`+images.DemoAppCommand+`", "--secret", "TOKEN", "--env", "FOO"]
    env:
    - {name: FOO, value: bar}
    - name: TOKEN
      valueFrom: {secretKeyRef: {name: s, key: TOKEN}}
`, "apply", "-f", "-")
	kubectl("", "wait", "--for=condition=Ready", "--timeout=120s", "pod/demo")
	logs := kubectl("", "logs", "demo")
	sum := sha256.Sum256([]byte(value))
	if want := "secret TOKEN sha256=" + hex.EncodeToString(sum[:]); !strings.Contains(logs, want) {
		t.Errorf("the pod's log lacks %q:\n%s", want, logs)
	}
	if !strings.Contains(logs, "env FOO=bar") || strings.Contains(logs, value) {
		t.Errorf("the pod's log:\n%s", logs)
	}
	_, subnet, err := net.ParseCIDR(c.PodSubnet)
	if err != nil {
		t.Fatalf("the node's pod subnet %q: %v", c.PodSubnet, err)
	}
	if ip := kubectl("", "get", "pod", "demo", "-o", "jsonpath={.status.podIP}"); !subnet.Contains(net.ParseIP(ip)) {
		t.Errorf("the pod's IP %q is not in the node's pod subnet %s", ip, c.PodSubnet)
	}
	if ip := kubectl("", "get", "node", localcluster.NodeName, "-o", `jsonpath={.status.addresses[?(@.type=="InternalIP")].address}`); ip != "127.0.0.1" {
		t.Errorf("the node's InternalIP = %q, want 127.0.0.1", ip)
	}

	if err := c.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	stopped = true
	if left := localcluster.NodeLeftovers(c.Dir); len(left) > 0 {
		t.Errorf("the stopped node left:\n  %s", strings.Join(left, "\n  "))
	}
	if !alone || localcluster.NodesRunning() > 0 {
		t.Log("another node ran meanwhile: the sysctls and machine-wide paths are its to restore")
		return
	}
	after := machineFacts()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s: %s before the node, %s after", k, v, after[k])
		}
	}
}

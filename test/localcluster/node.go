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
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// The node's processes, also the names of their pid and log files.
const (
	Containerd = "containerd"
	Kubelet    = "kubelet"
	Scheduler  = "kube-scheduler"
)

// NodeName is the node's name. The kubelet takes an IP given as its
// hostname as its InternalIP without the check that refuses loopback, so
// the node's address is 127.0.0.1 and the apiserver reaches the kubelet
// there, never on another interface.
const NodeName = "127.0.0.1"

// PauseImage is the pod sandbox image; test/images builds it.
const PauseImage = "lightning.local/pause:dev"

// The pod network: each node's bridge gets its own /24 of PodNetwork
// (podSubnet picks it), and the bridge holds the first address of it on the
// host, so the kubelet probes pods and the apiserver calls a webhook's pods
// (--enable-aggregator-routing) directly on the bridge. Pods get one route
// to the host, for KubernetesServiceIP, which the node redirects to the
// apiserver on 127.0.0.1 (see podNetwork). Nothing else: no default route,
// no IP forwarding, no masquerading, so nothing leaves the machine.
const PodNetwork = "10.244.0.0/16"

// Where the node's runtime comes from, and one file of each package.
var nodePrograms = map[string]string{
	"containerd": "/usr/bin/containerd",
	"ctr":        "/usr/bin/ctr",
	"runc":       "/usr/sbin/runc",
	"CNI bridge": "/usr/lib/cni/bridge",
	"CNI IPAM":   "/usr/lib/cni/host-local",
	"iptables":   "/usr/sbin/iptables",
	"ip":         "/usr/sbin/ip",
}

// noPulls is containerd's environment: every registry request goes to a
// proxy on 127.0.0.1 where nothing listens, so an image that was not
// imported fails at once with ErrImagePull, and no name is looked up and
// nothing is sent off the machine.
var noPulls = []string{
	"HTTP_PROXY=http://127.0.0.1:9", "HTTPS_PROXY=http://127.0.0.1:9",
	"http_proxy=http://127.0.0.1:9", "https_proxy=http://127.0.0.1:9",
}

// cniBinDir holds Debian's containernetworking-plugins.
const cniBinDir = "/usr/lib/cni"

// runRoot holds each node's sockets and runtime state under /run, and
// machine.json: what the first node changed on the machine, restored when
// the last one goes.
const runRoot = "/run/lightning-localcluster"

// kubeletSysctls are the kernel settings the kubelet sets at start
// (setupKernelTunables); the last node down puts them back.
var kubeletSysctls = []string{
	"vm/overcommit_memory", "vm/panic_on_oom", "kernel/panic", "kernel/panic_on_oops",
	"kernel/keys/root_maxkeys", "kernel/keys/root_maxbytes",
}

// machinePaths are paths outside the cluster directory that the kubelet
// (log links, the device plugin socket, libmount's table), containerd
// (shim sockets) or the CNI plugins (result cache) create whatever their
// configuration says; each goes with the last node when it did not exist
// before the first.
var machinePaths = []string{"/var/log/containers", "/var/lib/kubelet", "/var/lib/cni", "/run/containerd", "/run/mount", "/run/netns"}

// NodeSupport says why this machine cannot run the node, or nil when it can.
func NodeSupport() error {
	if os.Geteuid() != 0 {
		return errors.New("the node needs root (containerd, runc and the kubelet manage mounts, cgroups and network namespaces)")
	}
	for what, path := range nodePrograms {
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("no %s at %s: run hack/ensure-node.sh as root on Debian", what, path)
		}
	}
	if _, err := os.Stat("/sys/fs/cgroup/memory/memory.limit_in_bytes"); err != nil {
		return errors.New("the node needs cgroup v1 controllers under /sys/fs/cgroup (only cgroup v1 is set up for it)")
	}
	return nil
}

// node is the per-cluster identity of the node: everything machine-wide
// that it makes is named after the cluster directory's id.
type node struct {
	id  string
	dir string // <cluster>/node
	run string // /run/lightning-localcluster/<id>
}

func newNode(clusterDir string) node {
	sum := sha256.Sum256([]byte(clusterDir))
	id := hex.EncodeToString(sum[:])[:8]
	return node{id: id, dir: filepath.Join(clusterDir, "node"), run: filepath.Join(runRoot, id)}
}

func (n node) socket() string     { return filepath.Join(n.run, "containerd.sock") }
func (n node) bridge() string     { return "lnbr" + n.id }
func (n node) cgroupRoot() string { return "/lightning-" + n.id }
func (n node) podLogs() string    { return filepath.Join(n.dir, "pod-logs") }
func (n node) path(p ...string) string {
	return filepath.Join(append([]string{n.dir}, p...)...)
}

// cgroupHierarchies are the mounted cgroup v1 hierarchies, e.g.
// /sys/fs/cgroup/memory.
func cgroupHierarchies() []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		// ... mountpoint ... - cgroup cgroup rw,...
		pre, post, ok := strings.Cut(line, " - ")
		if !ok || !strings.HasPrefix(post, "cgroup ") {
			continue
		}
		if f := strings.Fields(pre); len(f) > 4 {
			out = append(out, f[4])
		}
	}
	return out
}

// startNode starts containerd, imports the images, then kube-scheduler
// and the kubelet, and waits until the node is Ready.
func (c *Cluster) startNode(ctx context.Context, st state, images []string) error {
	n := c.node
	sweepOrphanNodes(c.Dir, c.progress)
	unlock, err := lockMachine()
	if err != nil {
		return err
	}
	err = c.recordMachineState()
	if err == nil {
		c.podNet, err = c.choosePodSubnet()
	}
	unlock()
	if err != nil {
		return err
	}
	c.PodSubnet = c.podNet.subnet
	if err := c.prepareNodeFiles(st); err != nil {
		return err
	}
	if err := c.setupPodNetwork(c.podNet, st.APIServerPort); err != nil {
		return fmt.Errorf("setting up the pod network: %w", err)
	}
	if err := c.startContainerd(ctx); err != nil {
		return err
	}
	for _, image := range images {
		if err := c.importImage(ctx, image); err != nil {
			return err
		}
	}
	if err := c.authorizeAPIServerToKubelets(ctx); err != nil {
		return err
	}
	if err := c.spawn(Scheduler, []string{
		"--kubeconfig=" + c.Kubeconfig,
		"--leader-elect=false",
		"--secure-port=0",
	}); err != nil {
		return err
	}
	if err := c.spawn(Kubelet, []string{
		"--config=" + n.path("kubelet.yaml"),
		"--kubeconfig=" + n.path("kubelet.kubeconfig"),
		"--root-dir=" + n.path("kubelet"),
		"--hostname-override=" + NodeName,
	}); err != nil {
		return err
	}
	cs, err := c.clientset()
	if err != nil {
		return err
	}
	return c.waitFor(ctx, Kubelet, func() error { return nodeReady(ctx, cs) })
}

// prepareNodeFiles writes the kubelet's certificates, kubeconfig and
// configuration, containerd's configuration and the CNI network, and makes
// the kubelet's cgroup root in every hierarchy.
func (c *Cluster) prepareNodeFiles(st state) error {
	n := c.node
	for _, d := range []string{n.dir, n.run, n.podLogs(), n.path("cni"), n.path("kubelet")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	if err := c.ca.ensureServingCert(n.path("kubelet.crt"), n.path("kubelet.key"), []string{NodeName, "localhost"}); err != nil {
		return fmt.Errorf("issuing the kubelet's serving certificate: %w", err)
	}
	if err := c.WriteKubeconfig(n.path("kubelet.kubeconfig"), "system:node:"+NodeName, []string{"system:nodes"}); err != nil {
		return err
	}
	containerdConfig := fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]

[grpc]
  address = %q

[debug]
  level = "warn"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %q
  # The VM lacks CAP_SYS_RESOURCE: runc may not lower oom_score_adj.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = %q
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = %q
    conf_dir = %q
`, n.path("containerd"), filepath.Join(n.run, "containerd"), n.socket(), PauseImage, filepath.Join(n.run, "runc"), cniBinDir, n.path("cni"))
	if err := writeFile(n.path("containerd.toml"), []byte(containerdConfig), 0o600); err != nil {
		return err
	}
	network, _ := json.MarshalIndent(map[string]any{
		"cniVersion": "1.0.0",
		"name":       "lightning-" + n.id,
		"plugins": []any{map[string]any{
			"type": "bridge", "bridge": n.bridge(),
			// setupPodNetwork gives the bridge its address; the plugin adds
			// none, enables no forwarding and no NAT.
			"isGateway": false, "ipMasq": false,
			"ipam": map[string]any{
				"type": "host-local", "dataDir": n.path("cni-ipam"),
				"ranges": [][]map[string]string{{{"subnet": c.podNet.subnet, "gateway": c.podNet.gateway}}},
				// The pods' one route off their bridge: the kubernetes
				// Service, via the host. No default route.
				"routes": []map[string]string{{"dst": KubernetesServiceIP + "/32", "gw": c.podNet.gateway}},
			},
		}},
	}, "", "  ")
	if err := writeFile(n.path("cni", "10-lightning.conflist"), network, 0o600); err != nil {
		return err
	}
	kubeletConfig := fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: %d
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: %d
tlsCertFile: %s
tlsPrivateKeyFile: %s
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: %s}
authorization:
  mode: Webhook
containerRuntimeEndpoint: unix://%s
# Only cgroup v1 is usable here.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: %s
failSwapOn: false
podLogsDir: %s
volumePluginDir: %s
# No nameservers in pods: nothing here resolves names off the machine.
resolvConf: ""
clusterDomain: cluster.local
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 1%%, nodefs.inodesFree: 1%%, imagefs.available: 1%%}
serializeImagePulls: false
kubeAPIQPS: 50
kubeAPIBurst: 100
maxPods: 250
shutdownGracePeriod: 0s
`, st.KubeletPort, st.KubeletHealthzPort, n.path("kubelet.crt"), n.path("kubelet.key"), c.path("pki", "ca.crt"),
		n.socket(), n.cgroupRoot(), n.podLogs(), n.path("volume-plugins"))
	if err := writeFile(n.path("kubelet.yaml"), []byte(kubeletConfig), 0o600); err != nil {
		return err
	}
	return makeCgroupRoot(n.cgroupRoot())
}

// makeCgroupRoot makes the kubelet's cgroup root in every hierarchy; the
// kubelet refuses to start without it. A new cpuset cgroup has no CPUs or
// memory nodes until it is given its parent's.
func makeCgroupRoot(root string) error {
	hierarchies := cgroupHierarchies()
	if len(hierarchies) == 0 {
		return errors.New("no cgroup v1 hierarchy is mounted")
	}
	for _, h := range hierarchies {
		dir := filepath.Join(h, root)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("making the kubelet's cgroup root: %w", err)
		}
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			if parent, err := os.ReadFile(filepath.Join(h, f)); err == nil {
				if cur, _ := os.ReadFile(filepath.Join(dir, f)); len(bytes.TrimSpace(cur)) == 0 {
					_ = os.WriteFile(filepath.Join(dir, f), parent, 0o644)
				}
			}
		}
	}
	return nil
}

func (c *Cluster) startContainerd(ctx context.Context) error {
	n := c.node
	_ = os.Remove(n.socket()) // a socket left by a killed containerd
	if err := c.spawnBinary(Containerd, nodePrograms["containerd"], []string{"--config", n.path("containerd.toml")}, noPulls...); err != nil {
		return err
	}
	return c.waitFor(ctx, Containerd, func() error {
		_, err := c.ctr(ctx, "version")
		return err
	})
}

// ctr runs containerd's CLI against the node's containerd, in the CRI's
// namespace.
func (c *Cluster) ctr(ctx context.Context, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodePrograms["ctr"], append([]string{"--address", c.node.socket(), "--namespace", "k8s.io"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("ctr %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// importImage imports an OCI image-layout tarball and unpacks it, so pods
// run it with imagePullPolicy IfNotPresent or Never.
func (c *Cluster) importImage(ctx context.Context, tarball string) error {
	start := time.Now()
	out, err := c.ctr(ctx, "images", "import", "--snapshotter", "overlayfs", tarball)
	if err != nil {
		return fmt.Errorf("importing %s: %w", tarball, err)
	}
	c.logf("Imported an image", "file", filepath.Base(tarball), "image", strings.TrimSpace(lastLine(out)), "after", time.Since(start).Round(10*time.Millisecond))
	return nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// authorizeAPIServerToKubelets lets the apiserver's kubelet client (logs,
// exec) through the kubelet's Webhook authorization, as kubeadm does.
func (c *Cluster) authorizeAPIServerToKubelets(ctx context.Context) error {
	cs, err := c.clientset()
	if err != nil {
		return err
	}
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "lightning-localcluster:apiserver-kubelet-client"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "system:kubelet-api-admin"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: apiserverKubeletClient}},
	}
	_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("binding the apiserver's kubelet client: %w", err)
	}
	return nil
}

func (c *Cluster) clientset() (*kubernetes.Clientset, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.Proxy = nil
	return kubernetes.NewForConfig(cfg)
}

// nodeReady wants the Node registered and Ready.
func nodeReady(ctx context.Context, cs kubernetes.Interface) error {
	node, err := cs.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	for _, cond := range node.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			if cond.Status == corev1.ConditionTrue {
				return nil
			}
			return fmt.Errorf("node %s is not Ready: %s: %s", NodeName, cond.Reason, cond.Message)
		}
	}
	return fmt.Errorf("node %s has no Ready condition yet", NodeName)
}

// machineState is what the first node found on the machine.
type machineState struct {
	Sysctls map[string]string `json:"sysctls"`
	// Created are machinePaths that did not exist.
	Created []string `json:"created"`
	// Chains are the iptables chains that existed, per command and table.
	Chains map[string][]string `json:"chains"`
}

func machineStatePath() string { return filepath.Join(runRoot, "machine.json") }

// recordMachineState writes machine.json unless another node already did,
// and registers this node.
func (c *Cluster) recordMachineState() error {
	if err := os.MkdirAll(c.node.run, 0o700); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(c.node.run, "cluster"), []byte(c.Dir+"\n"), 0o600); err != nil {
		return err
	}
	// While its starter lives, a node whose runtime is not up yet is
	// starting, not dead: sweepOrphanNodes leaves it alone.
	if err := writeFile(filepath.Join(c.node.run, "starter"), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		return err
	}
	if exists(machineStatePath()) {
		return nil
	}
	ms := machineState{Sysctls: map[string]string{}, Chains: iptablesChains()}
	for _, key := range kubeletSysctls {
		if v, err := os.ReadFile(filepath.Join("/proc/sys", key)); err == nil {
			ms.Sysctls[key] = strings.TrimSpace(string(v))
		}
	}
	for _, p := range machinePaths {
		if !exists(p) {
			ms.Created = append(ms.Created, p)
		}
	}
	data, _ := json.MarshalIndent(ms, "", "  ")
	return writeFile(machineStatePath(), data, 0o600)
}

// iptablesChains lists the non-builtin chains of each table, keyed
// "iptables filter" and so on.
func iptablesChains() map[string][]string {
	out := map[string][]string{}
	for _, cmd := range []string{"iptables", "ip6tables"} {
		for _, table := range []string{"filter", "nat", "mangle"} {
			rules, err := exec.Command(cmd, "-w", "-t", table, "-S").Output()
			if err != nil {
				continue
			}
			for _, line := range strings.Split(string(rules), "\n") {
				if chain, ok := strings.CutPrefix(line, "-N "); ok {
					out[cmd+" "+table] = append(out[cmd+" "+table], strings.TrimSpace(chain))
				}
			}
		}
	}
	return out
}

// stopNode stops the kubelet first (so nothing restarts), removes every
// pod sandbox through the CRI (which tears down their networks and
// mounts), stops containerd and the scheduler, then removes what is left:
// stray shims, mounts, the runtime directory, the cgroups, the bridge and
// the kubelet's log links. The last node on the machine also restores the
// sysctls, deletes the kubelet's iptables chains and the paths it created.
func (c *Cluster) stopNode() error {
	n := c.node
	if !exists(n.run) && !exists(n.dir) {
		return nil
	}
	var errs []error
	if err := c.StopProcess(Kubelet); err != nil {
		errs = append(errs, err)
	}
	if c.Running(Containerd) {
		if err := removePodSandboxes(n.socket()); err != nil {
			errs = append(errs, fmt.Errorf("removing the pods: %w", err))
		}
	}
	for _, name := range []string{Scheduler, Containerd} {
		if err := c.StopProcess(name); err != nil {
			errs = append(errs, err)
		}
	}
	killShims(n.socket())
	for _, root := range []string{n.run, n.dir} {
		if err := unmountUnder(root); err != nil {
			errs = append(errs, err)
		}
	}
	if err := removeCgroupRoot(n.cgroupRoot()); err != nil {
		errs = append(errs, err)
	}
	c.deletePodChain()
	if linkExists(n.bridge()) {
		if out, err := exec.Command("ip", "link", "delete", n.bridge()).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("deleting bridge %s: %v: %s", n.bridge(), err, out))
		}
	}
	removeLogLinks("/var/log/containers", n.podLogs())
	// Leaving and, as the last node, restoring happen under the machine
	// lock, so a node starting meanwhile records the state after the
	// restore, or registers before it and prevents it.
	unlock, err := lockMachine()
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	defer unlock()
	if err := os.RemoveAll(n.run); err != nil {
		errs = append(errs, err)
	}
	if NodesRunning() == 0 {
		if err := restoreMachineState(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// lockMachine serializes the nodes' machine-wide bookkeeping (machine.json
// and the node registrations) across processes. It locks /run itself, so
// no lock file is left behind.
func lockMachine() (unlock func(), err error) {
	f, err := os.Open("/run")
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking the machine's node state: %w", err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// sweepOrphanNodes cleans up after nodes whose processes died without a
// Stop (a killed test): their containers, mounts, cgroups and bridge would
// stay, and the last node's restore would never run.
func sweepOrphanNodes(self string, progress io.Writer) {
	entries, err := os.ReadDir(runRoot)
	if err != nil {
		return
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(runRoot, e.Name(), "cluster"))
		if !e.IsDir() || err != nil {
			continue
		}
		dir := strings.TrimSpace(string(data))
		if dir == self || findProc(dir, Containerd) != nil || findProc(dir, Kubelet) != nil || starterAlive(filepath.Join(runRoot, e.Name())) {
			continue
		}
		orphan := &Cluster{Dir: dir, progress: progress, procs: map[string]*proc{}, node: newNode(dir)}
		if newNode(dir).id != e.Name() {
			continue
		}
		orphan.logf("Cleaning up after a node that died without stopping", "dir", dir)
		if err := orphan.stopNode(); err != nil {
			orphan.logf("Cleaning up the dead node failed", "dir", dir, "err", err)
		}
	}
}

// NodesRunning counts the nodes registered on this machine, of any cluster.
func NodesRunning() int {
	entries, _ := os.ReadDir(runRoot)
	n := 0
	for _, e := range entries {
		if e.IsDir() {
			n++
		}
	}
	return n
}

// starterAlive says whether the process that started the node in run
// still runs.
func starterAlive(run string) bool {
	data, err := os.ReadFile(filepath.Join(run, "starter"))
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	return err == nil && pid > 0 && syscall.Kill(pid, 0) == nil
}

func restoreMachineState() error {
	data, err := os.ReadFile(machineStatePath())
	if err != nil {
		return nil // nothing recorded: nothing to restore
	}
	var ms machineState
	if err := json.Unmarshal(data, &ms); err != nil {
		return fmt.Errorf("reading %s: %w", machineStatePath(), err)
	}
	var errs []error
	for key, v := range ms.Sysctls {
		if cur, err := os.ReadFile(filepath.Join("/proc/sys", key)); err == nil && strings.TrimSpace(string(cur)) != v {
			if err := os.WriteFile(filepath.Join("/proc/sys", key), []byte(v), 0o644); err != nil {
				errs = append(errs, fmt.Errorf("restoring sysctl %s: %w", key, err))
			}
		}
	}
	deleteNewChains(ms.Chains)
	for _, p := range ms.Created {
		// It did not exist before the first node, and no node is left.
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, err)
		}
	}
	_ = os.Remove(machineStatePath())
	_ = os.Remove(runRoot)
	return errors.Join(errs...)
}

// deleteNewChains deletes the KUBE- chains that were not there before the
// first node: first the builtin chains' jumps to them, then the chains.
func deleteNewChains(before map[string][]string) {
	for key, chains := range iptablesChains() {
		cmd, table, _ := strings.Cut(key, " ")
		var created []string
		for _, chain := range chains {
			if strings.HasPrefix(chain, "KUBE-") && !slices.Contains(before[key], chain) {
				created = append(created, chain)
			}
		}
		if len(created) == 0 {
			continue
		}
		rules, _ := exec.Command(cmd, "-w", "-t", table, "-S").Output()
		for _, line := range strings.Split(string(rules), "\n") {
			f := strings.Fields(line)
			if len(f) < 2 || f[0] != "-A" || slices.Contains(created, f[1]) {
				continue
			}
			for i := 0; i+1 < len(f); i++ {
				if f[i] == "-j" && slices.Contains(created, f[i+1]) {
					_ = exec.Command(cmd, append([]string{"-w", "-t", table, "-D"}, f[1:]...)...).Run()
					break
				}
			}
		}
		for _, chain := range created {
			_ = exec.Command(cmd, "-w", "-t", table, "-F", chain).Run()
		}
		for _, chain := range created {
			_ = exec.Command(cmd, "-w", "-t", table, "-X", chain).Run()
		}
	}
}

// killShims kills containerd-shim processes of this node's containerd
// that outlived it.
func killShims(socket string) {
	for _, pid := range shimPIDs(socket) {
		_ = (&proc{name: "containerd-shim", pid: pid}).stop(5 * time.Second)
	}
}

// shimPIDs are the containerd-shim processes started for the containerd
// listening on socket.
func shimPIDs(socket string) []int {
	var pids []int
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := strings.Split(string(data), "\x00")
		if !strings.Contains(filepath.Base(args[0]), "containerd-shim") || !slices.Contains(args, socket) {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// mountsUnder lists the mount points at or below root, deepest first.
func mountsUnder(root string) []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		mp := unescapeMount(f[4])
		if mp == root || strings.HasPrefix(mp, root+"/") {
			out = append(out, mp)
		}
	}
	// Deeper paths first, so a parent is unmounted after its children.
	for i := 0; i < len(out); i++ {
		for j := i + 1; j < len(out); j++ {
			if len(out[j]) > len(out[i]) {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func unescapeMount(s string) string {
	r := strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)
	return r.Replace(s)
}

func unmountUnder(root string) error {
	var errs []error
	for _, mp := range mountsUnder(root) {
		if err := unmount(mp); err != nil {
			errs = append(errs, fmt.Errorf("unmounting %s: %w", mp, err))
		}
	}
	return errors.Join(errs...)
}

// removeCgroupRoot removes the kubelet's cgroup root, children first, in
// every hierarchy.
func removeCgroupRoot(root string) error {
	var errs []error
	for _, h := range cgroupHierarchies() {
		dir := filepath.Join(h, root)
		if !exists(dir) {
			continue
		}
		if err := removeCgroupTree(dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func removeCgroupTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	// Containers of a node whose runtime died are still in here.
	if procs, err := os.ReadFile(filepath.Join(dir, "cgroup.procs")); err == nil {
		for _, f := range strings.Fields(string(procs)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := removeCgroupTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	// A cgroup empties a moment after its last process exits.
	var last error
	for i := 0; i < 50; i++ {
		if last = os.Remove(dir); last == nil || errors.Is(last, os.ErrNotExist) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("removing cgroup %s: %w", dir, last)
}

func linkExists(name string) bool {
	_, err := os.Stat(filepath.Join("/sys/class/net", name))
	return err == nil
}

// removeLogLinks removes the kubelet's links in dir that point into target.
func removeLogLinks(dir, target string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if dest, err := os.Readlink(p); err == nil && strings.HasPrefix(dest, target+"/") {
			_ = os.Remove(p)
		}
	}
}

// NodeLeftovers lists what a stopped node left on the machine: mounts,
// cgroups, the bridge, log links, shims, its runtime directory, and, once
// no node is left, a machine.json that was never restored. Whether the
// restore put the sysctls, iptables chains and paths back needs what was
// there before: TestNodeRunsAPodAndLeavesNothing compares that.
// Tests call it after Stop and want it empty.
func NodeLeftovers(clusterDir string) []string {
	abs, err := filepath.Abs(clusterDir)
	if err != nil {
		return []string{err.Error()}
	}
	n := newNode(abs)
	var out []string
	for _, root := range []string{n.run, n.dir} {
		for _, mp := range mountsUnder(root) {
			out = append(out, "mount "+mp)
		}
	}
	if exists(n.run) {
		out = append(out, "directory "+n.run)
	}
	for _, h := range cgroupHierarchies() {
		if exists(filepath.Join(h, n.cgroupRoot())) {
			out = append(out, "cgroup "+filepath.Join(h, n.cgroupRoot()))
		}
	}
	if linkExists(n.bridge()) {
		out = append(out, "bridge "+n.bridge())
	}
	if n.podChainExists() {
		out = append(out, "iptables nat chain "+n.chain())
	}
	if entries, err := os.ReadDir("/var/log/containers"); err == nil {
		for _, e := range entries {
			if dest, err := os.Readlink(filepath.Join("/var/log/containers", e.Name())); err == nil && strings.HasPrefix(dest, n.podLogs()+"/") {
				out = append(out, "log link /var/log/containers/"+e.Name())
			}
		}
	}
	if shims := len(shimPIDs(n.socket())); shims > 0 {
		out = append(out, fmt.Sprintf("%d containerd-shim processes", shims))
	}
	if NodesRunning() == 0 {
		if exists(machineStatePath()) {
			out = append(out, "file "+machineStatePath())
		}
	}
	return out
}

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

// Package localcluster runs a small Kubernetes control plane on this
// machine from the binaries in bin/k8s: etcd, kube-apiserver and
// kube-controller-manager. No kubelet or scheduler runs, so pods stay
// Pending, but Deployments get ReplicaSets and Pods, admission webhooks
// are called, and garbage collection works.
//
// Secrets are encrypted at rest: the apiserver gets an
// EncryptionConfiguration with a generated secretbox key, so what etcd
// stores under /registry/secrets/ starts with "k8s:enc:". EtcdGet reads
// those bytes directly to prove it.
//
// Everything lives in one directory:
//
//	state.json            ports
//	pki/                  CA, apiserver serving cert, service account keys
//	encryption.yaml       the EncryptionConfiguration (holds the key; 0600)
//	etcd/                 etcd's data
//	kubeconfig            an admin (system:masters) kubeconfig
//	logs/<name>.log       each process's output
//	pids/<name>.pid       each process's pid and binary
//
// Start reuses a running cluster in the directory, or restarts its
// processes on the kept data. The demo starts the processes detached
// (they outlive the command); the e2e tests attach them to the test.
package localcluster

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Process names, also the names of their pid and log files.
const (
	Etcd              = "etcd"
	APIServer         = "kube-apiserver"
	ControllerManager = "kube-controller-manager"
)

// EncryptedPrefix starts every value the apiserver stores encrypted in etcd.
const EncryptedPrefix = "k8s:enc:"

// ServiceClusterIPRange is the Service IP range; its first address is the
// kubernetes Service, which the serving certificate names.
const ServiceClusterIPRange = "10.0.0.0/24"

// Options configure Start.
type Options struct {
	// BinDir holds etcd, kube-apiserver and kube-controller-manager. Required.
	BinDir string
	// WithoutControllerManager starts only etcd and the apiserver.
	WithoutControllerManager bool
	// Detach starts the processes in their own session, so they outlive
	// the caller (the demo). Otherwise they die with the caller.
	Detach bool
	// Timeout bounds the start. Default 3 minutes: a loaded 2-core machine
	// needs tens of seconds for the apiserver.
	Timeout time.Duration
	// Progress gets one line per step. Default: discarded.
	Progress io.Writer
	// Node also starts a node (containerd, the kubelet and kube-scheduler)
	// when this machine can run one (NodeSupport); otherwise the cluster
	// runs without it and Cluster.NodeSkipped says why.
	Node bool
	// Images are OCI image-layout tarballs imported into the node's
	// containerd; one must be PauseImage.
	Images []string
}

// Cluster is a running local control plane.
type Cluster struct {
	// Dir holds the cluster's state.
	Dir string
	// Kubeconfig is the path of the admin kubeconfig.
	Kubeconfig string
	// APIServerURL and EtcdURL are the endpoints on 127.0.0.1.
	APIServerURL string
	EtcdURL      string
	// Reused is true when Start found the cluster already running.
	Reused bool
	// HasNode is true when a node runs; NodeSkipped says why none does
	// when one was asked for.
	HasNode     bool
	NodeSkipped string
	// PodSubnet is the node's pod range on its bridge, a /24 of PodNetwork.
	PodSubnet string

	binDir   string
	detach   bool
	progress io.Writer
	procs    map[string]*proc
	ca       *ca
	node     node
	podNet   podNetwork
}

type state struct {
	EtcdPort           int `json:"etcdPort"`
	EtcdPeerPort       int `json:"etcdPeerPort"`
	APIServerPort      int `json:"apiServerPort"`
	KubeletPort        int `json:"kubeletPort"`
	KubeletHealthzPort int `json:"kubeletHealthzPort"`
}

// Start starts the control plane in dir, or reuses the one running there,
// and returns when the apiserver is ready (and, with the controller
// manager, the default namespace has its default ServiceAccount).
func Start(ctx context.Context, dir string, opts Options) (*Cluster, error) {
	if opts.BinDir == "" {
		return nil, errors.New("localcluster: Options.BinDir is required")
	}
	for _, b := range []string{Etcd, APIServer, ControllerManager} {
		if b == ControllerManager && opts.WithoutControllerManager {
			continue
		}
		if _, err := os.Stat(filepath.Join(opts.BinDir, b)); err != nil {
			return nil, fmt.Errorf("no %s in %s: run 'make envtest-binaries'", b, opts.BinDir)
		}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 3 * time.Minute
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	c := &Cluster{
		Dir: dir, Kubeconfig: filepath.Join(dir, "kubeconfig"),
		binDir: opts.BinDir, detach: opts.Detach, progress: opts.Progress,
		procs: map[string]*proc{}, node: newNode(dir),
	}
	if c.ca, err = loadOrCreateCA(filepath.Join(dir, "pki")); err != nil {
		return nil, fmt.Errorf("preparing the cluster CA: %w", err)
	}
	wanted := []string{Etcd, APIServer}
	if !opts.WithoutControllerManager {
		wanted = append(wanted, ControllerManager)
	}
	if opts.Node {
		if err := NodeSupport(); err != nil {
			c.NodeSkipped = err.Error()
			c.logf("Node skipped: " + c.NodeSkipped)
		} else if opts.WithoutControllerManager {
			return nil, errors.New("localcluster: a node needs the controller manager")
		} else {
			wanted = append(wanted, Containerd, Scheduler, Kubelet)
		}
	}
	c.HasNode = slices.Contains(wanted, Kubelet)

	// Reuse what runs.
	st, haveState := readState(dir)
	if haveState {
		c.setURLs(st)
		running := 0
		for _, name := range wanted {
			if p := findProc(dir, name); p != nil {
				c.procs[name] = p
				running++
			}
		}
		if running == len(wanted) && exists(c.Kubeconfig) && c.apiserverReady(ctx) == nil {
			c.Reused = true
			c.PodSubnet = c.node.recordedPodSubnet()
			c.logf("Reused the running control plane", "dir", dir, "apiserver", c.APIServerURL)
			return c, nil
		}
		if c.HasNode || exists(c.node.run) {
			if err := c.stopNode(); err != nil {
				return nil, fmt.Errorf("stopping the leftover node: %w", err)
			}
		}
		for _, name := range []string{ControllerManager, APIServer, Etcd} {
			if p := c.procs[name]; p != nil {
				c.logf("Stopped a leftover process", "name", name, "pid", p.pid)
				_ = p.stop(10 * time.Second)
				delete(c.procs, name)
			}
		}
	}
	if st, err = choosePorts(st, haveState); err != nil {
		return nil, err
	}
	if err := writeState(dir, st); err != nil {
		return nil, err
	}
	c.setURLs(st)

	if err := c.prepareFiles(); err != nil {
		return nil, err
	}
	if err := c.startEtcd(ctx, st); err != nil {
		return nil, c.failed(err)
	}
	if err := c.startAPIServer(ctx, st); err != nil {
		return nil, c.failed(err)
	}
	if !opts.WithoutControllerManager {
		if err := c.startControllerManager(ctx); err != nil {
			return nil, c.failed(err)
		}
	}
	if c.HasNode {
		start := time.Now()
		if err := c.startNode(ctx, st, opts.Images); err != nil {
			return nil, c.failed(fmt.Errorf("starting the node: %w", err))
		}
		c.logf("The node is Ready", "name", NodeName, "after", time.Since(start).Round(100*time.Millisecond))
	}
	return c, nil
}

// Attach returns the cluster whose state is in dir without starting
// anything, for commands that stop it or read from it.
func Attach(dir string) (*Cluster, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	st, ok := readState(dir)
	if !ok {
		return nil, fmt.Errorf("no local cluster in %s", dir)
	}
	c := &Cluster{Dir: dir, Kubeconfig: filepath.Join(dir, "kubeconfig"), progress: io.Discard, procs: map[string]*proc{}, node: newNode(dir)}
	c.HasNode = exists(c.node.run)
	c.PodSubnet = c.node.recordedPodSubnet()
	c.setURLs(st)
	if c.ca, err = loadOrCreateCA(filepath.Join(dir, "pki")); err != nil {
		return nil, err
	}
	return c, nil
}

// SetProgress sends progress lines to w.
func (c *Cluster) SetProgress(w io.Writer) { c.progress = w }

// SetDetach makes later Spawn calls start detached processes (or not).
func (c *Cluster) SetDetach(detach bool) { c.detach = detach }

func (c *Cluster) setURLs(st state) {
	c.EtcdURL = "http://127.0.0.1:" + strconv.Itoa(st.EtcdPort)
	c.APIServerURL = "https://127.0.0.1:" + strconv.Itoa(st.APIServerPort)
}

func (c *Cluster) logf(msg string, kv ...any) {
	var b strings.Builder
	b.WriteString(msg)
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, " %v=%v", kv[i], kv[i+1])
	}
	fmt.Fprintln(c.progress, b.String())
}

// failed stops what a failed start left running and points at the logs.
func (c *Cluster) failed(err error) error {
	_ = c.Stop()
	return fmt.Errorf("%w (logs in %s)", err, filepath.Join(c.Dir, "logs"))
}

func (c *Cluster) path(parts ...string) string {
	return filepath.Join(append([]string{c.Dir}, parts...)...)
}

// prepareFiles writes what the processes read, once: serving certificate,
// service account keys, the encryption key, the admin kubeconfig.
func (c *Cluster) prepareFiles() error {
	hosts := []string{"127.0.0.1", "localhost", "10.0.0.1", "kubernetes", "kubernetes.default",
		"kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}
	if err := c.ca.ensureServingCert(c.path("pki", "apiserver.crt"), c.path("pki", "apiserver.key"), hosts); err != nil {
		return fmt.Errorf("issuing the apiserver certificate: %w", err)
	}
	if err := c.ca.ensureClientCert(c.path("pki", "apiserver-kubelet-client.crt"), c.path("pki", "apiserver-kubelet-client.key"), apiserverKubeletClient); err != nil {
		return fmt.Errorf("issuing the apiserver's kubelet client certificate: %w", err)
	}
	if err := ensureServiceAccountKey(c.path("pki", "sa.key"), c.path("pki", "sa.pub")); err != nil {
		return fmt.Errorf("making the service account key: %w", err)
	}
	if !exists(c.path("encryption.yaml")) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return err
		}
		cfg := fmt.Sprintf(`apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources: [secrets]
  providers:
  - secretbox:
      keys:
      - name: key1
        secret: %s
  - identity: {}
`, base64.StdEncoding.EncodeToString(key))
		if err := writeFile(c.path("encryption.yaml"), []byte(cfg), 0o600); err != nil {
			return err
		}
	}
	// The admin kubeconfig is rewritten on every start: the port may change.
	return c.WriteKubeconfig(c.Kubeconfig, "admin", []string{"system:masters"})
}

// WriteKubeconfig writes a kubeconfig at path for a client certificate of
// user and groups, signed by the cluster's CA. The operator gets one for
// its ServiceAccount's identity (system:serviceaccount:NS:NAME with the
// groups system:serviceaccounts and system:serviceaccounts:NS), so its
// RBAC applies exactly as in a cluster.
func (c *Cluster) WriteKubeconfig(path, user string, groups []string) error {
	certPEM, keyPEM, err := c.ca.issue(user, groups, nil)
	if err != nil {
		return err
	}
	name := "lightning-local"
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[name] = &clientcmdapi.Cluster{Server: c.APIServerURL, CertificateAuthorityData: c.ca.certPEM}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificateData: certPEM, ClientKeyData: keyPEM}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: user, Namespace: "default"}
	cfg.CurrentContext = name
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return err
	}
	return writeFile(path, data, 0o600)
}

func (c *Cluster) startEtcd(ctx context.Context, st state) error {
	peer := "http://127.0.0.1:" + strconv.Itoa(st.EtcdPeerPort)
	args := []string{
		"--name=default",
		"--data-dir=" + c.path("etcd"),
		"--listen-client-urls=" + c.EtcdURL,
		"--advertise-client-urls=" + c.EtcdURL,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=default=" + peer,
		// A local throwaway cluster: speed over crash safety.
		"--unsafe-no-fsync=true",
		"--log-level=warn",
	}
	if err := c.spawn(Etcd, args); err != nil {
		return err
	}
	client := &http.Client{Timeout: 2 * time.Second}
	return c.waitFor(ctx, Etcd, func() error {
		resp, err := client.Get(c.EtcdURL + "/health")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"true"`) {
			return fmt.Errorf("etcd health: %s %s", resp.Status, body)
		}
		return nil
	})
}

func (c *Cluster) startAPIServer(ctx context.Context, st state) error {
	args := []string{
		"--advertise-address=127.0.0.1",
		// A loopback address cannot be an endpoint: the kubernetes Service
		// has none. Pods reach it by its cluster IP, which the node
		// redirects to 127.0.0.1 (see setupPodNetwork).
		"--endpoint-reconciler-type=none",
		// Webhook (and aggregated API) Services are called on their
		// endpoints, the pods' addresses on the node's bridge, not on their
		// cluster IP: no kube-proxy runs.
		"--enable-aggregator-routing=true",
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(st.APIServerPort),
		"--cert-dir=" + c.path("pki"),
		"--tls-cert-file=" + c.path("pki", "apiserver.crt"),
		"--tls-private-key-file=" + c.path("pki", "apiserver.key"),
		"--client-ca-file=" + c.path("pki", "ca.crt"),
		"--etcd-servers=" + c.EtcdURL,
		"--service-cluster-ip-range=" + ServiceClusterIPRange,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + c.path("pki", "sa.pub"),
		"--service-account-signing-key-file=" + c.path("pki", "sa.key"),
		// The Node authorizer lets each kubelet reach only its own pods' objects.
		"--authorization-mode=Node,RBAC",
		"--enable-admission-plugins=NodeRestriction",
		// The node's InternalIP is 127.0.0.1 (see NodeName).
		"--kubelet-preferred-address-types=InternalIP",
		"--kubelet-certificate-authority=" + c.path("pki", "ca.crt"),
		"--kubelet-client-certificate=" + c.path("pki", "apiserver-kubelet-client.crt"),
		"--kubelet-client-key=" + c.path("pki", "apiserver-kubelet-client.key"),
		"--encryption-provider-config=" + c.path("encryption.yaml"),
		"--allow-privileged=true",
		"--profiling=false",
	}
	if err := c.spawn(APIServer, args); err != nil {
		return err
	}
	return c.waitFor(ctx, APIServer, func() error { return c.apiserverReady(ctx) })
}

func (c *Cluster) startControllerManager(ctx context.Context) error {
	args := []string{
		"--kubeconfig=" + c.Kubeconfig,
		"--leader-elect=false",
		// No token controller: the apiserver issues bound tokens on request.
		"--controllers=*,-serviceaccount-token",
		"--secure-port=0",
		"--use-service-account-credentials=false",
		"--root-ca-file=" + c.path("pki", "ca.crt"),
		"--service-cluster-ip-range=" + ServiceClusterIPRange,
	}
	if err := c.spawn(ControllerManager, args); err != nil {
		return err
	}
	// Its serviceaccount controller making default/default proves it runs.
	return c.waitFor(ctx, ControllerManager, func() error {
		return c.get(ctx, "/api/v1/namespaces/default/serviceaccounts/default")
	})
}

func (c *Cluster) spawn(name string, args []string) error {
	return c.spawnBinary(name, filepath.Join(c.binDir, name), args)
}

func (c *Cluster) spawnBinary(name, path string, args []string, env ...string) error {
	env = append([]string{"NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost"}, env...)
	p, err := spawn(c.Dir, name, path, args, env, c.detach)
	if err != nil {
		return err
	}
	c.procs[name] = p
	c.logf("Started "+name, "pid", p.pid, "log", filepath.Join(c.Dir, "logs", name+".log"))
	return nil
}

// waitFor polls ready until it passes, the process exits, or ctx ends.
func (c *Cluster) waitFor(ctx context.Context, name string, ready func() error) error {
	start := time.Now()
	var last error
	for {
		if last = ready(); last == nil {
			c.logf("Became ready: "+name, "after", time.Since(start).Round(100*time.Millisecond))
			return nil
		}
		if p := c.procs[name]; p != nil && !p.alive() {
			return fmt.Errorf("%s exited during start: %v", name, last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %v", name, time.Since(start).Round(time.Second), last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// httpClient authenticates as admin with the admin kubeconfig's certificate.
func (c *Cluster) httpClient() (*http.Client, error) {
	cfg, err := clientcmd.LoadFromFile(c.Kubeconfig)
	if err != nil {
		return nil, err
	}
	auth := cfg.AuthInfos["admin"]
	if auth == nil {
		return nil, errors.New("the admin kubeconfig has no admin user")
	}
	cert, err := tls.X509KeyPair(auth.ClientCertificateData, auth.ClientKeyData)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(c.ca.cert)
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		Proxy:           nil,
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
	}}, nil
}

func (c *Cluster) get(ctx context.Context, path string) error {
	client, err := c.httpClient()
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.APIServerURL+path, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

func (c *Cluster) apiserverReady(ctx context.Context) error { return c.get(ctx, "/readyz") }

// Spawn starts another process that belongs to the cluster (the operator),
// detached or attached like the control plane, and Stop stops it too.
func (c *Cluster) Spawn(name, path string, args, env []string) (pid int, err error) {
	if p := findProc(c.Dir, name); p != nil {
		return 0, fmt.Errorf("%s already runs (pid %d)", name, p.pid)
	}
	p, err := spawn(c.Dir, name, path, args, env, c.detach)
	if err != nil {
		return 0, err
	}
	c.procs[name] = p
	c.logf("Started "+name, "pid", p.pid, "log", filepath.Join(c.Dir, "logs", name+".log"))
	return p.pid, nil
}

// Running says whether the named process runs.
func (c *Cluster) Running(name string) bool {
	if p := c.procs[name]; p != nil {
		return p.alive()
	}
	return findProc(c.Dir, name) != nil
}

// StopProcess stops one process (SIGTERM, then SIGKILL after 15s).
func (c *Cluster) StopProcess(name string) error {
	p := c.procs[name]
	if p == nil {
		p = findProc(c.Dir, name)
	}
	delete(c.procs, name)
	if p == nil {
		return nil
	}
	if err := p.stop(15 * time.Second); err != nil {
		return err
	}
	_ = os.Remove(pidFile(c.Dir, name))
	c.logf("Stopped "+name, "pid", p.pid)
	return nil
}

// Stop stops every process of the cluster: the extra ones first, then the
// node (which removes what it made on the machine), the controller
// manager, the apiserver and etcd. The data stays in Dir.
func (c *Cluster) Stop() error {
	core := map[string]bool{Etcd: true, APIServer: true, ControllerManager: true, Containerd: true, Kubelet: true, Scheduler: true}
	var names []string
	if entries, err := os.ReadDir(filepath.Join(c.Dir, "pids")); err == nil {
		for _, e := range entries {
			if name, ok := strings.CutSuffix(e.Name(), ".pid"); ok && !core[name] {
				names = append(names, name)
			}
		}
	}
	for name := range c.procs {
		if !core[name] && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	var errs []error
	for _, name := range names {
		if err := c.StopProcess(name); err != nil {
			errs = append(errs, err)
		}
	}
	if err := c.stopNode(); err != nil {
		errs = append(errs, fmt.Errorf("stopping the node: %w", err))
	}
	for _, name := range []string{ControllerManager, APIServer, Etcd} {
		if err := c.StopProcess(name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func readState(dir string) (state, bool) {
	var st state
	data, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil || json.Unmarshal(data, &st) != nil || st.EtcdPort == 0 || st.APIServerPort == 0 || st.EtcdPeerPort == 0 ||
		st.KubeletPort == 0 || st.KubeletHealthzPort == 0 {
		return state{}, false
	}
	return st, true
}

func writeState(dir string, st state) error {
	data, _ := json.MarshalIndent(st, "", "  ")
	return writeFile(filepath.Join(dir, "state.json"), append(data, '\n'), 0o600)
}

// choosePorts keeps the previous ports when they are free, so kubeconfigs
// written before stay valid, and picks free ones otherwise.
func choosePorts(prev state, havePrev bool) (state, error) {
	st := prev
	ports := []*int{&st.EtcdPort, &st.EtcdPeerPort, &st.APIServerPort, &st.KubeletPort, &st.KubeletHealthzPort}
	taken := map[int]bool{}
	for _, port := range ports {
		if havePrev && *port > 0 && !taken[*port] && portFree(*port) {
			taken[*port] = true
			continue
		}
		for {
			p, err := FreePort()
			if err != nil {
				return state{}, err
			}
			if !taken[p] {
				*port, taken[p] = p, true
				break
			}
		}
	}
	return st, nil
}

func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

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

// Package e2e drives a user's path through the built binaries: the
// operator (the manager binary hack/image builds and puts in its image),
// the CLI (kubectl-lightning) and kubectl, against a local cluster
// (test/localcluster: etcd, kube-apiserver with Secrets encrypted at rest,
// kube-controller-manager, and, where the machine allows, a node:
// kube-scheduler, the kubelet, containerd and runc). The install bundle
// (config/default) is applied for real; config/local then points the
// webhook at the operator on this host, as `make demo` does. The bundle's
// own manager pods never serve (their release image is not on the node).
// "On the node, the operator in-cluster" runs on a cluster and node of its
// own: there the bundle gets the image hack/image builds, imported into the
// node, and its pods are the operator.
//
// On the node, the apps run test/images/demo-app, whose processes print the
// sha256 of each secret they were given; the node specs compare it with the
// sealed value's. Without a node (not root, or no runtime installed), pods
// stay Pending, the node specs skip with the reason, and the rest still
// runs: ReplicaSets and Pods are made, the webhook is called, and garbage
// collection works.
//
// The suite runs in parallel (`make test` and `make e2e` run it with the
// Ginkgo CLI on three processes). Ginkgo process 1 builds the binaries and
// images once, and starts the shared cluster, node and operator, which
// every process uses. Each container keeps to namespaces of its own. The
// operator's webhook is called for every pod of a cluster, so a container
// whose specs stop the operator, or replace it with the in-cluster one,
// runs on a cluster and node of its own (ownCluster; the in-cluster one's
// boots beside the shared one), and the others never see it. Run with
// `go test`, the suite runs the same specs one after another.
//
// The suite skips, with a message, only when the Kubernetes binaries are
// missing; `make test` builds them first.
package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/kms/kmstest"
	"github.com/lightning-operator/lightning-operator/test/images"
	"github.com/lightning-operator/lightning-operator/test/images/kmsimage"
	"github.com/lightning-operator/lightning-operator/test/localcluster"
)

const (
	operatorNamespace = localcluster.OperatorNamespace
	operatorSA        = localcluster.OperatorServiceAccount
	webhookConfigName = localcluster.WebhookConfigName
	fieldManager      = "lightning-e2e"
	remoteImage       = "registry.example/e2e-app:1.0"
	releaseImage      = "ghcr.io/lightning-operator/lightning-operator:v0.1.0"
	// managerImage is the manager's image built by hack/image and imported
	// into the node.
	managerImage = "lightning.local/lightning-operator:e2e"
)

var (
	repoRoot   string
	k8sBinDir  string
	workDir    string
	managerBin string
	cliBin     string
	kubectlBin string
	// nodeImages are the image tarballs every node imports: the pause and
	// demo-app images. managerImageTarball is the manager's image.
	nodeImages          []string
	managerImageTarball string
	// kmsPluginBin is test/kmsplugin, built for the host and put in the
	// image the second cluster's node imports; "" when it could not be
	// built, and kmsPluginSkipped says why.
	kmsPluginBin     string
	kmsPluginSkipped string

	// cluster, k8sClient and operator are the cluster the running
	// container uses and how its operator runs on the host: the shared
	// cluster's, or those of one of the container's own (useCluster).
	cluster   *localcluster.Cluster
	k8sClient client.Client // live, uncached: what the apiserver holds now
	operator  localcluster.Operator

	// hostCluster and hostOperator are the shared cluster and its operator,
	// which process 1 starts and stops.
	hostCluster  *localcluster.Cluster
	hostOperator localcluster.Operator
	// inClusterDir holds a second cluster and node, where no operator runs
	// on the host, for "On the node, the operator in-cluster". Process 1
	// starts it beside the shared one, and stops both at the end.
	inClusterDir string
	// suiteStarted is set on process 1 once the shared cluster serves.
	suiteStarted bool
)

// shared is what process 1 hands every process: the cluster, node and
// operator it started, and the binaries it built.
type shared struct {
	WorkDir     string                `json:"workDir"`
	ClusterDir  string                `json:"clusterDir"`
	NodeSkipped string                `json:"nodeSkipped,omitempty"`
	Operator    localcluster.Operator `json:"operator"`
	// InClusterDir is "" where no node can run.
	InClusterDir string   `json:"inClusterDir,omitempty"`
	ManagerBin   string   `json:"managerBin"`
	CLIBin       string   `json:"cliBin"`
	NodeImages   []string `json:"nodeImages"`
	ManagerImage string   `json:"managerImage"`
	// KMSPluginBin is "" when KMSPluginSkipped says why.
	KMSPluginBin     string `json:"kmsPluginBin,omitempty"`
	KMSPluginSkipped string `json:"kmsPluginSkipped,omitempty"`
}

func TestE2E(t *testing.T) {
	if msg := missingBinaries(); msg != "" {
		t.Skip(msg)
	}
	if err := lightningv1alpha1.AddToScheme(clientgoscheme.Scheme); err != nil {
		t.Fatal(err)
	}
	RegisterFailHandler(Fail)
	SetDefaultEventuallyTimeout(3 * time.Minute)
	// An Eventually given the spec's context would otherwise wait on it
	// alone: a failing one held its process until the suite's timeout.
	EnforceDefaultTimeoutsWhenUsingContexts()
	// Most waits are for the apiserver or a pod; a short poll ends each
	// soon after it is met, and costs the apiserver little.
	SetDefaultEventuallyPollingInterval(500 * time.Millisecond)
	// What a Consistently here watches for (a restarted pod, a status
	// written) stays once it happens: Gomega's 10 ms would only load the
	// apiserver, which other processes' specs share.
	SetDefaultConsistentlyPollingInterval(250 * time.Millisecond)
	RunSpecs(t, "End-to-end suite")
}

// missingBinaries finds the repository and the control-plane binaries, and
// says which one is missing.
func missingBinaries() string {
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Join(filepath.Dir(file), "..", "..")
	k8sBinDir = os.Getenv("KUBEBUILDER_ASSETS")
	if k8sBinDir == "" {
		k8sBinDir = filepath.Join(repoRoot, "bin", "k8s")
	}
	for _, b := range []string{localcluster.Etcd, localcluster.APIServer, localcluster.ControllerManager,
		localcluster.Scheduler, localcluster.Kubelet, "kubectl"} {
		if _, err := os.Stat(filepath.Join(k8sBinDir, b)); err != nil {
			return fmt.Sprintf("e2e skipped: no %s in %s; run 'make envtest-binaries' (make test builds them first)", b, k8sBinDir)
		}
	}
	return ""
}

var _ = SynchronizedBeforeSuite(startSuite, joinSuite, NodeTimeout(20*time.Minute))

// startSuite, on Ginkgo process 1 only, builds the binaries and images,
// starts the shared cluster, node and operator, and the second cluster, and
// returns what the other processes need to use them. Each step starts as
// soon as what it needs is built: a cluster boots while the manager links.
func startSuite(ctx SpecContext) []byte {
	var err error
	workDir, err = os.MkdirTemp("", "lightning-e2e-")
	Expect(err).NotTo(HaveOccurred())
	GinkgoWriter.Printf("Work directory: %s\n", workDir)
	kubectlBin = filepath.Join(k8sBinDir, "kubectl")
	managerBin = filepath.Join(workDir, "bin", "manager")
	cliBin = filepath.Join(workDir, "bin", "kubectl-lightning")
	imagesDir := filepath.Join(workDir, "images")
	managerImageTarball = filepath.Join(imagesDir, "manager.tar")

	By("building the operator, the CLI and the node's images")
	// The manager's image, as `make image IMG=...` builds it; its binary is
	// also the operator on the host, so the manager is built once.
	managerBuilt := inBackground(func() error {
		return goCommand(ctx, "run", "./hack/image", "--name", managerImage, "--out", managerImageTarball, "--manager-out", managerBin)
	})
	cliBuilt := inBackground(func() error { return goCommand(ctx, "build", "-o", cliBin, "./cmd/kubectl-lightning") })
	nodeImages, err = images.Build(ctx, repoRoot, imagesDir)
	Expect(err).NotTo(HaveOccurred())
	// The KMS plugin's image, for the second cluster's node only. Where
	// softhsm2 is missing, its spec skips saying so; any other failure to
	// build it fails the suite.
	var kmsPluginImage string
	kmsPluginBuilt := inBackground(func() error {
		if _, ok := kmstest.SoftHSMModule(); !ok {
			kmsPluginSkipped = kmstest.SkipMessage
			return nil
		}
		var err error
		kmsPluginImage, kmsPluginBin, err = kmsimage.Build(ctx, filepath.Join(imagesDir, "kmsplugin"))
		return err
	})

	By("starting the control plane and, where this machine can run one, a node")
	hostCluster = startCluster(ctx, "cluster")
	if !hostCluster.HasNode {
		fmt.Fprintf(os.Stderr, "e2e: node cases skipped: %s\n", hostCluster.NodeSkipped)
	}
	// The second cluster, with the manager's image, boots while the first
	// gets its bundle and operator.
	second := make(chan *localcluster.Cluster, 1)
	if hostCluster.HasNode {
		inClusterDir = filepath.Join(workDir, "cluster-incluster") // for the end to stop, whatever happens
	}
	go func() {
		defer GinkgoRecover()
		defer close(second)
		if hostCluster.HasNode && Expect(managerBuilt()).To(Succeed()) && Expect(kmsPluginBuilt()).To(Succeed()) {
			extra := []string{managerImageTarball}
			if kmsPluginImage != "" {
				extra = append(extra, kmsPluginImage)
			}
			second <- startCluster(ctx, filepath.Base(inClusterDir), extra...)
		}
	}()
	defer func() {
		for range second { // started or failed, before the end stops it
		}
	}()
	cluster, k8sClient = hostCluster, newClient(hostCluster)
	hostOperator = installHostOperator(ctx, managerBuilt, cliBuilt)
	c := <-second
	Expect(c != nil).To(Equal(hostCluster.HasNode), "the second cluster started")

	s := shared{
		WorkDir: workDir, ManagerBin: managerBin, CLIBin: cliBin,
		NodeImages: nodeImages, ManagerImage: managerImageTarball,
		KMSPluginBin: kmsPluginBin, KMSPluginSkipped: kmsPluginSkipped,
		ClusterDir: hostCluster.Dir, NodeSkipped: hostCluster.NodeSkipped, Operator: hostOperator,
	}
	if c != nil {
		s.InClusterDir = c.Dir
	}
	suiteStarted = true
	data, err := json.Marshal(s)
	Expect(err).NotTo(HaveOccurred())
	return data
}

// joinSuite, on every process, takes what process 1 started.
func joinSuite(_ SpecContext, data []byte) {
	var s shared
	Expect(json.Unmarshal(data, &s)).To(Succeed())
	workDir, managerBin, cliBin = s.WorkDir, s.ManagerBin, s.CLIBin
	nodeImages, managerImageTarball = s.NodeImages, s.ManagerImage
	kmsPluginBin, kmsPluginSkipped = s.KMSPluginBin, s.KMSPluginSkipped
	kubectlBin = filepath.Join(k8sBinDir, "kubectl")
	inClusterDir, hostOperator = s.InClusterDir, s.Operator
	if hostCluster == nil { // not process 1
		var err error
		hostCluster, err = localcluster.Attach(s.ClusterDir)
		Expect(err).NotTo(HaveOccurred())
		hostCluster.NodeSkipped = s.NodeSkipped
	}
	cluster, k8sClient, operator = hostCluster, newClient(hostCluster), hostOperator
}

// inBackground runs f in a goroutine; wait, from any goroutine, returns
// its error once it is done.
func inBackground(f func() error) (wait func() error) {
	done := make(chan struct{})
	var err error
	go func() {
		defer close(done)
		err = f()
	}()
	return func() error {
		<-done
		return err
	}
}

// goCommand runs the go command in the repository.
func goCommand(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// installHostOperator applies the install bundle and config/local to the
// cluster and runs the operator on the host, as `make demo` does, once the
// binaries are built (each of built waits for one). The operator's files
// live in the cluster's directory.
func installHostOperator(ctx context.Context, built ...func() error) localcluster.Operator {
	GinkgoHelper()
	webhookPort, err := localcluster.FreePort()
	Expect(err).NotTo(HaveOccurred())
	probePort, err := localcluster.FreePort()
	Expect(err).NotTo(HaveOccurred())
	operator = localcluster.Operator{
		Kubeconfig:  filepath.Join(cluster.Dir, "operator.kubeconfig"),
		WebhookPort: webhookPort,
		ProbePort:   probePort,
		CertDir:     filepath.Join(cluster.Dir, "webhook-certs"),
		PresetsFile: filepath.Join(cluster.Dir, "compute-presets.yaml"),
	}

	By("applying the install bundle (config/default) for real, with a release image")
	applyBundle(ctx, releaseImage)

	By("applying config/local over it: the webhook by URL, since the operator runs on this host")
	applyLocalWebhook(ctx)
	kubectl(ctx, "", "wait", "--for=condition=Established", "--timeout=60s",
		"crd/lightningsecrets.lightning.ai", "crd/lightningapps.lightning.ai")

	By("starting the operator as its ServiceAccount")
	for _, wait := range built {
		Expect(wait()).To(Succeed())
	}
	Expect(cluster.WriteOperatorKubeconfig(operator.Kubeconfig)).To(Succeed())
	Expect(localcluster.WriteLocalPresets(operator.PresetsFile)).To(Succeed())
	startOperator(ctx)
	return operator
}

// ownCluster gives the running container a cluster, a node (where one can
// run) and an operator on the host of its own until its specs end, for
// specs that stop the operator: every pod of a cluster goes through its
// webhook.
func ownCluster(ctx context.Context, name string) {
	GinkgoHelper()
	c := startCluster(ctx, name)
	DeferCleanup(stopCluster, c.Dir)
	DeferCleanup(useCluster(c))
	installHostOperator(ctx)
}

// newClient is a live client of c, whose scheme knows our kinds.
func newClient(c *localcluster.Cluster) client.Client {
	GinkgoHelper()
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	Expect(err).NotTo(HaveOccurred())
	cl, err := client.New(cfg, client.Options{Scheme: clientgoscheme.Scheme})
	Expect(err).NotTo(HaveOccurred())
	return cl
}

// useCluster makes c the cluster of the running container, with no
// operator on the host until one is installed, until the returned func
// puts the shared ones back. A Ginkgo process runs one container at a
// time, so the globals are that container's meanwhile.
func useCluster(c *localcluster.Cluster) (restore func()) {
	cluster, k8sClient, operator = c, newClient(c), localcluster.Operator{}
	return func() { cluster, k8sClient, operator = hostCluster, newClient(hostCluster), hostOperator }
}

// startCluster starts, in the work directory, a control plane and, where
// this machine can run one, a node with the pause and demo-app images and
// extraImages.
func startCluster(ctx context.Context, name string, extraImages ...string) *localcluster.Cluster {
	GinkgoHelper()
	start := time.Now()
	c, err := localcluster.Start(ctx, filepath.Join(workDir, name), localcluster.Options{
		BinDir: k8sBinDir, Timeout: 5 * time.Minute, Progress: GinkgoWriter, Node: true,
		Images: append(slices.Clip(nodeImages), extraImages...),
	})
	Expect(err).NotTo(HaveOccurred())
	if c.HasNode {
		GinkgoWriter.Printf("Cluster %s and its node Ready after %s\n", name, time.Since(start).Round(100*time.Millisecond))
	}
	return c
}

// stopCluster stops the cluster in dir, if one was started there, and
// checks that its node left nothing on the machine.
func stopCluster(dir string) error {
	if dir == "" {
		return nil
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	c, err := localcluster.Attach(dir)
	if err != nil {
		return err
	}
	c.SetProgress(GinkgoWriter)
	start := time.Now()
	defer func() {
		GinkgoWriter.Printf("Stopped %s after %s\n", filepath.Base(dir), time.Since(start).Round(100*time.Millisecond))
	}()
	if err := c.Stop(); err != nil {
		return err
	}
	if left := localcluster.NodeLeftovers(c.Dir); len(left) > 0 {
		return fmt.Errorf("the stopped node of %s left on the machine: %s", dir, strings.Join(left, ", "))
	}
	return nil
}

// failedMarker, in the work directory, says a spec of some process failed:
// process 1 then keeps the directory for the logs.
func failedMarker() string { return filepath.Join(workDir, "failed") }

var _ = AfterEach(func() {
	if CurrentSpecReport().Failed() {
		_ = os.WriteFile(failedMarker(), nil, 0o644)
		dumpLog("manager", 80)
	}
})

var _ = SynchronizedAfterSuite(func() {}, func() {
	// Both clusters stop side by side.
	dirs := []string{inClusterDir}
	if hostCluster != nil {
		dirs = append(dirs, hostCluster.Dir)
	}
	var stopped []func() error
	for _, dir := range dirs {
		stopped = append(stopped, inBackground(func() error { return stopCluster(dir) }))
	}
	for _, wait := range stopped {
		Expect(wait()).To(Succeed())
	}
	if workDir == "" {
		return
	}
	if _, err := os.Stat(failedMarker()); err == nil || !suiteStarted {
		GinkgoWriter.Printf("Kept %s for the logs of the failed run\n", workDir)
		return
	}
	_ = os.RemoveAll(workDir)
})

// startOperator runs the manager on the host as the demo does and waits
// until it is ready, its webhook's caBundle is set and its public key is
// published.
func startOperator(ctx context.Context) {
	GinkgoHelper()
	_, err := cluster.Spawn("manager", managerBin, append(operator.Args(), "--min-rollout-interval=1s"), nil)
	Expect(err).NotTo(HaveOccurred())
	Eventually(func() error { return localcluster.CheckHTTP(ctx, operator.ReadyzURL()) }).
		WithContext(ctx).Should(Succeed(), "the operator's /readyz")
	Eventually(func(g Gomega) {
		out := kubectl(ctx, "", "get", "mutatingwebhookconfiguration", webhookConfigName,
			"-o", "jsonpath={.webhooks[0].clientConfig.caBundle}")
		g.Expect(out).NotTo(BeEmpty())
	}).WithContext(ctx).Should(Succeed(), "the webhook's caBundle")
	Eventually(func() error { _, err := runCLI(ctx, "", "cert"); return err }).
		WithContext(ctx).Should(Succeed(), "the operator's public key")
	waitAdmission(ctx)
}

// waitAdmission waits until the apiserver can call the pod webhook: the
// caBundle can name a new CA before the webhook server serves the new
// certificate (its files are polled). A pod created through the webhook
// before then is refused. The probe is a server-side dry run, whether the
// webhook then admits it or not.
func waitAdmission(ctx context.Context) {
	GinkgoHelper()
	probe := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"admission-probe","namespace":"default",` +
		`"labels":{"lightning.ai/app":"admission-probe"}},"spec":{"containers":[{"name":"c","image":"probe"}]}}`
	Eventually(func() string {
		out, _ := kubectlErr(ctx, probe, "create", "--dry-run=server", "-f", "-")
		return out
	}).WithContext(ctx).Should(Or(ContainSubstring("(server dry run)"), ContainSubstring(`admission webhook "pod-env.lightning.ai" denied`)),
		"the apiserver calling the pod webhook")
}

// applyBundle applies config/default with the manager image set to image,
// as `make build-installer IMG=image` writes dist/install.yaml, and args
// added to the manager's.
func applyBundle(ctx context.Context, image string, args ...string) {
	GinkgoHelper()
	dir, err := os.MkdirTemp(workDir, "installer-")
	Expect(err).NotTo(HaveOccurred())
	// kustomize takes no absolute resource path.
	base, err := filepath.Rel(dir, filepath.Join(repoRoot, "config", "default"))
	Expect(err).NotTo(HaveOccurred())
	colon := strings.LastIndexByte(image, ':') // both images have a tag
	kustomization := fmt.Sprintf("resources:\n- %s\nimages:\n- name: controller\n  newName: %s\n  newTag: %q\n",
		base, image[:colon], image[colon+1:])
	if len(args) > 0 {
		kustomization += "patches:\n- target:\n    kind: Deployment\n    labelSelector: control-plane=controller-manager\n  patch: |-\n"
		for _, arg := range args {
			kustomization += fmt.Sprintf("    - op: add\n      path: /spec/template/spec/containers/0/args/-\n      value: %q\n", arg)
		}
	}
	Expect(os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(kustomization), 0o644)).To(Succeed())
	bundle := kubectl(ctx, "", "kustomize", dir)
	Expect(bundle).To(ContainSubstring("image: " + image + "\n"))
	kubectl(ctx, bundle, "apply", "--server-side", "--force-conflicts", "--field-manager="+fieldManager, "-f", "-")
}

// applyLocalWebhook applies config/local: the webhook by URL, on the
// operator's webhook port, for the operator on this host.
func applyLocalWebhook(ctx context.Context) {
	GinkgoHelper()
	manifests := kubectl(ctx, "", "kustomize", filepath.Join(repoRoot, "config", "local"))
	Expect(manifests).To(ContainSubstring("https://127.0.0.1:9443/mutate--v1-pod"))
	manifests = strings.ReplaceAll(manifests, "https://127.0.0.1:9443/", fmt.Sprintf("https://127.0.0.1:%d/", operator.WebhookPort))
	kubectl(ctx, manifests, "apply", "--server-side", "--force-conflicts", "--field-manager="+fieldManager, "-f", "-")
}

func stopOperator() {
	GinkgoHelper()
	Expect(cluster.StopProcess("manager")).To(Succeed())
}

func dumpLog(name string, lines int) {
	data, err := os.ReadFile(filepath.Join(cluster.Dir, "logs", name+".log"))
	if err != nil {
		return
	}
	all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	GinkgoWriter.Printf("--- last %d lines of %s.log\n%s\n---\n", len(all), name, strings.Join(all, "\n"))
}

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
// operator (bin/manager built from main.go), the CLI (kubectl-lightning) and
// kubectl, against a local cluster (test/localcluster: etcd,
// kube-apiserver with Secrets encrypted at rest, kube-controller-manager,
// and, where the machine allows, a node: kube-scheduler, the kubelet,
// containerd and runc). The install bundle (config/default) is applied for
// real; config/local then points the webhook at the operator on this host,
// as `make demo` does. The bundle's own manager pods never serve (their
// release image is not on the node), except in "On the node, the operator
// in-cluster": there the bundle gets the image hack/image builds, imported
// into the node, with the host operator stopped, and is set back after.
//
// On the node, the apps run test/images/demo-app, whose processes print the
// sha256 of each secret they were given; the node specs compare it with the
// sealed value's. Without a node (not root, or no runtime installed), pods
// stay Pending, the node specs skip with the reason, and the rest still
// runs: ReplicaSets and Pods are made, the webhook is called, and garbage
// collection works.
//
// The suite skips, with a message, only when the Kubernetes binaries are
// missing; `make test` builds them first.
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/test/images"
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

	cluster     *localcluster.Cluster
	k8sClient   client.Client // live, uncached: what the apiserver holds now
	webhookPort int
	probePort   int
	operator    localcluster.Operator

	suiteFailed bool
)

func TestE2E(t *testing.T) {
	if msg := missingBinaries(); msg != "" {
		t.Skip(msg)
	}
	RegisterFailHandler(Fail)
	SetDefaultEventuallyTimeout(3 * time.Minute)
	SetDefaultEventuallyPollingInterval(time.Second)
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

var _ = BeforeSuite(func(ctx SpecContext) {
	kubectlBin = filepath.Join(k8sBinDir, "kubectl")

	var err error
	workDir, err = os.MkdirTemp("", "lightning-e2e-")
	Expect(err).NotTo(HaveOccurred())
	GinkgoWriter.Printf("Work directory: %s\n", workDir)

	By("building the operator, the CLI and the node's images")
	binDir := filepath.Join(workDir, "bin")
	managerBin = filepath.Join(binDir, "manager")
	cliBin = filepath.Join(binDir, "kubectl-lightning")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i, b := range []struct{ out, pkg string }{{managerBin, "."}, {cliBin, "./cmd/kubectl-lightning"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.CommandContext(ctx, "go", "build", "-o", b.out, b.pkg)
			cmd.Dir = repoRoot
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("go build %s: %v\n%s", b.pkg, err, out)
			}
		}()
	}
	var tarballs []string
	wg.Add(1)
	go func() {
		defer wg.Done()
		tarballs, errs[2] = images.Build(ctx, repoRoot, filepath.Join(workDir, "images"))
	}()
	// The manager's image, as `make image IMG=...` builds it, for the specs
	// that run the operator in-cluster on the node.
	managerTarball := filepath.Join(workDir, "images", "manager.tar")
	if localcluster.NodeSupport() == nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.CommandContext(ctx, "go", "run", "./hack/image", "--name", managerImage, "--out", managerTarball)
			cmd.Dir = repoRoot
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[3] = fmt.Errorf("go run ./hack/image: %v\n%s", err, out)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		Expect(err).NotTo(HaveOccurred())
	}
	if localcluster.NodeSupport() == nil {
		tarballs = append(tarballs, managerTarball)
	}

	By("starting the control plane and, where this machine can run one, a node")
	start := time.Now()
	cluster, err = localcluster.Start(ctx, filepath.Join(workDir, "cluster"), localcluster.Options{
		BinDir: k8sBinDir, Timeout: 5 * time.Minute, Progress: GinkgoWriter, Node: true, Images: tarballs,
	})
	Expect(err).NotTo(HaveOccurred())
	if cluster.HasNode {
		GinkgoWriter.Printf("Cluster and node Ready after %s\n", time.Since(start).Round(100*time.Millisecond))
	} else {
		fmt.Fprintf(os.Stderr, "e2e: node cases skipped: %s\n", cluster.NodeSkipped)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", cluster.Kubeconfig)
	Expect(err).NotTo(HaveOccurred())
	scheme := clientgoscheme.Scheme
	Expect(lightningv1alpha1.AddToScheme(scheme)).To(Succeed())
	k8sClient, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())

	By("applying the install bundle (config/default) for real, with a release image")
	applyBundle(ctx, releaseImage)

	By("applying config/local over it: the webhook by URL, since the operator runs on this host")
	webhookPort, err = localcluster.FreePort()
	Expect(err).NotTo(HaveOccurred())
	probePort, err = localcluster.FreePort()
	Expect(err).NotTo(HaveOccurred())
	applyLocalWebhook(ctx)
	kubectl(ctx, "", "wait", "--for=condition=Established", "--timeout=60s",
		"crd/lightningsecrets.lightning.ai", "crd/lightningapps.lightning.ai")

	By("starting the operator as its ServiceAccount")
	operator = localcluster.Operator{
		Kubeconfig:  filepath.Join(workDir, "operator.kubeconfig"),
		WebhookPort: webhookPort,
		ProbePort:   probePort,
		CertDir:     filepath.Join(workDir, "webhook-certs"),
		PresetsFile: filepath.Join(workDir, "compute-presets.yaml"),
	}
	Expect(cluster.WriteOperatorKubeconfig(operator.Kubeconfig)).To(Succeed())
	Expect(localcluster.WriteLocalPresets(operator.PresetsFile)).To(Succeed())
	startOperator(ctx)
}, NodeTimeout(20*time.Minute))

var _ = AfterEach(func() {
	if CurrentSpecReport().Failed() {
		suiteFailed = true
		dumpLog("manager", 80)
	}
})

var _ = AfterSuite(func() {
	if cluster != nil {
		Expect(cluster.Stop()).To(Succeed())
		Expect(localcluster.NodeLeftovers(cluster.Dir)).To(BeEmpty(), "what the stopped node left on the machine")
	}
	if workDir == "" {
		return
	}
	if suiteFailed {
		GinkgoWriter.Printf("Kept %s for the logs of the failed run\n", workDir)
		return
	}
	_ = os.RemoveAll(workDir)
})

// startOperator runs bin/manager as the demo does and waits until it is
// ready, its webhook's caBundle is set and its public key is published.
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
// as `make build-installer IMG=image` writes dist/install.yaml.
func applyBundle(ctx context.Context, image string) {
	GinkgoHelper()
	dir, err := os.MkdirTemp(workDir, "installer-")
	Expect(err).NotTo(HaveOccurred())
	// kustomize takes no absolute resource path.
	base, err := filepath.Rel(dir, filepath.Join(repoRoot, "config", "default"))
	Expect(err).NotTo(HaveOccurred())
	colon := strings.LastIndexByte(image, ':') // both images have a tag
	kustomization := fmt.Sprintf("resources:\n- %s\nimages:\n- name: controller\n  newName: %s\n  newTag: %q\n",
		base, image[:colon], image[colon+1:])
	Expect(os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(kustomization), 0o644)).To(Succeed())
	bundle := kubectl(ctx, "", "kustomize", dir)
	Expect(bundle).To(ContainSubstring("image: " + image + "\n"))
	kubectl(ctx, bundle, "apply", "--server-side", "--force-conflicts", "--field-manager="+fieldManager, "-f", "-")
}

// applyLocalWebhook applies config/local: the webhook by URL, on
// webhookPort, for the operator on this host.
func applyLocalWebhook(ctx context.Context) {
	GinkgoHelper()
	manifests := kubectl(ctx, "", "kustomize", filepath.Join(repoRoot, "config", "local"))
	Expect(manifests).To(ContainSubstring("https://127.0.0.1:9443/mutate--v1-pod"))
	manifests = strings.ReplaceAll(manifests, "https://127.0.0.1:9443/", fmt.Sprintf("https://127.0.0.1:%d/", webhookPort))
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

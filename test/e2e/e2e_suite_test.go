// Package e2e drives a user's path through the built binaries: the
// operator (bin/manager built from main.go), the CLI (kubectl-lightning) and
// kubectl, against a local control plane (internal/localcluster: etcd,
// kube-apiserver with Secrets encrypted at rest, kube-controller-manager).
// The install bundle (config/default) is applied for real; config/local then
// points the webhook at the operator on this host, as `make demo` does. The
// bundle's own manager pods stay Pending (no kubelet) and never serve.
//
// No kubelet runs, so pods stay Pending, but kube-controller-manager makes
// ReplicaSets and Pods from the operator's Deployments, the apiserver calls
// the operator's webhook for them, and garbage collection works.
//
// The suite skips, with a message, only when the control-plane binaries
// are missing; `make test` builds them first.
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
	"github.com/lightning-operator/lightning-operator/internal/localcluster"
)

const (
	operatorNamespace = localcluster.OperatorNamespace
	operatorSA        = localcluster.OperatorServiceAccount
	webhookConfigName = localcluster.WebhookConfigName
	fieldManager      = "lightning-e2e"
	image             = "registry.example/e2e-app:1.0"
	releaseImage      = "ghcr.io/lightning-operator/lightning-operator:v0.1.0"
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
	for _, b := range []string{localcluster.Etcd, localcluster.APIServer, localcluster.ControllerManager, "kubectl"} {
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

	By("building the operator and the CLI")
	binDir := filepath.Join(workDir, "bin")
	managerBin = filepath.Join(binDir, "manager")
	cliBin = filepath.Join(binDir, "kubectl-lightning")
	var wg sync.WaitGroup
	errs := make([]error, 2)
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
	wg.Wait()
	for _, err := range errs {
		Expect(err).NotTo(HaveOccurred())
	}

	By("starting etcd, kube-apiserver and kube-controller-manager")
	cluster, err = localcluster.Start(ctx, filepath.Join(workDir, "cluster"), localcluster.Options{
		BinDir: k8sBinDir, Timeout: 5 * time.Minute, Progress: GinkgoWriter,
	})
	Expect(err).NotTo(HaveOccurred())
	cfg, err := clientcmd.BuildConfigFromFlags("", cluster.Kubeconfig)
	Expect(err).NotTo(HaveOccurred())
	scheme := clientgoscheme.Scheme
	Expect(lightningv1alpha1.AddToScheme(scheme)).To(Succeed())
	k8sClient, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())

	By("applying the install bundle (config/default) for real, with a release image")
	bundle := kubectl(ctx, "", "kustomize", filepath.Join(repoRoot, "config", "default"))
	Expect(bundle).To(ContainSubstring("image: controller:latest"))
	bundle = strings.ReplaceAll(bundle, "image: controller:latest", "image: "+releaseImage)
	kubectl(ctx, bundle, "apply", "--server-side", "--field-manager="+fieldManager, "-f", "-")

	By("applying config/local over it: the webhook by URL, since the operator runs on this host")
	webhookPort, err = localcluster.FreePort()
	Expect(err).NotTo(HaveOccurred())
	probePort, err = localcluster.FreePort()
	Expect(err).NotTo(HaveOccurred())
	manifests := kubectl(ctx, "", "kustomize", filepath.Join(repoRoot, "config", "local"))
	Expect(manifests).To(ContainSubstring("https://127.0.0.1:9443/mutate--v1-pod"))
	manifests = strings.ReplaceAll(manifests, "https://127.0.0.1:9443/", fmt.Sprintf("https://127.0.0.1:%d/", webhookPort))
	kubectl(ctx, manifests, "apply", "--server-side", "--force-conflicts", "--field-manager="+fieldManager, "-f", "-")
	kubectl(ctx, "", "wait", "--for=condition=Established", "--timeout=60s",
		"crd/lightningsecrets.lightning.ai", "crd/lightningapps.lightning.ai")

	By("starting the operator as its ServiceAccount")
	operator = localcluster.Operator{
		Kubeconfig:  filepath.Join(workDir, "operator.kubeconfig"),
		WebhookPort: webhookPort,
		ProbePort:   probePort,
		CertDir:     filepath.Join(workDir, "webhook-certs"),
	}
	Expect(cluster.WriteOperatorKubeconfig(operator.Kubeconfig)).To(Succeed())
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

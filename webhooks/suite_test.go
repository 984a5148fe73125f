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

package webhooks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"strconv"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/certs"
	"github.com/lightning-operator/lightning-operator/internal/testenv"
)

// The suite runs the real kube-apiserver and etcd, installs
// config/webhook/manifests.yaml (pointed at a local TLS server by envtest),
// and runs a manager whose webhook server the apiserver calls.

const (
	// defaultOperatorNamespace is excluded by the generated manifest.
	defaultOperatorNamespace = "lightning-system"
	// suiteOperatorNamespace is the namespace the suite's operator runs in;
	// only the run-time selector check excludes it.
	suiteOperatorNamespace = "lightning-ops"
	// generatedConfigName is controller-gen's name, before kustomize's prefix.
	generatedConfigName = "mutating-webhook-configuration"
)

var (
	env       *envtest.Environment
	restCfg   *rest.Config
	k8sClient client.Client // live: every read reaches the apiserver
	ctx       context.Context
	cancel    context.CancelFunc
)

func TestWebhooks(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Pod webhook suite")
}

func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	Expect(clientgoscheme.AddToScheme(s)).To(Succeed())
	Expect(lightningv1alpha1.AddToScheme(s)).To(Succeed())
	return s
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	ctx, cancel = context.WithCancel(context.Background())

	var err error
	env, err = testenv.New(testenv.Options{WithWebhooks: true})
	Expect(err).NotTo(HaveOccurred())
	restCfg, err = env.Start()
	Expect(err).NotTo(HaveOccurred())

	scheme := newScheme()
	k8sClient, err = client.New(restCfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())

	wio := &env.WebhookInstallOptions
	mgr, err := ctrl.NewManager(restCfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		WebhookServer: webhook.NewServer(webhook.Options{
			Host: wio.LocalServingHost, Port: wio.LocalServingPort, CertDir: wio.LocalServingCertDir,
		}),
	})
	Expect(err).NotTo(HaveOccurred())
	Expect(SetupPodWebhook(mgr, Options{OperatorNamespace: suiteOperatorNamespace})).To(Succeed())
	// The configuration's one writer, as main.go runs it with cert-manager
	// (envtest serves the TLS here): it keeps the selectors.
	_, err = certs.Setup(mgr, certs.Options{
		Mode: certs.ModeExternal, WebhookConfigName: generatedConfigName,
		ConfigureWebhook: KeepSelectors(suiteOperatorNamespace), CheckInterval: time.Second,
	})
	Expect(err).NotTo(HaveOccurred())
	registerSidecarWebhook(mgr)

	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
	waitForWebhookServer(wio)

	for _, ns := range []string{"alice", "bob", defaultOperatorNamespace, suiteOperatorNamespace} {
		Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
	}
})

var _ = AfterSuite(func() {
	if cancel != nil {
		cancel()
	}
	if env != nil {
		Expect(env.Stop()).To(Succeed())
	}
})

// waitForWebhookServer waits until the manager serves TLS with envtest's certificate.
func waitForWebhookServer(wio *envtest.WebhookInstallOptions) {
	pool := x509.NewCertPool()
	Expect(pool.AppendCertsFromPEM(wio.LocalServingCAData)).To(BeTrue())
	addr := net.JoinHostPort(wio.LocalServingHost, strconv.Itoa(wio.LocalServingPort))
	Eventually(func() error {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", addr,
			&tls.Config{RootCAs: pool, ServerName: wio.LocalServingHost})
		if err != nil {
			return err
		}
		return conn.Close()
	}).WithTimeout(20 * time.Second).Should(Succeed())
}

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

package certs

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
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
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/lightning-operator/lightning-operator/internal/testenv"
)

const operatorNamespace = "lightning-system"

var (
	env       *envtest.Environment
	restCfg   *rest.Config
	scheme    *runtime.Scheme
	k8sClient client.Client // live
	ctx       context.Context
	cancel    context.CancelFunc
)

func TestCerts(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Webhook certificates suite")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	ctx, cancel = context.WithCancel(context.Background())
	var err error
	env, err = testenv.New(testenv.Options{})
	Expect(err).NotTo(HaveOccurred())
	restCfg, err = env.Start()
	Expect(err).NotTo(HaveOccurred())
	scheme = runtime.NewScheme()
	Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	k8sClient, err = client.New(restCfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: operatorNamespace}})).To(Succeed())
})

var _ = AfterSuite(func() {
	if cancel != nil {
		cancel()
	}
	if env != nil {
		Expect(env.Stop()).To(Succeed())
	}
})

// replica is one operator process: a manager with a webhook server on its
// own port and CertDir, and the certificates set up.
type replica struct {
	name    string
	mgr     ctrl.Manager
	port    int
	certDir string
	ready   healthz.Checker
	cancel  context.CancelFunc
	done    chan struct{}
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// annotator is a trivial mutating webhook: it marks ConfigMaps with the
// replica that admitted them.
type annotator struct{ replica string }

func (a annotator) Default(_ context.Context, cm *corev1.ConfigMap) error {
	if cm.Annotations == nil {
		cm.Annotations = map[string]string{}
	}
	cm.Annotations["certs.test/"+a.replica] = "seen"
	return nil
}

const annotatePath = "/annotate"

// newReplica builds a replica and runs certs.Setup; it does not start it.
func newReplica(name string, opts Options, leaderElect bool) *replica {
	r := &replica{name: name, port: freePort(), done: make(chan struct{})}
	r.certDir = filepath.Join(GinkgoT().TempDir(), "certs")
	var err error
	r.mgr, err = ctrl.NewManager(restCfg, ctrl.Options{
		Scheme:                  scheme,
		Metrics:                 metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress:  "0",
		LeaderElection:          leaderElect,
		LeaderElectionID:        "certs-test-" + opts.SecretName,
		LeaderElectionNamespace: operatorNamespace,
		WebhookServer: webhook.NewServer(webhook.Options{
			Host: "127.0.0.1", Port: r.port, CertDir: r.certDir,
		}),
		// Every replica runs the same controllers in this one process.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	Expect(err).NotTo(HaveOccurred())
	r.mgr.GetWebhookServer().Register(annotatePath, admission.WithDefaulter[*corev1.ConfigMap](scheme, annotator{replica: name}))
	opts.Namespace = operatorNamespace
	r.ready, err = Setup(r.mgr, opts)
	Expect(err).NotTo(HaveOccurred())
	return r
}

func (r *replica) start() {
	var c context.Context
	c, r.cancel = context.WithCancel(ctx)
	go func() {
		defer GinkgoRecover()
		defer close(r.done)
		Expect(r.mgr.Start(c)).To(Succeed())
	}()
	DeferCleanup(r.stop)
}

func (r *replica) stop() {
	if r.cancel != nil {
		r.cancel()
		<-r.done
		r.cancel = nil
	}
}

func (r *replica) url() string {
	return "https://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port)) + annotatePath
}

// servedSerial is the serial of the certificate the replica serves now.
func (r *replica) servedSerial() (string, error) {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp",
		net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port)), &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // reads the serial only
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.Text(16), nil
}

func (r *replica) fileCert() []byte {
	b, err := os.ReadFile(filepath.Join(r.certDir, KeyTLSCert))
	Expect(err).NotTo(HaveOccurred())
	return b
}

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

package operator_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/lightning-operator/lightning-operator/internal/certs"
	"github.com/lightning-operator/lightning-operator/internal/operator"
	"github.com/lightning-operator/lightning-operator/internal/testenv"
)

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// The secure metrics endpoint, wired as main.go wires it: controller-runtime's
// filter answers only a caller the apiserver authenticates and allows to get
// /metrics (401 without a token, 403 for a ServiceAccount without the
// metrics-reader role, 200 with it), and the server reads the webhook's
// CertDir, so a client that trusts only the CA published in the ConfigMap
// verifies it for the metrics Service's name, before and after the CA is
// replaced.
func TestSecureMetrics(t *testing.T) {
	cfg := testenv.Start(t)
	cs := kubernetes.NewForConfigOrDie(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	const (
		ns             = "lightning-system"
		configName     = "metrics-test"
		metricsService = "lightning-operator-controller-manager-metrics-service"
	)
	serverName := metricsService + "." + ns + ".svc"
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The leader patches the caBundle into it; no webhook is called here.
	if _, err := cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx,
		&admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: configName}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	addr := freePort(t)
	_, webhookPort, _ := net.SplitHostPort(freePort(t))
	port, _ := strconv.Atoi(webhookPort)
	certDir := t.TempDir()
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Metrics:                operator.MetricsOptions(addr, true, certDir),
		HealthProbeBindAddress: "0",
		WebhookServer:          webhook.NewServer(webhook.Options{Host: "127.0.0.1", Port: port, CertDir: certDir}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := certs.Setup(mgr, certs.Options{Namespace: ns, ServiceName: "lightning-operator-webhook-service",
		WebhookConfigName: configName, MetricsServiceName: metricsService, CertDir: certDir, CheckInterval: time.Second}); err != nil {
		t.Fatal(err)
	}
	mctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mctx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("the manager stopped with %v", err)
		}
	}()

	token := func(name string, reader bool) string {
		t.Helper()
		if _, err := cs.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if reader {
			role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "metrics-reader"},
				Rules: []rbacv1.PolicyRule{{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}}}
			if _, err := cs.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "scraper-reads-metrics"},
				RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "metrics-reader"},
				Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: "default", Name: name}}}
			if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		tr, err := cs.CoreV1().ServiceAccounts("default").CreateToken(ctx, name, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return tr.Status.Token
	}
	scraper, stranger := token("scraper", true), token("stranger", false)

	// published is what Prometheus gets through tlsConfig.ca: the ConfigMap's
	// ca.crt, which must hold certificates and nothing else.
	published := func() (*x509.CertPool, error) {
		cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, certs.DefaultCAConfigMapName, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		bundle := cm.Data[certs.KeyCACert]
		if len(cm.Data) != 1 || len(cm.BinaryData) != 0 || strings.Contains(bundle, "PRIVATE KEY") {
			t.Fatalf("ConfigMap %s holds more than ca.crt: keys %d, binary keys %d, a private key %t",
				certs.DefaultCAConfigMapName, len(cm.Data), len(cm.BinaryData), strings.Contains(bundle, "PRIVATE KEY"))
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(bundle)) {
			return nil, errors.New("ca.crt holds no certificate")
		}
		return pool, nil
	}
	// get scrapes as Prometheus does with the ServiceMonitor's tlsConfig: the
	// published CA only, and the Service's name, while dialling the pod.
	get := func(bearer string) (int, string, error) {
		pool, err := published()
		if err != nil {
			return 0, "", err
		}
		httpc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: serverName, MinVersion: tls.VersionTLS12}}}
		defer httpc.CloseIdleConnections()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+addr+"/metrics", nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := httpc.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), nil
	}
	scrape := func(what string) {
		t.Helper()
		var code int
		var body string
		var err error
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
			if code, body, err = get(scraper); err == nil && code == http.StatusOK {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the metrics reader got %d, %v", what, code, err)
			}
		}
		if !strings.Contains(body, "lightning_webhook_certificate_expiry_timestamp_seconds") {
			t.Errorf("%s: the metrics do not hold the operator's: %.200s", what, body)
		}
	}
	scrape("verifying against the published CA")

	for _, tt := range []struct {
		name   string
		bearer string
		want   int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"a token of a ServiceAccount without the role", stranger, http.StatusForbidden},
	} {
		code, _, err := get(tt.bearer)
		if err != nil || code != tt.want {
			t.Errorf("%s: %d, %v; want %d", tt.name, code, err, tt.want)
		}
	}
	// A forged token is not answered (controller-runtime's filter says 500
	// when the TokenReview cannot parse it).
	if code, body, err := get("not-a-token"); err != nil || code == http.StatusOK || strings.Contains(body, "controller_runtime") {
		t.Errorf("a forged token: %d, %v, and %d bytes", code, err, len(body))
	}
	// Plain HTTP is not served.
	if resp, err := (&http.Client{Timeout: 2 * time.Second}).Get("http://" + addr + "/metrics"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP served the metrics")
		}
	}

	// Only a name the certificate carries verifies: another name does not.
	pool, err := published()
	if err != nil {
		t.Fatal(err)
	}
	served := func(cfg *tls.Config) (*x509.Certificate, error) {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", addr, cfg)
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0], nil
	}
	if _, err := served(&tls.Config{RootCAs: pool, ServerName: "elsewhere." + ns + ".svc", MinVersion: tls.VersionTLS12}); err == nil {
		t.Error("the metrics certificate verified for a name it should not carry")
	}
	first, err := served(&tls.Config{RootCAs: pool, ServerName: serverName, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}

	// A new CA (the Secret lost, so the leader makes another): the endpoint
	// reloads the new certificate and the ConfigMap follows, so the scraper
	// verifies again without a restart.
	if err := cs.CoreV1().Secrets(ns).Delete(ctx, certs.DefaultSecretName, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	var last error
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
		if last = func() error {
			pool, err := published()
			if err != nil {
				return err
			}
			c, err := served(&tls.Config{RootCAs: pool, ServerName: serverName, MinVersion: tls.VersionTLS12})
			if err != nil {
				return err
			}
			if c.SerialNumber.Cmp(first.SerialNumber) == 0 {
				return fmt.Errorf("still serving serial %s", c.SerialNumber.Text(16))
			}
			return nil
		}(); last == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a new CA, the endpoint serves no new certificate that verifies against the published CA: %v", last)
		}
	}
	scrape("after the CA was replaced")
}

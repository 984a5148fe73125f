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

// Package certs gives the pod webhook its TLS, and the metrics endpoint
// the same certificate.
//
// In the default mode (self) the operator is its own small PKI:
//
//   - A Secret in the operator's namespace (lightning-operator-webhook-tls,
//     labelled app.kubernetes.io/managed-by=lightning-operator so the
//     manager's label-selected cache sees it) holds a CA and a serving
//     certificate for the webhook Service's DNS names.
//   - Before the manager starts, Setup loads that Secret, creates it if it is
//     missing, or repairs it if it cannot be served, and writes tls.crt and
//     tls.key into the webhook server's CertDir. The webhook server needs the
//     files at start; after that its certwatcher reloads them on change.
//   - The leader (controller webhook-certificate) renews the serving
//     certificate two thirds through its life (1 year by default), and the
//     CA two thirds through its (10 years). A new CA joins the trust bundle
//     at once but only signs after a propagation delay, and the old CA
//     stays trusted until it expires, so no apiserver ever meets a
//     certificate it cannot verify. The leader (controller
//     webhook-configuration) patches the bundle into the
//     MutatingWebhookConfiguration's caBundle on every change of the
//     Secret or of the configuration, and checks it every CheckInterval.
//   - Every replica (controller webhook-certificate-files, which needs no
//     leader election) watches the Secret through the cache and writes its
//     certificate to disk, so all replicas serve the same certificate.
//   - The readiness check passes once the webhook server serves a
//     certificate that verifies against the Secret's trust bundle.
//
// Each of these jobs is a controller-runtime controller of one named
// object: its events run it at once, RequeueAfter when it is next due, and
// an error is retried with the workqueue's backoff (a second, doubling up
// to the interval).
//
// In external mode (cert-manager, config/certmanager) the operator touches
// neither Secret nor caBundle: the certificate is mounted into CertDir and
// cainjector fills the caBundle. The readiness check then only waits for the
// webhook server.
//
// With MetricsServiceName set, the metrics server reads the same CertDir
// (main.go), so it serves this certificate: in self mode it also names the
// metrics Service. Prometheus verifies it against the CAs the leader
// publishes, certificates only, in a ConfigMap (DefaultCAConfigMapName): in
// self mode the trust bundle, with the same propagation delay as the
// caBundle; in external mode the ca.crt cert-manager mounts beside the
// certificate.
package certs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/go-logr/logr"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
)

// The TLS Secret lives in the operator's namespace; the webhook
// configuration's caBundle is patched by the leader, which watches it
// through the cache (one name: operator.CacheOptions).
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update,namespace=system
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=mutatingwebhookconfigurations,verbs=get;list;watch;patch,resourceNames=lightning-operator-mutating-webhook-configuration
// The leader publishes the CA for the metrics endpoint's scrapers.
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;create;update,namespace=system

// Mode selects who provides the webhook's TLS.
type Mode string

const (
	// ModeSelf: the operator creates, rotates and distributes its own CA and
	// serving certificate. The default.
	ModeSelf Mode = "self"
	// ModeExternal: something else (cert-manager) mounts the certificate into
	// CertDir and injects the caBundle.
	ModeExternal Mode = "external"
)

// ParseMode reads a --webhook-tls value.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case ModeSelf, ModeExternal:
		return Mode(s), nil
	case "":
		return ModeSelf, nil
	}
	return "", fmt.Errorf("unknown webhook TLS mode %q: use %q or %q", s, ModeSelf, ModeExternal)
}

// Defaults of Options.
const (
	DefaultSecretName    = "lightning-operator-webhook-tls"
	DefaultCALifetime    = 10 * 365 * 24 * time.Hour
	DefaultCertLifetime  = 365 * 24 * time.Hour
	DefaultCAPropagation = 10 * time.Minute
	DefaultCheckInterval = time.Minute
	DefaultSyncInterval  = time.Minute

	// DefaultCAConfigMapName is where a ServiceMonitor's tlsConfig.ca finds
	// the CA of the metrics endpoint (config/prometheus).
	DefaultCAConfigMapName = "lightning-operator-metrics-ca"
)

// Options configure Setup. Namespace, ServiceName and WebhookConfigName are
// required in self mode.
type Options struct {
	// Mode is ModeSelf (default) or ModeExternal.
	Mode Mode
	// Namespace is the operator's namespace: the Secret and the Service live there.
	Namespace string
	// ServiceName is the webhook Service; the certificate is for
	// <ServiceName>.<Namespace>.svc and <ServiceName>.<Namespace>.svc.cluster.local.
	ServiceName string
	// WebhookConfigName is the MutatingWebhookConfiguration whose caBundle
	// the leader keeps up to date (every webhook in it).
	WebhookConfigName string
	// SecretName holds the CA and the serving certificate. Default DefaultSecretName.
	SecretName string
	// MetricsServiceName, when set, says the metrics endpoint serves this
	// certificate too (its server reads CertDir): in self mode the
	// certificate also names <MetricsServiceName>.<Namespace>.svc and
	// .svc.cluster.local, and in both modes the leader publishes the CAs
	// that verify it in ConfigMap CAConfigMapName. Namespace is then required.
	MetricsServiceName string
	// CAConfigMapName holds ca.crt for the metrics endpoint's scrapers.
	// Default DefaultCAConfigMapName.
	CAConfigMapName string
	// ExtraHosts are added to the certificate: IP addresses or DNS names
	// (for a webhook reached by URL, as in tests or out-of-cluster runs).
	ExtraHosts []string
	// CertDir is where tls.crt and tls.key are written. Default: the
	// webhook server's CertDir (controller-runtime's default when unset).
	CertDir string
	// WebhookAddress is where the readiness check dials the webhook server.
	// Default: the webhook server's host (127.0.0.1 when it listens on all
	// addresses) and port.
	WebhookAddress string
	// CALifetime and CertLifetime: 10 years and 1 year. Each is renewed two
	// thirds through its life.
	CALifetime   time.Duration
	CertLifetime time.Duration
	// CAPropagation is how long a new CA is trusted before it signs.
	CAPropagation time.Duration
	// CheckInterval is the longest time between two checks by the leader
	// of the Secret, the webhook configuration and the published CA,
	// besides their events (the ConfigMap and a mounted ca.crt have none),
	// and the longest backoff after a failed check.
	CheckInterval time.Duration
	// SyncInterval is how often every replica re-reads the Secret from the
	// cache, besides reacting to its events.
	SyncInterval time.Duration
	// BootstrapTimeout bounds the API calls Setup makes. Default 30s.
	BootstrapTimeout time.Duration
	// ConfigureWebhook, if set, is applied to every webhook of the
	// configuration on each check, in the same patch as the caBundle (in
	// both modes), and reports whether it changed the webhook. The leader
	// is thus the configuration's one writer.
	ConfigureWebhook func(*admissionregistrationv1.MutatingWebhook) bool
}

func (o *Options) complete(mgr ctrl.Manager) error {
	if o.Namespace == "" || o.ServiceName == "" || o.WebhookConfigName == "" {
		return errors.New("self-managed webhook TLS needs the operator namespace, the webhook Service name and the webhook configuration name")
	}
	if o.SecretName == "" {
		o.SecretName = DefaultSecretName
	}
	defaultDuration(&o.CALifetime, DefaultCALifetime)
	defaultDuration(&o.CertLifetime, DefaultCertLifetime)
	defaultDuration(&o.CAPropagation, DefaultCAPropagation)
	defaultDuration(&o.CheckInterval, DefaultCheckInterval)
	defaultDuration(&o.SyncInterval, DefaultSyncInterval)
	defaultDuration(&o.BootstrapTimeout, 30*time.Second)
	if o.CertLifetime > o.CALifetime {
		return fmt.Errorf("the serving certificate lifetime %s exceeds the CA lifetime %s", o.CertLifetime, o.CALifetime)
	}

	srv := serverOptions(mgr)
	o.CertDir = certDir(o.CertDir, srv)
	if (srv.CertName != "" && srv.CertName != KeyTLSCert) || (srv.KeyName != "" && srv.KeyName != KeyTLSKey) {
		return fmt.Errorf("the webhook server must read %s and %s from its CertDir", KeyTLSCert, KeyTLSKey)
	}
	if o.WebhookAddress == "" {
		host, port := srv.Host, srv.Port
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		if port == 0 {
			port = webhook.DefaultPort
		}
		o.WebhookAddress = net.JoinHostPort(host, strconv.Itoa(port))
	}
	return nil
}

// DefaultCertDir is controller-runtime's default CertDir of the webhook
// server, where Setup writes the certificate when no CertDir is given.
func DefaultCertDir() string {
	return filepath.Join(os.TempDir(), "k8s-webhook-server", "serving-certs")
}

func serverOptions(mgr ctrl.Manager) webhook.Options {
	if ds, ok := mgr.GetWebhookServer().(*webhook.DefaultServer); ok {
		return ds.Options
	}
	return webhook.Options{}
}

// certDir is the given one, else the webhook server's, else the default.
func certDir(dir string, srv webhook.Options) string {
	switch {
	case dir != "":
		return dir
	case srv.CertDir != "":
		return srv.CertDir
	}
	return DefaultCertDir()
}

// publisher is nil unless the metrics endpoint serves the certificate.
func (o *Options) publisher(mgr ctrl.Manager, log logr.Logger) (*caPublisher, error) {
	if o.MetricsServiceName == "" {
		return nil, nil
	}
	if o.Namespace == "" {
		return nil, errors.New("publishing the metrics CA needs the operator namespace")
	}
	name := o.CAConfigMapName
	if name == "" {
		name = DefaultCAConfigMapName
	}
	return &caPublisher{reader: mgr.GetAPIReader(), writer: mgr.GetClient(),
		key: types.NamespacedName{Namespace: o.Namespace, Name: name}, log: log}, nil
}

func defaultDuration(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// serviceNames are the DNS names of a Service; the first is the
// certificate's common name and what the readiness check verifies.
func serviceNames(service, namespace string) []string {
	svc := service + "." + namespace + ".svc"
	return []string{svc, svc + ".cluster.local"}
}

func (o *Options) pkiConfig() *pkiConfig {
	cfg := &pkiConfig{
		dnsNames:      serviceNames(o.ServiceName, o.Namespace),
		caLifetime:    o.CALifetime,
		certLifetime:  o.CertLifetime,
		caPropagation: o.CAPropagation,
	}
	if o.MetricsServiceName != "" {
		cfg.dnsNames = append(cfg.dnsNames, serviceNames(o.MetricsServiceName, o.Namespace)...)
	}
	for _, h := range o.ExtraHosts {
		if ip := net.ParseIP(h); ip != nil {
			cfg.ips = append(cfg.ips, ip)
		} else {
			cfg.dnsNames = append(cfg.dnsNames, h)
		}
	}
	return cfg
}

// Setup prepares the webhook's TLS and returns the readiness check to add
// with mgr.AddReadyzCheck. In self mode it makes API calls before the
// manager starts (the webhook server needs its certificate files at
// start) and adds three controllers to mgr: the leader's rotator and
// configReconciler, and every replica's syncer. In external mode it adds
// the configReconciler alone, when it has something to keep.
func Setup(mgr ctrl.Manager, opts Options) (healthz.Checker, error) {
	mode, err := ParseMode(string(opts.Mode))
	if err != nil {
		return nil, err
	}
	log := mgr.GetLogger().WithName("webhook-certs")
	config := &configWriter{reader: mgr.GetAPIReader(), writer: mgr.GetClient(), configName: opts.WebhookConfigName,
		configure: opts.ConfigureWebhook, log: log}
	publisher, err := opts.publisher(mgr, log)
	if err != nil {
		return nil, err
	}
	if mode == ModeExternal {
		// cert-manager injects the caBundle; the leader still keeps the
		// rest, and publishes the CA cert-manager mounts for the scrapers.
		keepConfig := opts.ConfigureWebhook != nil && opts.WebhookConfigName != ""
		if keepConfig || publisher != nil {
			defaultDuration(&opts.CheckInterval, DefaultCheckInterval)
			r := &configReconciler{publisher: publisher, cache: mgr.GetCache(),
				caFile:   filepath.Join(certDir(opts.CertDir, serverOptions(mgr)), KeyCACert),
				key:      types.NamespacedName{Name: opts.WebhookConfigName},
				interval: opts.CheckInterval, log: log}
			if keepConfig {
				r.config = config
			} else {
				r.key = publisher.key
			}
			if err := r.setupWithManager(mgr); err != nil {
				return nil, err
			}
		}
		return mgr.GetWebhookServer().StartedChecker(), nil
	}
	if err := opts.complete(mgr); err != nil {
		return nil, err
	}
	st := &store{
		reader: mgr.GetAPIReader(),
		writer: mgr.GetClient(),
		key:    types.NamespacedName{Namespace: opts.Namespace, Name: opts.SecretName},
		cfg:    opts.pkiConfig(),
		log:    log,
	}
	files := &servedFiles{dir: opts.CertDir, cfg: st.cfg, address: opts.WebhookAddress, log: log}

	ctx, cancel := context.WithTimeout(context.Background(), opts.BootstrapTimeout)
	defer cancel()
	b, err := st.ensure(ctx, time.Now(), false)
	if err != nil {
		return nil, fmt.Errorf("loading the webhook certificate from Secret %s: %w", st.key, err)
	}
	if err := files.write(b); err != nil {
		return nil, err
	}

	if err := (&rotator{store: st, interval: opts.CheckInterval}).setupWithManager(mgr); err != nil {
		return nil, err
	}
	if err := (&configReconciler{config: config, publisher: publisher, secret: &st.key, cache: mgr.GetCache(),
		key: types.NamespacedName{Name: opts.WebhookConfigName}, interval: opts.CheckInterval, log: log}).setupWithManager(mgr); err != nil {
		return nil, err
	}
	if err := (&syncer{files: files, cache: mgr.GetCache(), key: st.key, interval: opts.SyncInterval, log: log}).setupWithManager(mgr); err != nil {
		return nil, err
	}
	log.Info("Prepared the webhook certificate", "secret", st.key, "certDir", opts.CertDir,
		"notAfter", b.serving.NotAfter, "dnsNames", st.cfg.dnsNames)
	return files.readyCheck, nil
}

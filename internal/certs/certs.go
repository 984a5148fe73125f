// Package certs gives the pod webhook its TLS.
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
//   - The leader (a leader-elected runnable) renews the serving certificate
//     two thirds through its life (1 year by default), and the CA two thirds
//     through its (10 years). A new CA joins the trust bundle at once but
//     only signs after a propagation delay, and the old CA stays trusted
//     until it expires, so no apiserver ever meets a certificate it cannot
//     verify. The leader patches the bundle into the
//     MutatingWebhookConfiguration's caBundle, and checks it every
//     CheckInterval.
//   - Every replica (a runnable that needs no leader election) watches the
//     Secret through the cache and writes its certificate to disk, so all
//     replicas serve the same certificate.
//   - The readiness check passes once the webhook server serves a
//     certificate that verifies against the Secret's trust bundle.
//
// In external mode (cert-manager, config/certmanager) the operator touches
// neither Secret nor caBundle: the certificate is mounted into CertDir and
// cainjector fills the caBundle. The readiness check then only waits for the
// webhook server.
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

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/lightning-operator/lightning-operator/internal/periodic"
)

// The TLS Secret lives in the operator's namespace; the webhook
// configuration's caBundle is patched by the leader.
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update,namespace=system
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=mutatingwebhookconfigurations,verbs=get;patch,resourceNames=lightning-operator-mutating-webhook-configuration

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
	// CheckInterval is how often the leader re-reads the Secret and the
	// webhook configuration (to restore a caBundle someone reset).
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

	var srv webhook.Options
	if ds, ok := mgr.GetWebhookServer().(*webhook.DefaultServer); ok {
		srv = ds.Options
	}
	if o.CertDir == "" {
		o.CertDir = srv.CertDir
	}
	if o.CertDir == "" {
		// controller-runtime's own default.
		o.CertDir = filepath.Join(os.TempDir(), "k8s-webhook-server", "serving-certs")
	}
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

func defaultDuration(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

func (o *Options) pkiConfig() *pkiConfig {
	svc := o.ServiceName + "." + o.Namespace + ".svc"
	cfg := &pkiConfig{
		dnsNames:      []string{svc, svc + ".cluster.local"},
		caLifetime:    o.CALifetime,
		certLifetime:  o.CertLifetime,
		caPropagation: o.CAPropagation,
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
// start) and adds two runnables to mgr: the leader's rotator and every
// replica's syncer.
func Setup(mgr ctrl.Manager, opts Options) (healthz.Checker, error) {
	mode, err := ParseMode(string(opts.Mode))
	if err != nil {
		return nil, err
	}
	log := mgr.GetLogger().WithName("webhook-certs")
	config := &configWriter{reader: mgr.GetAPIReader(), writer: mgr.GetClient(), configName: opts.WebhookConfigName,
		configure: opts.ConfigureWebhook, log: log}
	if mode == ModeExternal {
		// cert-manager injects the caBundle; the leader still keeps the rest.
		if opts.ConfigureWebhook != nil && opts.WebhookConfigName != "" {
			defaultDuration(&opts.CheckInterval, DefaultCheckInterval)
			if err := mgr.Add(&periodic.Loop{
				Step:     func(ctx context.Context) (time.Time, error) { return time.Time{}, config.patch(ctx, nil) },
				Interval: opts.CheckInterval, LeaderOnly: true,
				Log: log, FailureMessage: "Failed to check the webhook configuration",
				KeysAndValues: []any{"configuration", opts.WebhookConfigName},
			}); err != nil {
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

	// Start the Secret informer with the cache, not lazily later.
	if _, err := mgr.GetCache().GetInformer(context.Background(), &corev1.Secret{}, cache.BlockUntilSynced(false)); err != nil {
		return nil, fmt.Errorf("registering the Secret informer: %w", err)
	}
	onSecret := func(ctx context.Context) (<-chan struct{}, func(), error) {
		return watchSecret(ctx, mgr.GetCache(), st.key)
	}
	r := &rotator{store: st, config: config}
	if err := mgr.Add(&periodic.Loop{
		Step: r.reconcile, Interval: opts.CheckInterval, Trigger: onSecret, LeaderOnly: true,
		Log: log, FailureMessage: "Failed to reconcile the webhook certificate",
		KeysAndValues: []any{"secret", st.key, "configuration", opts.WebhookConfigName},
	}); err != nil {
		return nil, err
	}
	s := &syncer{files: files, cache: mgr.GetCache(), key: st.key, log: log}
	if err := mgr.Add(&periodic.Loop{
		Step: s.sync, Interval: opts.SyncInterval, Trigger: onSecret,
		Log: log, FailureMessage: "Failed to sync the webhook certificate", KeysAndValues: []any{"secret", st.key},
	}); err != nil {
		return nil, err
	}
	log.Info("Prepared the webhook certificate", "secret", st.key, "certDir", opts.CertDir,
		"notAfter", b.serving.NotAfter, "dnsNames", st.cfg.dnsNames)
	return files.readyCheck, nil
}

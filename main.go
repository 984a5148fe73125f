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

// Command manager runs the lightning-operator: the LightningSecret and
// LightningApp controllers and the Pod env-injection webhook.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"go.uber.org/zap/zapcore"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/controllers"
	"github.com/lightning-operator/lightning-operator/internal/app"
	"github.com/lightning-operator/lightning-operator/internal/certs"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/kms"
	"github.com/lightning-operator/lightning-operator/internal/operator"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
	"github.com/lightning-operator/lightning-operator/webhooks"
)

var scheme = runtime.NewScheme()

func init() {
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(lightningv1alpha1.AddToScheme(scheme))
}

// options are the manager's command-line flags.
type options struct {
	metricsAddr       string
	metricsSecure     bool
	metricsCertDir    string
	metricsService    string
	probeAddr         string
	pprofAddr         string
	leaderElect       bool
	webhookPort       int
	webhookCertDir    string
	qps               float64
	burst             int
	operatorNamespace string
	watchNamespaces   string

	keyRotationPeriod  time.Duration
	keyCutoff          string
	defaultRecipients  string
	workers            int
	minRolloutInterval time.Duration
	computePresetsFile string

	webhookTLS         string
	webhookConfigName  string
	webhookServiceName string
	webhookCertHosts   []string

	webhookCALifetime    time.Duration
	webhookCertLifetime  time.Duration
	webhookCAPropagation time.Duration

	kmsEndpoint string
	kmsMigrate  bool
}

func (o *options) bind(fs *flag.FlagSet) {
	fs.StringVar(&o.metricsAddr, "metrics-bind-address", ":8443", "Address the metrics endpoint binds to; 0 disables it.")
	fs.BoolVar(&o.metricsSecure, "metrics-secure", true, "Serve metrics over HTTPS, answering only callers the apiserver authenticates and allows to get /metrics (the metrics-reader ClusterRole); false serves plain HTTP to anyone.")
	fs.StringVar(&o.metricsCertDir, "metrics-cert-dir", "", "Directory with tls.crt and tls.key for the metrics endpoint; empty serves the webhook's certificate, which then also names the metrics Service, and publishes its CA in the ConfigMap "+certs.DefaultCAConfigMapName+".")
	fs.StringVar(&o.metricsService, "metrics-service-name", "lightning-operator-controller-manager-metrics-service", "Service Prometheus scrapes the metrics through; without --metrics-cert-dir the serving certificate names it.")
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "Address the /healthz and /readyz endpoints bind to.")
	fs.StringVar(&o.pprofAddr, "pprof-bind-address", "0", "Address Go's /debug/pprof endpoints bind to, for profiling (such as 127.0.0.1:6060); 0 disables them.")
	fs.BoolVar(&o.leaderElect, "leader-elect", false, "Elect a leader, so only one replica reconciles and writes keys and certificates.")
	fs.IntVar(&o.webhookPort, "webhook-port", 9443, "Port the admission webhook serves on.")
	fs.StringVar(&o.webhookCertDir, "webhook-cert-dir", "", "Directory holding tls.crt and tls.key for the webhook (default: a temporary directory).")
	// controller-runtime limits each resource type on its own. At 500/1000
	// the limit never binds before the apiserver does (make bench-scale:
	// 2 status writes per app are the busiest type), yet still stops a
	// runaway loop; the apiserver's priority and fairness protects the rest.
	fs.Float64Var(&o.qps, "kube-api-qps", 500, "Queries per second to the Kubernetes API server, per resource type; -1 removes the client-side limit.")
	fs.IntVar(&o.burst, "kube-api-burst", 1000, "Burst of queries to the Kubernetes API server, per resource type.")
	fs.StringVar(&o.operatorNamespace, "operator-namespace", envOr("POD_NAMESPACE", "lightning-system"), "Namespace of the operator's keyring, certificates and public keys.")
	fs.StringVar(&o.watchNamespaces, "watch-namespaces", "", "Comma-separated namespaces whose LightningApps and LightningSecrets the operator serves (and the only ones the pod webhook is called for); empty serves every namespace. Needs the namespaced RBAC of config/namespaced.")
	fs.DurationVar(&o.keyRotationPeriod, "key-rotation-period", 720*time.Hour, "Age at which a new sealing key is made; old keys stay for opening.")
	fs.StringVar(&o.keyCutoff, "key-cutoff", "", "RFC 3339 time; a newest key made before it is replaced now (forces a rotation).")
	fs.StringVar(&o.defaultRecipients, "default-recipients-file", "", "PEM file of public keys (such as an offline recovery key, from 'kubectl lightning recovery-key generate') published beside the sealing keys; the CLI seals every value to them too.")
	fs.IntVar(&o.workers, "max-concurrent-reconciles", 4, "Reconciles run in parallel per controller.")
	fs.DurationVar(&o.minRolloutInterval, "min-rollout-interval", 30*time.Second, "Least time between two secret-driven rolls of one app; changes in between are batched.")
	fs.StringVar(&o.webhookTLS, "webhook-tls", "self", "Webhook TLS: 'self' (the operator keeps a CA and serving certificate in a Secret) or 'external' (cert-manager mounts them into --webhook-cert-dir).")
	fs.StringVar(&o.webhookConfigName, "webhook-config-name", "lightning-operator-mutating-webhook-configuration", "MutatingWebhookConfiguration whose caBundle and selectors the operator keeps.")
	fs.StringVar(&o.webhookServiceName, "webhook-service-name", "lightning-operator-webhook-service", "Service the apiserver calls the webhook through; the serving certificate names it.")
	fs.Func("webhook-cert-hosts", "Extra IP addresses or DNS names, comma-separated, for the self-managed serving certificate (a webhook reached by URL, as in 'make demo').", func(v string) error {
		for _, h := range strings.Split(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				o.webhookCertHosts = append(o.webhookCertHosts, h)
			}
		}
		return nil
	})
	fs.DurationVar(&o.webhookCALifetime, "webhook-ca-lifetime", certs.DefaultCALifetime, "Lifetime of the self-managed webhook CA; it is renewed two thirds through it.")
	fs.DurationVar(&o.webhookCertLifetime, "webhook-cert-lifetime", certs.DefaultCertLifetime, "Lifetime of the self-managed serving certificate, at most the CA's; it is renewed two thirds through it.")
	fs.DurationVar(&o.webhookCAPropagation, "webhook-ca-propagation", certs.DefaultCAPropagation, "How long a new webhook CA is only trusted (in the caBundle) before it signs.")
	fs.StringVar(&o.computePresetsFile, "compute-presets-file", "", "YAML file of cloudCompute presets (name: {cpu, memory, gpus}) laid over the defaults; mount it from a ConfigMap.")
	fs.StringVar(&o.kmsEndpoint, "kms-endpoint", "", "Kubernetes KMS v2 plugin (unix:///<socket>, a sidecar) that wraps the keyring: its private keys are stored encrypted under a data key the plugin wraps, so the Secret alone opens nothing. Empty keeps the keyring plain.")
	fs.BoolVar(&o.kmsMigrate, "kms-migrate", false, "Wrap a plain keyring found at start with --kms-endpoint's plugin (back it up first: kubectl lightning keyring backup). Without it a plain keyring keeps working, with a warning.")
}

// newKMS is the client of the KMS plugin --kms-endpoint names; nil without one.
func newKMS(endpoint string, migrate bool) (*kms.Client, error) {
	if endpoint == "" {
		if migrate {
			return nil, errors.New("--kms-migrate needs --kms-endpoint: it wraps the keyring with that KMS plugin")
		}
		return nil, nil
	}
	c, err := kms.New(endpoint, 0)
	if err != nil {
		return nil, fmt.Errorf("--kms-endpoint: %w", err)
	}
	return c, nil
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// bindLogFlags binds the --zap-* flags. Errors logged here are expected
// conditions (a forbidden call, a missing object) that carry their cause, so
// they get no stack trace unless --zap-stacktrace-level asks for one.
func bindLogFlags(fs *flag.FlagSet) *zap.Options {
	o := &zap.Options{StacktraceLevel: zapcore.PanicLevel}
	o.BindFlags(fs)
	return o
}

func main() {
	if os.Getenv("GOGC") == "" {
		// The heap is mostly the informer cache, which grows with the
		// objects: at 2,000 pairs the scale harness measured a peak RSS of
		// 100 MiB at 50 against 115 MiB at Go's 100, for no measurable CPU
		// (docs/performance.md). GOGC set by the admin wins.
		debug.SetGCPercent(50)
	}
	var opts options
	opts.bind(flag.CommandLine)
	zapOpts := bindLogFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(zapOpts)))

	if err := run(opts); err != nil {
		ctrl.Log.Error(err, "Manager exited")
		os.Exit(1)
	}
}

func run(opts options) error {
	log := ctrl.Log.WithName("setup")
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("loading kubeconfig: %w", err)
	}
	cfg.QPS = float32(opts.qps)
	cfg.Burst = opts.burst

	presets := app.DefaultPresets()
	if opts.computePresetsFile != "" {
		if presets, err = app.LoadPresets(opts.computePresetsFile); err != nil {
			return err
		}
	}
	var cutoff time.Time
	if opts.keyCutoff != "" {
		if cutoff, err = time.Parse(time.RFC3339, opts.keyCutoff); err != nil {
			return fmt.Errorf("--key-cutoff %q is not an RFC 3339 time (like 2026-11-29T00:00:00Z)", opts.keyCutoff)
		}
	}

	var recipients []*sealing.PublicKey
	if opts.defaultRecipients != "" {
		data, err := os.ReadFile(opts.defaultRecipients)
		if err != nil {
			return fmt.Errorf("--default-recipients-file: %w", err)
		}
		if recipients, err = sealing.ParsePublicKeysPEM(data); err != nil {
			return fmt.Errorf("--default-recipients-file %s: %w", opts.defaultRecipients, err)
		}
	}

	watch, err := operator.ParseWatchNamespaces(opts.watchNamespaces, opts.operatorNamespace)
	if err != nil {
		return err
	}
	kmsClient, err := newKMS(opts.kmsEndpoint, opts.kmsMigrate)
	if err != nil {
		return err
	}
	var keyWrapper keyring.KeyWrapper // a nil *kms.Client would not be a nil interface
	if kmsClient != nil {
		defer func() { _ = kmsClient.Close() }()
		keyWrapper = kmsClient
	}

	// Without --metrics-cert-dir the metrics server reads the webhook's
	// CertDir: one certificate, from the operator's CA (or cert-manager),
	// kept and rotated by internal/certs, reloaded by both servers.
	webhookCertDir := opts.webhookCertDir
	if webhookCertDir == "" {
		webhookCertDir = certs.DefaultCertDir()
	}
	metricsCertDir, metricsService := opts.metricsCertDir, ""
	if opts.metricsSecure && opts.metricsAddr != "0" && metricsCertDir == "" {
		metricsCertDir, metricsService = webhookCertDir, opts.metricsService
	}

	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme,
		Cache:                   operator.ScopeCache(operator.CacheOptions(opts.webhookConfigName), opts.operatorNamespace, watch),
		Metrics:                 operator.MetricsOptions(opts.metricsAddr, opts.metricsSecure, metricsCertDir),
		HealthProbeBindAddress:  opts.probeAddr,
		PprofBindAddress:        opts.pprofAddr,
		LeaderElection:          opts.leaderElect,
		LeaderElectionID:        "lightning-operator.lightning.ai",
		LeaderElectionNamespace: opts.operatorNamespace,
		// A stopping leader hands the Lease over at once rather than after
		// it expires; safe because the process exits when the manager ends.
		LeaderElectionReleaseOnCancel: true,
		WebhookServer: webhook.NewServer(webhook.Options{
			Port:    opts.webhookPort,
			CertDir: webhookCertDir,
		}),
	})
	if err != nil {
		return fmt.Errorf("creating manager: %w", err)
	}
	ctx := ctrl.SetupSignalHandler()
	tlsMode, err := certs.ParseMode(opts.webhookTLS)
	if err != nil {
		return err
	}
	if err := operator.Setup(ctx, mgr, operator.Options{
		Namespace:         opts.operatorNamespace,
		WatchNamespaces:   watch,
		KeyRotationPeriod: opts.keyRotationPeriod,
		KeyCutoff:         cutoff,
		DefaultRecipients: recipients,
		KMS:               keyWrapper,
		MigrateToKMS:      opts.kmsMigrate,
		Workers:           opts.workers,
		App:               controllers.AppOptions{Presets: presets, MinRolloutInterval: opts.minRolloutInterval},
		WebhookConfigName: opts.webhookConfigName,
		Webhook: &operator.WebhookOptions{
			TLS: certs.Options{Mode: tlsMode, Namespace: opts.operatorNamespace,
				ServiceName: opts.webhookServiceName, WebhookConfigName: opts.webhookConfigName,
				MetricsServiceName: metricsService, CertDir: webhookCertDir, ExtraHosts: opts.webhookCertHosts,
				CALifetime: opts.webhookCALifetime, CertLifetime: opts.webhookCertLifetime, CAPropagation: opts.webhookCAPropagation},
			Pod: webhooks.Options{OperatorNamespace: opts.operatorNamespace},
		},
	}); err != nil {
		return err
	}

	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("adding health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return fmt.Errorf("adding ready check: %w", err)
	}
	log.Info("Starting manager", "operatorNamespace", opts.operatorNamespace, "watchNamespaces", watch, "leaderElection", opts.leaderElect,
		"kmsEndpoint", opts.kmsEndpoint, "kmsMigrate", opts.kmsMigrate)
	return mgr.Start(ctx)
}

package certs

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

var (
	certExpiry = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "lightning_webhook_certificate_expiry_timestamp_seconds",
		Help: "When the webhook certificate this replica serves (serving) and the newest CA of its trust bundle (ca) expire, in Unix seconds.",
	}, []string{"certificate"})
	rotations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lightning_webhook_certificate_writes_total",
		Help: "Writes of the webhook certificate Secret by this replica, by action (created, rotated).",
	}, []string{"action"})
	caBundlePatches = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "lightning_webhook_cabundle_patches_total",
		Help: "Patches of the caBundle into the webhook configuration by this replica.",
	})
)

func init() {
	metrics.Registry.MustRegister(certExpiry, rotations, caBundlePatches)
}

func setExpiry(b *bundle) {
	if b.serving != nil {
		certExpiry.WithLabelValues("serving").Set(float64(b.serving.NotAfter.Unix()))
	}
	if len(b.cas) > 0 {
		certExpiry.WithLabelValues("ca").Set(float64(b.cas[0].cert.NotAfter.Unix()))
	}
}

package webhooks

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Results of an admitted pod.
const (
	// resultInjected: the webhook added or repointed env entries.
	resultInjected = "injected"
	// resultUnchanged: the pod already had everything (a reinvocation, or
	// containers that set every name themselves).
	resultUnchanged = "unchanged"
)

var (
	podInjections = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lightning_webhook_pod_injections_total",
		Help: "Pods admitted by the env-injection webhook, by result (injected, unchanged).",
	}, []string{"result"})
	podDenials = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lightning_webhook_pod_denials_total",
		Help: "Pods refused by the env-injection webhook, by reason.",
	}, []string{"reason"})
	podDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "lightning_webhook_pod_duration_seconds",
		Help: "Time the env-injection webhook's handler spends on a pod (cache lookup and mutation).",
		// 5 µs to about 1.3 s.
		Buckets: prometheus.ExponentialBuckets(5e-6, 4, 10),
	})
)

func init() {
	metrics.Registry.MustRegister(podInjections, podDenials, podDuration)
	// Export every series from the start, so rate() and alerts see zeros.
	for _, r := range []string{resultInjected, resultUnchanged} {
		podInjections.WithLabelValues(r)
	}
	for _, r := range []string{ReasonAppNotFound, ReasonSecretsNotResolved, ReasonUnknownComponent, ReasonForeignApp, ReasonLookupFailed} {
		podDenials.WithLabelValues(r)
	}
}

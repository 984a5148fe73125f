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

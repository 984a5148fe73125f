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

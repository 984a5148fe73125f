package controllers

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

var (
	opensTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lightning_secret_opens_total",
		Help: "Attempts to open a sealed LightningSecret value, by result reason (Sealed is success).",
	}, []string{"reason"})
	materializedTotal = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "lightning_app_secrets_materialized_total",
		Help: "Kubernetes Secrets written for LightningApps.",
	})
	rolloutsTotal = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "lightning_app_rollouts_total",
		Help: "Times an app's pod templates got a new secrets hash.",
	})
)

func init() {
	metrics.Registry.MustRegister(opensTotal, materializedTotal, rolloutsTotal)
}

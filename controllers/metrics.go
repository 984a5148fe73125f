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

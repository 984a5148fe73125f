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

package keysecret

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/periodic"
)

var (
	keyringAvailable = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "lightning_keyring_available",
		Help: "1 when the operator's keyring Secret was read and is sound; 0 when it is missing or corrupt.",
	})
	keyringKeys = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "lightning_keyring_keys",
		Help: "Number of sealing keys in the keyring.",
	})
	keyringRotations = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "lightning_keyring_rotations_total",
		Help: "Sealing keys added to the keyring, including the first.",
	})
)

func init() {
	metrics.Registry.MustRegister(keyringAvailable, keyringKeys, keyringRotations)
}

// Rotator runs the Writer on the leader: at start, then every interval.
type Rotator struct {
	writer       *Writer
	secretsExist SecretsExist
	interval     time.Duration
	recorder     recorder.EventRecorder

	healthy *bool
}

// NewRotator returns a leader-only runnable that keeps the keyring current.
func NewRotator(w *Writer, secretsExist SecretsExist, interval time.Duration, rec recorder.EventRecorder) *Rotator {
	if interval <= 0 {
		interval = time.Minute
	}
	return &Rotator{writer: w, secretsExist: secretsExist, interval: interval, recorder: rec}
}

// NeedLeaderElection makes only one replica write keys.
func (r *Rotator) NeedLeaderElection() bool { return true }

// Start syncs now and every interval until ctx ends. syncOnce reports its
// errors (log, Event, metric) and they are retried, never fatal: the
// controllers keep opening with the keys they have.
func (r *Rotator) Start(ctx context.Context) error {
	loop := &periodic.Loop{Interval: r.interval, LeaderOnly: true, Step: func(ctx context.Context) (time.Time, error) {
		r.syncOnce(ctx)
		return time.Time{}, nil
	}}
	return loop.Start(ctx)
}

func (r *Rotator) syncOnce(ctx context.Context) {
	log := logf.FromContext(ctx).WithName("keyring")
	ring, rotated, err := r.writer.Sync(ctx, r.secretsExist)
	regarding := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: r.writer.opts.Namespace, Name: r.writer.opts.SecretName}}
	if err != nil {
		keyringAvailable.Set(0)
		log.Error(err, "Keyring is unavailable; nothing was regenerated")
		if r.healthy == nil || *r.healthy {
			r.recorder.Eventf(regarding, nil, corev1.EventTypeWarning, "KeyringUnavailable", "Sync", "%s", err.Error())
		}
		r.healthy = boolPtr(false)
		return
	}
	keyringAvailable.Set(1)
	keyringKeys.Set(float64(ring.Len()))
	r.healthy = boolPtr(true)
	if rotated {
		keyringRotations.Inc()
		r.recorder.Eventf(regarding, nil, corev1.EventTypeNormal, "KeyAdded", "Rotate", "Sealing key %s is now current (%d key(s) kept for opening)", ring.Current().Private.ID(), ring.Len())
	}
}

func boolPtr(b bool) *bool { return &b }

// AnyLightningSecret reports whether any LightningSecret exists, reading past
// the cache with a limit of one: it runs only when the keyring is missing.
// Given namespaces (a namespace-scoped operator, which may not list across
// the cluster), it looks in those only.
func AnyLightningSecret(reader client.Reader, namespaces ...string) SecretsExist {
	return func(ctx context.Context) (bool, error) {
		if len(namespaces) == 0 {
			return anyIn(ctx, reader)
		}
		for _, ns := range namespaces {
			if found, err := anyIn(ctx, reader, client.InNamespace(ns)); found || err != nil {
				return found, err
			}
		}
		return false, nil
	}
}

func anyIn(ctx context.Context, reader client.Reader, opts ...client.ListOption) (bool, error) {
	list := &lightningv1alpha1.LightningSecretList{}
	if err := reader.List(ctx, list, append(opts, client.Limit(1))...); err != nil {
		return false, err
	}
	return len(list.Items) > 0, nil
}

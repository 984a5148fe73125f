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
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
	"sigs.k8s.io/controller-runtime/pkg/source"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
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

// Rotator keeps the keyring current: a controller of the keyring Secret
// that runs the Writer on the leader (controllers run only there). It runs
// at start, on every event of the Secret, when the current key is due for
// rotation, and at least every interval: the Secret may be outside the
// label-selected cache (restored without the label), and the public-key
// ConfigMap is not watched. A failed run is retried after a second,
// doubling up to interval.
type Rotator struct {
	writer       *Writer
	secretsExist SecretsExist
	interval     time.Duration
	recorder     recorder.EventRecorder

	healthy *bool // one worker: no lock
}

var _ reconcile.Reconciler = (*Rotator)(nil)

// NewRotator returns the keyring's controller; add it with SetupWithManager.
func NewRotator(w *Writer, secretsExist SecretsExist, interval time.Duration, rec recorder.EventRecorder) *Rotator {
	if interval <= 0 {
		interval = time.Minute
	}
	return &Rotator{writer: w, secretsExist: secretsExist, interval: interval, recorder: rec}
}

// SetupWithManager adds the controller to mgr.
func (r *Rotator) SetupWithManager(mgr ctrl.Manager) error {
	key := r.key()
	isKeyring := predicate.NewPredicateFuncs(func(o client.Object) bool {
		return o.GetNamespace() == key.Namespace && o.GetName() == key.Name
	})
	// At start, since a missing or unlabelled keyring brings no event.
	atStart := source.Func(func(_ context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
		q.Add(reconcile.Request{NamespacedName: key})
		return nil
	})
	return ctrl.NewControllerManagedBy(mgr).
		Named("keyring").
		For(&corev1.Secret{}, builder.WithPredicates(isKeyring)).
		WatchesRawSource(atStart).
		WithOptions(controller.Options{
			RateLimiter: workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](time.Second, r.interval),
		}).
		Complete(r)
}

func (r *Rotator) key() types.NamespacedName {
	return types.NamespacedName{Namespace: r.writer.opts.Namespace, Name: r.writer.opts.SecretName}
}

// Reconcile syncs the keyring once. Its errors are reported (log, Event,
// metric) and returned, to be retried: the controllers keep opening with
// the keys they have.
func (r *Rotator) Reconcile(ctx context.Context, _ reconcile.Request) (reconcile.Result, error) {
	ring, err := r.sync(ctx)
	if ctx.Err() != nil {
		return reconcile.Result{}, nil // stopping
	}
	if err != nil {
		return reconcile.Result{}, err
	}
	var due time.Time
	if cur := ring.Current(); cur != nil {
		due = nextRotation(cur.Created, r.writer.opts.RotationPeriod, r.writer.opts.Cutoff)
	}
	return reconcile.Result{RequeueAfter: requeueAfter(r.writer.now(), due, r.interval)}, nil
}

func (r *Rotator) sync(ctx context.Context) (*keyring.Keyring, error) {
	log := logf.FromContext(ctx).WithName("keyring")
	ring, rotated, err := r.writer.Sync(ctx, r.secretsExist)
	if err != nil && ctx.Err() != nil {
		return nil, ctx.Err() // stopping: not a keyring problem
	}
	key := r.key()
	regarding := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
	if err != nil {
		keyringAvailable.Set(0)
		log.Error(err, "Keyring is unavailable; nothing was regenerated")
		if r.healthy == nil || *r.healthy {
			r.recorder.Eventf(regarding, nil, corev1.EventTypeWarning, "KeyringUnavailable", "Sync", "%s", err.Error())
		}
		r.healthy = boolPtr(false)
		return nil, err
	}
	keyringAvailable.Set(1)
	keyringKeys.Set(float64(ring.Len()))
	r.healthy = boolPtr(true)
	if rotated {
		keyringRotations.Inc()
		r.recorder.Eventf(regarding, nil, corev1.EventTypeNormal, "KeyAdded", "Rotate", "Sealing key %s is now current (%d key(s) kept for opening)", ring.Current().Private.ID(), ring.Len())
	}
	return ring, nil
}

// nextRotation is when keyring.NeedsRotation next holds for a keyring
// whose current key was made at created: when the key reaches period, or
// at cutoff if the key was made before it. Zero: never.
func nextRotation(created time.Time, period time.Duration, cutoff time.Time) time.Time {
	var due time.Time
	if period > 0 {
		due = created.Add(period)
	}
	if !cutoff.IsZero() && created.Before(cutoff.Truncate(time.Second)) && (due.IsZero() || cutoff.Before(due)) {
		due = cutoff
	}
	return due
}

// dueMargin is how far past a due time the check runs, so that it sees the
// time as due; it is also the shortest requeue.
const dueMargin = 10 * time.Millisecond

// requeueAfter is how long to wait after a successful check: until just
// past due when that comes before interval, else interval. A zero due asks
// for nothing sooner.
func requeueAfter(now, due time.Time, interval time.Duration) time.Duration {
	if due.IsZero() {
		return interval
	}
	if d := due.Sub(now) + dueMargin; d < interval {
		return max(d, dueMargin)
	}
	return interval
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

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
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
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
	// Only with a KMS configured, so its absence means "no KMS".
	kmsAvailable = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "lightning_keyring_kms_available",
		Help: "1 when the last call to the KMS v2 plugin that wraps the keyring succeeded; 0 when the plugin was down or refused (the keyring cannot be opened or written; keys already opened keep working).",
	}, []string{"endpoint"})
	keyringWrapped = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "lightning_keyring_kms_wrapped",
		Help: "1 when the keyring Secret is wrapped by the KMS plugin; 0 when it is plain (no KMS, or a KMS without --kms-migrate).",
	})
)

func init() {
	metrics.Registry.MustRegister(keyringAvailable, keyringKeys, keyringRotations, kmsAvailable, keyringWrapped)
}

// reportKMS sets lightning_keyring_kms_available after a call to the plugin
// w: err nil or an ErrKMS; other errors (corrupt data) tell nothing of it.
func reportKMS(w keyring.KeyWrapper, err error) {
	if w == nil || (err != nil && !errors.Is(err, keyring.ErrKMS)) {
		return
	}
	endpoint := "unknown"
	if e, ok := w.(interface{ Endpoint() string }); ok {
		endpoint = e.Endpoint()
	}
	up := 1.0
	if err != nil {
		up = 0
	}
	kmsAvailable.WithLabelValues(endpoint).Set(up)
}

// Event reasons of the keyring Secret.
const (
	ReasonKeyringUnavailable = "KeyringUnavailable"
	ReasonKMSUnavailable     = "KMSUnavailable"
	ReasonKMSAvailable       = "KMSAvailable"
	ReasonKeyAdded           = "KeyAdded"
	ReasonKeyringWrapped     = "KeyringWrapped"
	ReasonKeyringRewrapped   = "KeyringRewrapped"
	ReasonKeyringNotWrapped  = "KeyringNotWrapped"
)

// Rotator keeps the keyring current: a controller of the keyring Secret
// that runs the Writer on the leader (controllers run only there). It runs
// at start, on every event of the Secret, when the current key is due for
// rotation, and at least every interval: the Secret may be outside the
// label-selected cache (restored without the label), and the public-key
// ConfigMap is not watched. It also runs when a Source given to WithSource
// failed to open the keyring on the KMS plugin. A failed run is retried
// after a second, doubling up to interval; with a KMS, each run also asks
// the plugin, so one that is down is reported within interval.
type Rotator struct {
	writer       *Writer
	secretsExist SecretsExist
	interval     time.Duration
	recorder     recorder.EventRecorder
	source       *Source

	// One worker: no lock.
	failing          string // the reason of the last run's failure; "" when it succeeded
	warnedNotWrapped bool
}

var _ reconcile.Reconciler = (*Rotator)(nil)

// NewRotator returns the keyring's controller; add it with SetupWithManager.
func NewRotator(w *Writer, secretsExist SecretsExist, interval time.Duration, rec recorder.EventRecorder) *Rotator {
	if interval <= 0 {
		interval = time.Minute
	}
	return &Rotator{writer: w, secretsExist: secretsExist, interval: interval, recorder: rec}
}

// WithSource has the Rotator bring the controllers back to what waited on
// the KMS plugin: when s could not open the keyring on it, the Rotator runs
// soon, and its first run that succeeds annotates the keyring Secret
// (AnnotationKMSReopened), an event that makes the controllers check again
// the LightningSecrets and apps that failed.
func (r *Rotator) WithSource(s *Source) *Rotator {
	r.source = s
	return r
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
	b := ctrl.NewControllerManagedBy(mgr).
		Named("keyring").
		For(&corev1.Secret{}, builder.WithPredicates(isKeyring)).
		WatchesRawSource(atStart)
	if r.source != nil {
		b = b.WatchesRawSource(source.Channel(r.source.waits, &handler.EnqueueRequestForObject{}))
	}
	return b.WithOptions(controller.Options{
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
	rep, err := r.writer.SyncReport(ctx, r.secretsExist)
	if err != nil && ctx.Err() != nil {
		return nil, ctx.Err() // stopping: not a keyring problem
	}
	key := r.key()
	regarding := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
	if err != nil {
		keyringAvailable.Set(0)
		reason := ReasonKeyringUnavailable
		if errors.Is(err, keyring.ErrKMS) {
			reason = ReasonKMSUnavailable
		}
		log.Error(err, "Keyring is unavailable; nothing was regenerated", "reason", reason)
		if r.failing != reason {
			r.recorder.Eventf(regarding, nil, corev1.EventTypeWarning, reason, "Sync", "%s", err.Error())
		}
		r.failing = reason
		return nil, err
	}
	keyringAvailable.Set(1)
	keyringKeys.Set(float64(rep.Ring.Len()))
	keyringWrapped.Set(boolGauge(rep.KMSKeyID != ""))
	if r.failing == ReasonKMSUnavailable {
		log.Info("The KMS plugin opens the keyring again", "kmsKeyID", rep.KMSKeyID)
		r.recorder.Eventf(regarding, nil, corev1.EventTypeNormal, ReasonKMSAvailable, "Sync", "The KMS plugin opens the keyring again (KMS key ID %s)", rep.KMSKeyID)
	}
	r.failing = ""
	r.report(log, regarding, rep)
	if r.source != nil && r.source.waiting.Swap(false) {
		// The keyring is fine: a failed annotation is retried, not reported
		// as an outage. What waited still says KMSUnavailable meanwhile.
		if err := r.writer.markReopened(ctx); err != nil {
			r.source.waiting.Store(true)
			return nil, fmt.Errorf("bringing back the LightningSecrets and apps that waited for the KMS plugin: %w", err)
		}
		log.Info("The keyring opens again: annotated its Secret, so the LightningSecrets and apps that waited for the KMS plugin are checked again",
			"annotation", lightningv1alpha1.AnnotationKMSReopened, "kmsKeyID", rep.KMSKeyID)
	}
	return rep.Ring, nil
}

// report tells what a successful sync did: Events and log lines name key
// IDs only.
func (r *Rotator) report(log logr.Logger, regarding *corev1.Secret, rep Report) {
	ring := rep.Ring
	if rep.Migrated {
		r.recorder.Eventf(regarding, nil, corev1.EventTypeNormal, ReasonKeyringWrapped, "Wrap",
			"The keyring (sealing keys %s; version key %s) is now wrapped by the KMS plugin under KMS key ID %s", strings.Join(ring.IDs(), ", "), ring.VersionKey().ID(), rep.KMSKeyID)
	}
	if rep.RewrappedFrom != "" {
		r.recorder.Eventf(regarding, nil, corev1.EventTypeNormal, ReasonKeyringRewrapped, "Wrap",
			"The KMS plugin's key changed: the keyring's data key is wrapped again under KMS key ID %s (was %s)", rep.KMSKeyID, rep.RewrappedFrom)
	}
	if rep.NotWrapped && !r.warnedNotWrapped {
		msg := fmt.Sprintf("A KMS plugin is configured, but keyring Secret %s is plain: anyone who reads it can open every sealed value. "+
			"Back it up (kubectl lightning keyring backup), then run the operator with --kms-migrate to wrap it (see docs/operations.md)", regarding.Namespace+"/"+regarding.Name)
		log.Error(errors.New("the keyring is not wrapped by the KMS plugin"), msg, "keyIDs", ring.IDs())
		r.recorder.Eventf(regarding, nil, corev1.EventTypeWarning, ReasonKeyringNotWrapped, "Sync", "%s", msg)
		r.warnedNotWrapped = true
	}
	if rep.Rotated {
		keyringRotations.Inc()
		r.recorder.Eventf(regarding, nil, corev1.EventTypeNormal, ReasonKeyAdded, "Rotate", "Sealing key %s is now current (%d key(s) kept for opening)", ring.Current().Private.ID(), ring.Len())
	}
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
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

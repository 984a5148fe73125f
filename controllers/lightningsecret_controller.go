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
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/app"
	"github.com/lightning-operator/lightning-operator/internal/expectations"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/limits"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

// KeySource gives the reconcilers the operator's keyring.
type KeySource interface {
	Keyring(ctx context.Context) (*keyring.Keyring, error)
	SecretKey() types.NamespacedName
}

// LightningSecretReconciler proves each sealed value opens and reports which
// apps use it. It never writes the plaintext anywhere.
type LightningSecretReconciler struct {
	client client.Client
	// apiReader reads past the cache, to check a re-seal request is still
	// unanswered: the cache may not have the answer yet.
	apiReader client.Reader
	keys      KeySource
	recorder  recorder.EventRecorder
	workers   int
	now       func() time.Time
	// expectations hold a LightningSecret's next pass until the cache shows
	// its last write: a pass on an older copy would write again, or hold a
	// first status already written.
	expectations *expectations.Store
}

var _ reconcile.Reconciler = &LightningSecretReconciler{}

// NewLightningSecretReconciler builds the reconciler.
func NewLightningSecretReconciler(c client.Client, apiReader client.Reader, keys KeySource, rec recorder.EventRecorder, workers int) *LightningSecretReconciler {
	return &LightningSecretReconciler{client: c, apiReader: apiReader, keys: keys, recorder: rec, workers: workers, now: time.Now,
		expectations: expectations.New(expectationsTTL, nil)}
}

// +kubebuilder:rbac:groups=lightning.ai,resources=lightningsecrets,verbs=get;list;watch;update
// +kubebuilder:rbac:groups=lightning.ai,resources=lightningsecrets/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile opens the value, then writes Ready, keyID, version and usedBy when they changed.
func (r *LightningSecretReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	log := logf.FromContext(ctx)
	if ok, wait := r.expectations.Satisfied(req.NamespacedName); !ok {
		return ctrl.Result{RequeueAfter: wait}, nil // its write's event queues it
	}
	lsec := &lightningv1alpha1.LightningSecret{}
	if err := r.client.Get(ctx, req.NamespacedName, lsec); err != nil {
		if apierrors.IsNotFound(err) {
			r.expectations.Forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !lsec.DeletionTimestamp.IsZero() {
		r.expectations.Forget(req.NamespacedName)
		return ctrl.Result{}, nil
	}
	if awaitsFirstStatus(lsec) {
		until, err := r.appsStartingUntil(ctx)
		if err != nil {
			return ctrl.Result{}, err
		}
		if wait := firstStatusHold(lsec, until, r.now()); wait > 0 {
			// Apps are starting: their Secrets go first. The end of the last
			// start queues this again; wait is the longest.
			return ctrl.Result{RequeueAfter: wait}, nil
		}
	}
	if resealPending(lsec) {
		// The cache may not hold the answer of the pass that re-sealed it yet
		// (its spec update brings the object back first): ask the apiserver,
		// so one request is answered once. Requests are rare.
		fresh := &lightningv1alpha1.LightningSecret{}
		if err := r.apiReader.Get(ctx, req.NamespacedName, fresh); err != nil {
			return ctrl.Result{}, client.IgnoreNotFound(err)
		}
		lsec = fresh
		if resealPending(lsec) {
			updated, err := r.reseal(ctx, lsec, lsec.Annotations[lightningv1alpha1.AnnotationResealRequest])
			if err != nil {
				return ctrl.Result{}, err
			}
			// Go on with the re-sealed object: its keyIDs and status follow.
			lsec = updated
		}
	}

	res := r.open(ctx, lsec)
	reason, _ := openCondition(res, lsec.Namespace, lsec.Name)
	opensTotal.WithLabelValues(reason).Inc()
	apps := &lightningv1alpha1.LightningAppList{}
	if err := r.client.List(ctx, apps, client.InNamespace(lsec.Namespace), client.MatchingFields{IndexAppSecretRefs: lsec.Name}); err != nil {
		return ctrl.Result{}, fmt.Errorf("looking up apps that use LightningSecret %s: %w", req.NamespacedName, err)
	}

	usedBy := make([]string, 0, len(apps.Items))
	for i := range apps.Items {
		usedBy = append(usedBy, apps.Items[i].Name)
	}

	status := desiredSecretStatus(lsec.Status, lsec.Generation, lsec.Namespace, lsec.Name, res, usedBy)
	if equality.Semantic.DeepEqual(status, lsec.Status) {
		return ctrl.Result{}, nil
	}
	t := conditionTransition(lsec.Status.Conditions, status.Conditions, lightningv1alpha1.ConditionReady)
	patchBase := client.MergeFrom(lsec.DeepCopy())
	lsec.Status = status
	if err := r.write(lsec, func() error { return r.client.Status().Patch(ctx, lsec, patchBase) }); err != nil {
		return ctrl.Result{}, fmt.Errorf("writing status of LightningSecret %s: %w", req.NamespacedName, err)
	}
	// A value that opens says so in its status; no Event (one fewer write
	// per secret at scale). Failures and recoveries are Events.
	if eventType, emit := eventFor(t, false); emit {
		r.recorder.Eventf(lsec, nil, eventType, t.cond.Reason, "Open", "%s", t.cond.Message)
	}
	if t.changed {
		log.Info("LightningSecret changed readiness", "ready", t.cond.Status, "reason", t.cond.Reason, "keyID", res.keyID, "version", res.version)
	}
	return ctrl.Result{}, nil
}

// write sends a write of lsec (as read) through the expectations.
func (r *LightningSecretReconciler) write(lsec *lightningv1alpha1.LightningSecret, send func() error) error {
	key := client.ObjectKeyFromObject(lsec)
	return r.expectations.Write(key, expectations.Write{Kind: kindLightningSecret, Key: key, After: lsec.ResourceVersion}, false, send)
}

// startDone lets through the end of an app's start: its first status, or
// its delete before one.
var startDone = predicate.Funcs{
	CreateFunc: func(event.CreateEvent) bool { return false },
	DeleteFunc: func(e event.DeleteEvent) bool {
		a, ok := e.Object.(*lightningv1alpha1.LightningApp)
		return ok && app.Starting(a)
	},
	UpdateFunc: func(e event.UpdateEvent) bool {
		oldApp, okOld := e.ObjectOld.(*lightningv1alpha1.LightningApp)
		newApp, okNew := e.ObjectNew.(*lightningv1alpha1.LightningApp)
		return okOld && okNew && app.Starting(oldApp) && !app.Starting(newApp)
	},
	GenericFunc: func(event.GenericEvent) bool { return false },
}

// appsStartingUntil is when the apps that await their first pass stop
// holding first statuses: firstStatusHoldMax after the youngest was made;
// zero for none. The index holds such apps by the second they were made, so
// this asks at most one index key per second of the hold (plus a few for
// clock skew), never the list of every starting app (at 2,000 new apps and
// LightningSecrets that list, copied per LightningSecret, cost the harness
// seconds of manager CPU).
func (r *LightningSecretReconciler) appsStartingUntil(ctx context.Context) (time.Time, error) {
	now := r.now()
	for _, second := range startingIndexKeys(now) {
		apps := &lightningv1alpha1.LightningAppList{}
		if err := r.client.List(ctx, apps, client.MatchingFields{IndexAppStarting: second}, client.Limit(1), client.UnsafeDisableDeepCopy); err != nil {
			return time.Time{}, fmt.Errorf("looking up starting apps: %w", err)
		}
		if len(apps.Items) > 0 {
			return apps.Items[0].CreationTimestamp.Add(firstStatusHoldMax), nil
		}
	}
	return time.Time{}, nil
}

// heldWhenNoAppStarts maps the end of the last app's start to the
// LightningSecrets whose first status was held back.
func (r *LightningSecretReconciler) heldWhenNoAppStarts(ctx context.Context, _ client.Object) []reconcile.Request {
	if until, err := r.appsStartingUntil(ctx); until.After(r.now()) || err != nil {
		return nil // the next one, or the hold's end, brings them
	}
	held := &lightningv1alpha1.LightningSecretList{}
	if err := r.client.List(ctx, held, client.MatchingFields{IndexSecretAwaitsFirstStatus: indexedTrue}, client.UnsafeDisableDeepCopy); err != nil {
		logf.FromContext(ctx).Error(err, "Listing LightningSecrets awaiting their first status failed")
		return nil
	}
	return requestsFor(held.Items)
}

// awaitsFirstStatus says whether the reconciler never wrote this status.
func awaitsFirstStatus(lsec *lightningv1alpha1.LightningSecret) bool {
	return lsec.Status.ObservedGeneration == 0 && len(lsec.Status.Conditions) == 0
}

// resealPending says whether the object carries a re-seal request its
// status has not answered.
func resealPending(lsec *lightningv1alpha1.LightningSecret) bool {
	req := lsec.Annotations[lightningv1alpha1.AnnotationResealRequest]
	return req != "" && (lsec.Status.Reseal == nil || lsec.Status.Reseal.Request != req)
}

// reseal answers a re-seal request: it seals the value again to the newest
// key, keeping every other recipient, without the value leaving the
// operator, and records the answer in status.reseal. The value version does
// not change, so no app restarts. It returns the object as written.
func (r *LightningSecretReconciler) reseal(ctx context.Context, lsec *lightningv1alpha1.LightningSecret, request string) (*lightningv1alpha1.LightningSecret, error) {
	answer := lightningv1alpha1.ResealStatus{Request: request, Result: lightningv1alpha1.ResealFailed}
	ring, err := r.keys.Keyring(ctx)
	switch {
	case err != nil:
		answer.Message = fmt.Sprintf("The operator's keyring is unavailable, so nothing was sealed again: %v", err)
	case ring.Current() == nil:
		answer.Message = "The operator's keyring has no key"
	default:
		newest := ring.Current().Private.Public()
		out, changed, err := sealing.Reseal(ring, sealing.Scope{Namespace: lsec.Namespace, Name: lsec.Name}, lsec.Spec.EncryptedValue, newest)
		switch {
		case err != nil:
			answer.Message = fmt.Sprintf("The value does not open, so it cannot be sealed again (%s): %v", sealing.Reason(err), err)
		case !changed:
			answer.Result = lightningv1alpha1.ResealUnchanged
			answer.Message = fmt.Sprintf("Already sealed to the newest key %s", newest.ID())
		default:
			updated := lsec.DeepCopy()
			updated.Spec.EncryptedValue = out
			// Update carries the resourceVersion read: a concurrent edit wins,
			// and this request is answered on the next pass.
			err := r.write(updated, func() error { return r.client.Update(ctx, updated) })
			switch {
			case apierrors.IsConflict(err) || apierrors.IsServerTimeout(err) || apierrors.IsTooManyRequests(err):
				return nil, fmt.Errorf("writing the re-sealed value of LightningSecret %s/%s: %s", lsec.Namespace, lsec.Name, apierrors.ReasonForError(err))
			case err != nil:
				// A refusal that retrying cannot change (a policy, validation):
				// answer it, so the asker learns why. The reason only: the
				// apiserver's message can quote the object.
				answer.Message = fmt.Sprintf("The apiserver refused the re-sealed value: %s", apierrors.ReasonForError(err))
			default:
				lsec = updated
				env, _ := sealing.ParseEnvelope(out)
				answer.Result = lightningv1alpha1.ResealResealed
				answer.Message = fmt.Sprintf("Sealed again to key %s; recipients now %s", newest.ID(), strings.Join(env.KeyIDs, ", "))
			}
		}
	}
	patchBase := client.MergeFrom(lsec.DeepCopy())
	lsec.Status.Reseal = &answer
	if err := r.write(lsec, func() error { return r.client.Status().Patch(ctx, lsec, patchBase) }); err != nil {
		return nil, fmt.Errorf("writing the re-seal answer of LightningSecret %s/%s: %w", lsec.Namespace, lsec.Name, err)
	}
	eventType := corev1.EventTypeNormal
	if answer.Result == lightningv1alpha1.ResealFailed {
		eventType = corev1.EventTypeWarning
	}
	r.recorder.Eventf(lsec, nil, eventType, "Reseal"+answer.Result, "Reseal", "%s", answer.Message)
	logf.FromContext(ctx).Info("Answered a re-seal request", "result", answer.Result)
	return lsec, nil
}

// open proves the value opens and computes its version; the plaintext is
// dropped at once.
func (r *LightningSecretReconciler) open(ctx context.Context, lsec *lightningv1alpha1.LightningSecret) openResult {
	env, err := sealing.ParseEnvelope(lsec.Spec.EncryptedValue)
	if err != nil {
		return openResult{err: err}
	}
	ring, err := r.keys.Keyring(ctx)
	if err != nil {
		return openResult{keyID: sealing.OpeningKey(nil, env), keyIDs: env.KeyIDs, err: err}
	}
	scope := sealing.Scope{Namespace: lsec.Namespace, Name: lsec.Name}
	res := openResult{keyID: sealing.OpeningKey(ring, env), keyIDs: env.KeyIDs}
	plain, err := sealing.Open(ring, scope, lsec.Spec.EncryptedValue)
	if err != nil {
		res.err = err
		return res
	}
	// A keyring from before value versions gets its version key from the
	// leader; its change brings every LightningSecret back here.
	if vk := ring.VersionKey(); vk != nil {
		res.version = vk.Version(scope, plain)
	}
	// A value made elsewhere (another tool, an older CLI) may open to what
	// no environment variable can carry: it is not Ready, and says why.
	res.err = limits.CheckValue(plain)
	clear(plain)
	return res
}

// SetupWithManager watches LightningSecrets, the apps that reference them
// (for usedBy), and the keyring Secret (so a restored keyring heals them).
func (r *LightningSecretReconciler) SetupWithManager(mgr ctrl.Manager) error {
	keyringKey := r.keys.SecretKey()
	return ctrl.NewControllerManagedBy(mgr).
		Watches(&lightningv1alpha1.LightningSecret{}, r.expectations.Observer(kindLightningSecret, ownKey, nil)).
		// A new value, or a new re-seal request.
		For(&lightningv1alpha1.LightningSecret{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Watches(&lightningv1alpha1.LightningApp{}, appRefsHandler,
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		// Held first statuses go once no app is starting.
		Watches(&lightningv1alpha1.LightningApp{}, handler.EnqueueRequestsFromMapFunc(r.heldWhenNoAppStarts),
			builder.WithPredicates(startDone)).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.allSecretsOnKeyringChange(keyringKey)),
			builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
				return o.GetNamespace() == keyringKey.Namespace && o.GetName() == keyringKey.Name
			}))).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.workers}).
		Named("lightningsecret").
		Complete(r)
}

// appRefsHandler enqueues the LightningSecrets an app references, before and
// after an update, so a dropped reference leaves usedBy too.
var appRefsHandler = handler.Funcs{
	CreateFunc: func(_ context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
		enqueueRefs(q, e.Object)
	},
	UpdateFunc: func(_ context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
		enqueueRefs(q, e.ObjectOld)
		enqueueRefs(q, e.ObjectNew)
	},
	DeleteFunc: func(_ context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
		enqueueRefs(q, e.Object)
	},
}

func enqueueRefs(q workqueue.TypedRateLimitingInterface[reconcile.Request], o client.Object) {
	a, ok := o.(*lightningv1alpha1.LightningApp)
	if !ok {
		return
	}
	for _, name := range secretRefs(a) {
		q.Add(reconcile.Request{NamespacedName: types.NamespacedName{Namespace: a.Namespace, Name: name}})
	}
}

// allSecretsOnKeyringChange re-checks every LightningSecret when the keyring
// changes (created, restored, rotated); this is rare, and reads the cache.
func (r *LightningSecretReconciler) allSecretsOnKeyringChange(_ types.NamespacedName) handler.MapFunc {
	return func(ctx context.Context, _ client.Object) []reconcile.Request {
		list := &lightningv1alpha1.LightningSecretList{}
		if err := r.client.List(ctx, list); err != nil {
			logf.FromContext(ctx).Error(err, "Listing LightningSecrets after a keyring change failed")
			return nil
		}
		return requestsFor(list.Items)
	}
}

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
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
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

// maxSecretSize is what a Kubernetes Secret's data may hold in total.
const maxSecretSize = limits.SecretData

// AppOptions tune the LightningApp reconciler.
type AppOptions struct {
	Presets app.Presets
	// MinRolloutInterval is the least time between two rolls of an app, so a
	// burst of secret changes rolls its pods once.
	MinRolloutInterval time.Duration
	Workers            int
	// ExcludedNamespaces run no app: the pod webhook does not inject env
	// there (the operator's namespace and kube-system).
	ExcludedNamespaces []string
	// PodWebhook names the registered pod webhook. When set, an app in a
	// namespace its namespaceSelector does not select runs nothing either.
	PodWebhook PodWebhookRef
	// Now is the clock; tests set it.
	Now func() time.Time
}

// PodWebhookRef names the pod webhook: its MutatingWebhookConfiguration and
// the webhook's name in it.
type PodWebhookRef struct {
	ConfigName, WebhookName string
}

// LightningAppReconciler resolves an app's secrets into one immutable Secret
// and runs each component as a Deployment that rolls when the Secret changes.
type LightningAppReconciler struct {
	client   client.Client
	keys     KeySource
	recorder recorder.EventRecorder
	opts     AppOptions
	// owned writes what the app owns, by the ownership rule.
	owned *ownedObjects
	// expectations hold an app's next pass until the cache shows its writes.
	expectations *expectations.Store
}

var _ reconcile.Reconciler = &LightningAppReconciler{}

// NewLightningAppReconciler builds the reconciler.
func NewLightningAppReconciler(c client.Client, apiReader client.Reader, keys KeySource, rec recorder.EventRecorder, opts AppOptions) *LightningAppReconciler {
	if opts.Presets == nil {
		opts.Presets = app.DefaultPresets()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	store := expectations.New(expectationsTTL, nil)
	return &LightningAppReconciler{client: c, keys: keys, recorder: rec, opts: opts, expectations: store,
		owned: &ownedObjects{client: c, apiReader: apiReader, expectations: store}}
}

// expectationsTTL bounds how long an app waits for the cache to show its
// writes: an event is never lost in practice, but an app must not hang on one.
const expectationsTTL = time.Minute

// +kubebuilder:rbac:groups=lightning.ai,resources=lightningapps,verbs=get;list;watch
// +kubebuilder:rbac:groups=lightning.ai,resources=lightningapps/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update;delete
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;create;update;delete
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=serviceaccounts,verbs=get;list;watch;create;update;delete
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=rolebindings,verbs=get;list;watch;create;update;delete
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=roles,verbs=delete
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=clusterroles,verbs=bind,resourceNames=lightning-operator-app-launcher
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=mutatingwebhookconfigurations,verbs=list;watch,resourceNames=lightning-operator-mutating-webhook-configuration

// Reconcile gets the app and reconciles it; an error that stops a pass
// reaches the app's status and an Event.
func (r *LightningAppReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	if ok, wait := r.expectations.Satisfied(req.NamespacedName); !ok {
		// The cache does not show this app's last writes yet: the event
		// that shows them queues it again.
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	a := &lightningv1alpha1.LightningApp{}
	if err := r.client.Get(ctx, req.NamespacedName, a); err != nil {
		if apierrors.IsNotFound(err) {
			r.expectations.Forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !a.DeletionTimestamp.IsZero() {
		// Everything we made is owned by the app; the garbage collector removes it.
		r.expectations.Forget(req.NamespacedName)
		return ctrl.Result{}, nil
	}
	res, err := r.reconcile(ctx, a)
	if err != nil {
		r.reportError(ctx, a, err)
	}
	return res, err
}

// reconcile: exclusion, resolve, materialize, plan, apply, clean up, status.
func (r *LightningAppReconciler) reconcile(ctx context.Context, a *lightningv1alpha1.LightningApp) (ctrl.Result, error) {
	excluded, err := r.injectionExcluded(ctx, a)
	if err != nil {
		return ctrl.Result{}, err
	}
	if excluded != "" {
		// Its pods would run without their env: make nothing, stop what runs, and say why.
		if err := r.deleteDeployments(ctx, a, nil); err != nil {
			return ctrl.Result{}, err
		}
		_, err := r.writeStatus(ctx, a, app.Observed{Generation: a.Generation, Resolution: app.Resolution{
			Reason: lightningv1alpha1.ReasonNamespaceExcluded, Message: excluded,
		}}, false)
		return ctrl.Result{}, err
	}

	if err := r.checkSecurityContext(ctx, a); err != nil {
		return ctrl.Result{}, err
	}

	secrets, resolution, err := r.resolve(ctx, a)
	if err != nil {
		return ctrl.Result{}, err
	}
	newHash := ""
	if resolution.Resolved && len(secrets.refs) > 0 {
		newHash = app.SecretsHash(a.Namespace, a.Name, secrets.refs)
		if resolution, err = r.materialize(ctx, a, secrets, newHash); err != nil {
			return ctrl.Result{}, err
		}
	}
	plan := app.PlanRollout(app.RolloutInput{
		Status: a.Status, Resolved: resolution.Resolved, NewHash: newHash,
		Now: r.opts.Now(), MinInterval: r.opts.MinRolloutInterval,
		RefsChanged: !app.SameRefs(a.Spec.Secrets, a.Status.Secrets),
	})
	if plan.RequeueAfter > 0 {
		logf.FromContext(ctx).V(1).Info("Delayed a roll", "wait", plan.RequeueAfter)
	}
	if resolution.Resolved && app.AwaitsFirstSecret(a) {
		// A new app's first pass: its Secret and the status that names it,
		// then its components in a pass queued, at componentsPassPriority,
		// when the cache shows that status. In a burst of new apps each one
		// learns first whether its secrets resolve.
		obs := r.observed(a, resolution, plan, newHash, secrets.refs, appliedComponents{statuses: app.PendingComponents(a)})
		if queued, err := r.writeStatus(ctx, a, obs, true); queued || err != nil {
			return ctrl.Result{}, err
		}
		// Nothing written, so nothing to wait for: on to the components.
	}
	if err := r.applyServiceAccount(ctx, a); err != nil {
		return ctrl.Result{}, err
	}
	applied, err := r.applyDeployments(ctx, a, plan.TemplateHash)
	if err != nil {
		return ctrl.Result{}, err
	}
	if resolution.Resolved {
		// Keep the Secret the templates name and the newest one (a held-back roll).
		if err := r.cleanupSecrets(ctx, a, secretName(a, plan.TemplateHash), secretName(a, newHash)); err != nil {
			return ctrl.Result{}, err
		}
	}
	obs := r.observed(a, resolution, plan, newHash, secrets.refs, applied)
	if plan.Roll && a.Status.SecretsHash != "" {
		rolloutsTotal.Inc()
		r.recorder.Eventf(a, nil, corev1.EventTypeNormal, "SecretsChanged", "Rollout", "Rolling components to Secret %s", obs.SecretName)
	}
	requeue := plan.RequeueAfter
	if applied.recheck > 0 && (requeue == 0 || applied.recheck < requeue) {
		requeue = applied.recheck
	}
	_, err = r.writeStatus(ctx, a, obs, false)
	return ctrl.Result{RequeueAfter: requeue}, err
}

// componentsPassPriority queues a new app's second pass, which makes its
// components, after every first pass, a cold start's too (those have
// handler.LowPriority).
const componentsPassPriority = 2 * handler.LowPriority

// injectionExcluded says why the pod webhook does not inject env into the
// app's namespace, or "" when it does: the namespace is one it never serves,
// or the registered namespaceSelector does not select it (an admin may have
// narrowed it). A registration that is missing is not an exclusion: then no
// namespace is served, and that is the installation's error to fix.
func (r *LightningAppReconciler) injectionExcluded(ctx context.Context, a *lightningv1alpha1.LightningApp) (string, error) {
	if slices.Contains(r.opts.ExcludedNamespaces, a.Namespace) {
		return fmt.Sprintf("LightningApp %s is in namespace %q, where the pod webhook does not inject env (it excludes %s); no Secret or Deployment is made: run the app in another namespace",
			a.Name, a.Namespace, strings.Join(r.opts.ExcludedNamespaces, ", ")), nil
	}
	ref := r.opts.PodWebhook
	if ref.ConfigName == "" {
		return "", nil
	}
	mwc := &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := r.client.Get(ctx, types.NamespacedName{Name: ref.ConfigName}, mwc); err != nil {
		if apierrors.IsNotFound(err) {
			return "", nil
		}
		return "", fmt.Errorf("reading MutatingWebhookConfiguration %s: %w", ref.ConfigName, err)
	}
	i := slices.IndexFunc(mwc.Webhooks, func(w admissionregistrationv1.MutatingWebhook) bool { return w.Name == ref.WebhookName })
	if i < 0 {
		return "", nil
	}
	ns := &corev1.Namespace{}
	if err := r.client.Get(ctx, types.NamespacedName{Name: a.Namespace}, ns); err != nil {
		return "", fmt.Errorf("reading namespace %s: %w", a.Namespace, err)
	}
	selected, err := app.WebhookSelectsNamespace(&mwc.Webhooks[i], ns.Labels)
	if err != nil {
		return "", reconcile.TerminalError(err)
	}
	if selected {
		return "", nil
	}
	return fmt.Sprintf("LightningApp %s is in namespace %q, which the namespaceSelector of webhook %s in MutatingWebhookConfiguration %s does not select, so its pods would get no env; no Secret or Deployment is made: label the namespace to match, or run the app in another namespace",
		a.Name, a.Namespace, ref.WebhookName, ref.ConfigName), nil
}

// checkSecurityContext refuses an app whose own security context asks for
// more than baseline where its namespace does not allow it: it gets no
// Deployment (what already runs is left as it is), and is Stalled.
func (r *LightningAppReconciler) checkSecurityContext(ctx context.Context, a *lightningv1alpha1.LightningApp) error {
	if a.Spec.SecurityContext == nil && a.Spec.PodSecurityContext == nil {
		return nil // the defaults meet restricted: no namespace read
	}
	ns := &corev1.Namespace{}
	if err := r.client.Get(ctx, types.NamespacedName{Name: a.Namespace}, ns); err != nil {
		return fmt.Errorf("reading namespace %s: %w", a.Namespace, err)
	}
	if msg := app.SecurityBeyondBaseline(a, ns.Labels); msg != "" {
		return &stalledError{reason: lightningv1alpha1.ReasonSecurityContextNotAllowed, message: msg}
	}
	return nil
}

// secretName is the app's Secret for hash; "" for no hash (no secrets).
func secretName(a *lightningv1alpha1.LightningApp, hash string) string {
	if hash == "" {
		return ""
	}
	return app.SecretName(a.Name, hash)
}

// observed is what this reconcile saw and did, for the status.
func (r *LightningAppReconciler) observed(a *lightningv1alpha1.LightningApp, resolution app.Resolution, plan app.RolloutPlan, newHash string, refs []app.ResolvedRef, applied appliedComponents) app.Observed {
	obs := app.Observed{
		Stopped:      a.Spec.Stopped,
		Generation:   a.Generation,
		Resolution:   resolution,
		Components:   applied.statuses,
		ComputeError: applied.computeErr,
	}
	if resolution.Resolved {
		obs.SecretsHash = plan.TemplateHash
		obs.SecretCount = int32(len(a.Spec.Secrets))
		// What the templates' Secret holds: the spec's refs and their
		// versions once it is the newest, the last ones while a roll is held back.
		obs.Secrets = a.Status.Secrets
		if plan.TemplateHash == newHash {
			obs.Secrets = app.SecretVersions(refs)
		}
		obs.SecretName = secretName(a, plan.TemplateHash)
	}
	if plan.Roll {
		now := metav1.NewTime(r.opts.Now().Truncate(time.Second))
		obs.RolledOutAt = &now
	}
	return obs
}

// resolvedSecrets are an app's refs with their value versions, and the
// values opened to compute them, kept for materialize, for this reconcile only.
type resolvedSecrets struct {
	refs   []app.ResolvedRef
	lsecs  []*lightningv1alpha1.LightningSecret
	ring   *keyring.Keyring
	opened map[string][]byte // by env name
}

// resolve finds every referenced LightningSecret in the app's namespace and
// the version of its value. Every pass opens the values: no store of
// versions to keep right, for ~0.2 ms an open (BenchmarkOpen).
func (r *LightningAppReconciler) resolve(ctx context.Context, a *lightningv1alpha1.LightningApp) (resolvedSecrets, app.Resolution, error) {
	res := resolvedSecrets{opened: map[string][]byte{}}
	if len(a.Spec.Secrets) == 0 {
		return res, app.Resolution{Resolved: true}, nil
	}
	for _, s := range a.Spec.Secrets {
		lsec := &lightningv1alpha1.LightningSecret{}
		// The key has the app's own namespace: no reference can leave it.
		err := r.client.Get(ctx, types.NamespacedName{Namespace: a.Namespace, Name: s.SecretRef}, lsec)
		if apierrors.IsNotFound(err) {
			return res, app.Resolution{Reason: lightningv1alpha1.ReasonSecretNotFound, Message: fmt.Sprintf("Secret with name '%s' not found", s.SecretRef)}, nil
		}
		if err != nil {
			return res, app.Resolution{}, fmt.Errorf("reading LightningSecret %s/%s: %w", a.Namespace, s.SecretRef, err)
		}
		res.lsecs = append(res.lsecs, lsec)
	}

	ring, err := r.keys.Keyring(ctx)
	if err != nil {
		reason := lightningv1alpha1.ReasonSecretNotReady
		if kmsUnavailable(err) {
			reason = lightningv1alpha1.ReasonKMSUnavailable
		}
		return res, app.Resolution{Reason: reason,
			Message: fmt.Sprintf("The operator's keyring is unavailable, so no secret can be opened: %v", err)}, nil
	}
	vk := ring.VersionKey()
	if vk == nil {
		return res, app.Resolution{Reason: lightningv1alpha1.ReasonSecretNotReady,
			Message: "The operator's keyring has no version key yet, so value versions cannot be computed; the leader adds one when it starts"}, nil
	}
	res.ring = ring
	for i, s := range a.Spec.Secrets {
		lsec := res.lsecs[i]
		plain, resolution := openValue(ring, lsec)
		if !resolution.Resolved {
			return res, resolution, nil
		}
		version := vk.Version(sealing.Scope{Namespace: lsec.Namespace, Name: lsec.Name}, plain)
		res.opened[s.Name] = plain
		res.refs = append(res.refs, app.ResolvedRef{EnvName: s.Name, SecretRef: s.SecretRef, Version: version})
	}
	return res, app.Resolution{Resolved: true}, nil
}

// openValue opens a LightningSecret's value, or says why it does not open.
func openValue(ring *keyring.Keyring, lsec *lightningv1alpha1.LightningSecret) ([]byte, app.Resolution) {
	plain, err := sealing.Open(ring, sealing.Scope{Namespace: lsec.Namespace, Name: lsec.Name}, lsec.Spec.EncryptedValue)
	if err != nil {
		opensTotal.WithLabelValues(sealing.Reason(err)).Inc()
		return nil, app.Resolution{Reason: lightningv1alpha1.ReasonSecretNotReady,
			Message: fmt.Sprintf("Secret with name '%s' is not ready: %s", lsec.Name, sealing.Reason(err))}
	}
	opensTotal.WithLabelValues(lightningv1alpha1.ReasonSealed).Inc()
	return plain, app.Resolution{Resolved: true}
}

// materialize makes sure the Secret for hash exists, from the values
// resolve opened; a restart writes nothing.
func (r *LightningAppReconciler) materialize(ctx context.Context, a *lightningv1alpha1.LightningApp, res resolvedSecrets, hash string) (app.Resolution, error) {
	name := app.SecretName(a.Name, hash)
	key := types.NamespacedName{Namespace: a.Namespace, Name: name}
	// A Secret under the name the app would use, made by someone else, is
	// never taken: its value would reach the app's processes.
	owns := r.secretOrigin(a, res)
	if found, err := r.owned.get(ctx, kindSecret, key, &corev1.Secret{}, owns); found || err != nil {
		return app.Resolution{Resolved: found}, err
	}

	values := make(map[string][]byte, len(res.refs))
	total := 0
	for _, ref := range res.refs {
		plain := res.opened[ref.EnvName]
		values[ref.EnvName] = plain
		total += len(plain)
	}
	if total > maxSecretSize {
		return app.Resolution{Reason: lightningv1alpha1.ReasonSecretTooLarge,
			Message: fmt.Sprintf("The app's secret values add up to %d bytes, more than the %d bytes a Kubernetes Secret holds", total, maxSecretSize)}, nil
	}
	// The env the webhook gives every container: plain values, then secret
	// values. What a process's env cannot carry gets no Secret, so no pod
	// fails at exec (or has the runtime quote the value); the app keeps its
	// last good Secret, and the status names the rule and the sizes.
	vars := make([]limits.Var, 0, len(a.Spec.Env)+len(res.refs))
	for _, e := range a.Spec.Env {
		vars = append(vars, limits.Var{Name: e.Name, Value: []byte(e.Value)})
	}
	for _, ref := range res.refs {
		vars = append(vars, limits.Var{Name: ref.EnvName, Value: values[ref.EnvName], Secret: ref.SecretRef})
	}
	if err := limits.CheckEnv(vars); err != nil {
		return app.Resolution{Reason: limits.Reason(err), Message: "The app's env cannot reach its processes: " + err.Error()}, nil
	}
	desired := app.DesiredSecret(a, hash, values)
	desired.Annotations[lightningv1alpha1.AnnotationSecretOrigin] = secretOrigin(res.ring, a, name)
	if existed, err := r.owned.create(ctx, a, kindSecret, desired, &corev1.Secret{}, owns); existed || err != nil {
		return app.Resolution{Resolved: existed && err == nil}, err
	}
	materializedTotal.Inc()
	logf.FromContext(ctx).Info("Materialized secrets", "secret", name, "count", len(values))
	return app.Resolution{Resolved: true}, nil
}

// secretOrigin is the keyed MAC that marks an app Secret as the operator's
// (AnnotationSecretOrigin): only the keyring's version key makes it.
func secretOrigin(ring *keyring.Keyring, a *lightningv1alpha1.LightningApp, secretName string) string {
	return ring.VersionKey().Version(sealing.Scope{Namespace: a.Namespace, Name: secretName}, []byte("origin/"+string(a.UID)))
}

// secretOrigin is the ownership rule of an app Secret: controlled by the app
// and carrying its origin MAC. One without the MAC but controlled by the
// app (made by an older version, or before a version-key rotation) is read
// past the cache (the cache drops app Secrets' data), and taken only when
// it holds exactly the app's values (by their keyed versions); then it gets
// the MAC, once. Anything else is foreign.
func (r *LightningAppReconciler) secretOrigin(a *lightningv1alpha1.LightningApp, res resolvedSecrets) ownership {
	return func(ctx context.Context, obj client.Object) error {
		key := client.ObjectKeyFromObject(obj)
		foreign := &foreignObjectError{kind: kindSecret, key: key, app: a.Name}
		want := secretOrigin(res.ring, a, key.Name)
		if !metav1.IsControlledBy(obj, a) {
			return foreign
		}
		if obj.GetAnnotations()[lightningv1alpha1.AnnotationSecretOrigin] == want {
			return nil
		}
		if r.owned.apiReader == nil {
			return foreign
		}
		live := &corev1.Secret{}
		if err := r.owned.apiReader.Get(ctx, key, live); err != nil {
			return fmt.Errorf("reading Secret %s past the cache: %w", key, err)
		}
		if !metav1.IsControlledBy(live, a) {
			return foreign
		}
		if live.Annotations[lightningv1alpha1.AnnotationSecretOrigin] == want {
			return nil // ours: the cache was behind
		}
		if !holdsValues(res, live) {
			return foreign
		}
		if live.Annotations == nil {
			live.Annotations = map[string]string{}
		}
		live.Annotations[lightningv1alpha1.AnnotationSecretOrigin] = want
		// Metadata only: an immutable Secret's data stays.
		return r.owned.update(ctx, a, kindSecret, live)
	}
}

// holdsValues: the Secret's data is exactly the app's refs, each value of
// the version the ref resolved to.
func holdsValues(res resolvedSecrets, s *corev1.Secret) bool {
	if len(s.Data) != len(res.refs) {
		return false
	}
	vk := res.ring.VersionKey()
	for i, ref := range res.refs {
		v, ok := s.Data[ref.EnvName]
		lsec := res.lsecs[i]
		if !ok || vk.Version(sealing.Scope{Namespace: lsec.Namespace, Name: lsec.Name}, v) != ref.Version {
			return false
		}
	}
	return true
}

// appliedComponents is the outcome of applyDeployments.
type appliedComponents struct {
	statuses []lightningv1alpha1.ComponentStatus
	// computeErr is set when a component names an unknown cloudCompute; the
	// others are applied.
	computeErr error
	// recheck is when a crash-looping verdict changes with no event to
	// bring the app back (a restarted container leaves the crash window).
	recheck time.Duration
}

// applyDeployments creates or updates one Deployment per component and
// deletes those of components that left the spec.
func (r *LightningAppReconciler) applyDeployments(ctx context.Context, a *lightningv1alpha1.LightningApp, secretsHash string) (appliedComponents, error) {
	var computeErr error
	var recheck time.Duration
	components := app.Components(a)
	statuses := make([]lightningv1alpha1.ComponentStatus, 0, len(components))
	wanted := make(map[string]bool, len(components))
	for _, c := range components {
		name := app.DeploymentName(a.Name, c.Path)
		wanted[name] = true
		desired, err := app.DesiredDeployment(a, c, r.opts.Presets, secretsHash)
		if err != nil {
			if computeErr == nil {
				computeErr = err
			}
			statuses = append(statuses, lightningv1alpha1.ComponentStatus{Name: c.Path, Deployment: name})
			continue
		}
		live, err := r.applyDeployment(ctx, a, desired)
		if err != nil {
			return appliedComponents{}, err
		}
		// The pods too, even of an available Deployment: a crash-looping
		// container counts available for a moment after each restart.
		pods := &corev1.PodList{}
		if err := r.client.List(ctx, pods, client.InNamespace(a.Namespace), client.MatchingLabels(desired.Spec.Selector.MatchLabels)); err != nil {
			return appliedComponents{}, fmt.Errorf("listing pods of component %s: %w", c.Path, err)
		}
		now := r.opts.Now()
		st := lightningv1alpha1.ComponentStatus{Name: c.Path, Deployment: name, Ready: app.DeploymentReady(live)}
		if f := app.ComponentFailure(live, pods.Items, now); f != nil {
			st.Ready, st.Reason, st.Message = false, f.Reason, f.Message
		}
		if d := app.CrashLoopRecheck(pods.Items, now); d > 0 && (recheck == 0 || d < recheck) {
			recheck = d
		}
		statuses = append(statuses, st)
	}
	if err := r.deleteDeployments(ctx, a, wanted); err != nil {
		return appliedComponents{}, err
	}
	return appliedComponents{statuses: statuses, computeErr: computeErr, recheck: recheck}, nil
}

// deleteDeployments deletes the app's Deployments (the last status lists
// what we made) that are not wanted.
func (r *LightningAppReconciler) deleteDeployments(ctx context.Context, a *lightningv1alpha1.LightningApp, wanted map[string]bool) error {
	// The last status lists what we made; what is no longer wanted goes.
	for _, old := range a.Status.Components {
		if wanted[old.Deployment] {
			continue
		}
		d := &appsv1.Deployment{}
		err := r.client.Get(ctx, types.NamespacedName{Namespace: a.Namespace, Name: old.Deployment}, d)
		if apierrors.IsNotFound(err) || (err == nil && !metav1.IsControlledBy(d, a)) {
			continue
		}
		if err != nil {
			return fmt.Errorf("reading Deployment %s/%s: %w", a.Namespace, old.Deployment, err)
		}
		if err := r.owned.deleteLive(ctx, a, kindDeployment, d); err != nil {
			return err
		}
		logf.FromContext(ctx).Info("Deleted Deployment of a component that must not run", "deployment", d.Name, "component", old.Name)
	}
	return nil
}

// applyDeployment writes desired when it differs from what we last wrote
// (the cache holds no pod template: the template hash says).
func (r *LightningAppReconciler) applyDeployment(ctx context.Context, a *lightningv1alpha1.LightningApp, desired *appsv1.Deployment) (*appsv1.Deployment, error) {
	live := &appsv1.Deployment{}
	current, err := r.owned.apply(ctx, a, kindDeployment, desired, live, func() bool {
		if live.Annotations[app.AnnotationTemplateHash] == desired.Annotations[app.AnnotationTemplateHash] {
			return false
		}
		live.Labels = desired.Labels
		// Keep others' annotations; ours win.
		if live.Annotations == nil {
			live.Annotations = map[string]string{}
		}
		maps.Copy(live.Annotations, desired.Annotations)
		live.Spec = desired.Spec
		return true
	})
	if err != nil {
		return nil, err
	}
	return current.(*appsv1.Deployment), nil
}

// cleanupSecrets deletes the app's older Secrets once no pod refers to them.
// It runs only after a successful resolution: a transient error deletes nothing.
func (r *LightningAppReconciler) cleanupSecrets(ctx context.Context, a *lightningv1alpha1.LightningApp, keep ...string) error {
	secrets := &corev1.SecretList{}
	if err := r.client.List(ctx, secrets, client.InNamespace(a.Namespace), client.MatchingFields{IndexSecretOwnerApp: a.Name}); err != nil {
		return fmt.Errorf("looking up Secrets of LightningApp %s/%s: %w", a.Namespace, a.Name, err)
	}
	for i := range secrets.Items {
		s := &secrets.Items[i]
		if slices.Contains(keep, s.Name) || !metav1.IsControlledBy(s, a) {
			continue
		}
		pods := &corev1.PodList{}
		if err := r.client.List(ctx, pods, client.InNamespace(a.Namespace), client.MatchingFields{IndexPodInjectedSecret: s.Name}); err != nil {
			return fmt.Errorf("looking up pods that use Secret %s/%s: %w", a.Namespace, s.Name, err)
		}
		if len(pods.Items) > 0 {
			continue // a pod delete event brings us back
		}
		if err := r.owned.deleteLive(ctx, a, kindSecret, s); err != nil {
			return err
		}
		logf.FromContext(ctx).Info("Deleted unused Secret", "secret", s.Name)
	}
	return nil
}

// writeStatus writes the status only when it changed, and announces
// transitions. With queueNext, the app's next pass is queued, at
// componentsPassPriority, when the cache shows what it wrote; it reports
// whether it wrote, so that pass is queued.
func (r *LightningAppReconciler) writeStatus(ctx context.Context, a *lightningv1alpha1.LightningApp, obs app.Observed, queueNext bool) (bool, error) {
	status := app.DesiredStatus(a.Status, obs)
	if equality.Semantic.DeepEqual(status, a.Status) || app.OnlyProgress(a.Status, status) {
		return false, nil
	}
	transitions := []transition{
		conditionTransition(a.Status.Conditions, status.Conditions, lightningv1alpha1.ConditionSecretsResolved),
		conditionTransition(a.Status.Conditions, status.Conditions, lightningv1alpha1.ConditionReady),
	}
	a.Status = status
	// An update, not a patch: it carries the resourceVersion the status was
	// computed from, and costs the apiserver a tenth less (the harness).
	if err := r.owned.write(a, statusWrite(a), queueNext, func() error { return r.client.Status().Update(ctx, a) }); err != nil {
		return false, fmt.Errorf("writing status of LightningApp %s/%s: %w", a.Namespace, a.Name, err)
	}
	for _, t := range transitions {
		if !t.changed {
			continue
		}
		// Ready turning True is the one Event of a clean create.
		if eventType, emit := eventFor(t, t.cond.Type == lightningv1alpha1.ConditionReady); emit {
			r.recorder.Eventf(a, nil, eventType, t.cond.Reason, t.cond.Type, "%s", t.cond.Message)
		}
		logf.FromContext(ctx).Info("LightningApp condition changed", "type", t.cond.Type, "status", t.cond.Status, "reason", t.cond.Reason)
	}
	return queueNext, nil
}

// statusWrite is a status write over the app as read: its next pass waits
// for the cache to show it (a pass on the older one would only conflict).
func statusWrite(a *lightningv1alpha1.LightningApp) expectations.Write {
	return expectations.Write{Kind: kindLightningApp, Key: client.ObjectKeyFromObject(a), After: a.ResourceVersion}
}

// SetupWithManager watches apps, their Deployments and Secrets, the
// LightningSecrets they reference (through the index), the keyring (so a
// restored one heals the apps it failed) and their pods (so an old Secret
// goes when its last pod does).
func (r *LightningAppReconciler) SetupWithManager(mgr ctrl.Manager) error {
	keyringKey := r.keys.SecretKey()
	b := ctrl.NewControllerManagedBy(mgr)
	if name := r.opts.PodWebhook.ConfigName; name != "" {
		// Where the webhook injects follows its namespaceSelector and the
		// namespaces' labels.
		b = b.Watches(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(r.appsInNamespace),
			builder.WithPredicates(predicate.LabelChangedPredicate{})).
			Watches(&admissionregistrationv1.MutatingWebhookConfiguration{}, handler.EnqueueRequestsFromMapFunc(r.allApps),
				builder.WithPredicates(predicate.GenerationChangedPredicate{}, predicate.NewPredicateFuncs(func(o client.Object) bool {
					return o.GetName() == name
				})))
	}
	// Every event of the app and what it owns feeds the expectations
	// first; the handlers below decide what is news.
	b = b.Watches(&lightningv1alpha1.LightningApp{}, r.expectations.Observer(kindLightningApp, ownKey, ptr.To(componentsPassPriority)))
	for _, owned := range []struct {
		kind string
		obj  client.Object
	}{{kindSecret, &corev1.Secret{}}, {kindDeployment, &appsv1.Deployment{}},
		{kindServiceAccount, &corev1.ServiceAccount{}}, {kindRoleBinding, &rbacv1.RoleBinding{}}} {
		b = b.Watches(owned.obj, r.expectations.Observer(owned.kind, controllingApp, nil))
	}
	return b.
		For(&lightningv1alpha1.LightningApp{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		// What the app made comes back as a create event: no news (the
		// expectations already wait for it). Changes and deletes count.
		// (One WithPredicates per Owns: a second one replaces the first.)
		Owns(&appsv1.Deployment{}, builder.WithPredicates(notCreated)).
		Owns(&corev1.Secret{}, builder.WithPredicates(notCreated)).
		Owns(&corev1.ServiceAccount{}, builder.WithPredicates(notCreated)).
		Owns(&rbacv1.RoleBinding{}, builder.WithPredicates(notCreated)).
		// Only a new value matters to an app; its status is the other reconciler's.
		Watches(&lightningv1alpha1.LightningSecret{}, handler.EnqueueRequestsFromMapFunc(r.appsUsingSecret),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.unresolvedApps),
			builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
				return client.ObjectKeyFromObject(o) == keyringKey
			}))).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(appOfPod),
			builder.WithPredicates(predicate.Funcs{
				CreateFunc: func(event.CreateEvent) bool { return false },
				// A pod that starts or stops failing changes the app's status.
				UpdateFunc: func(e event.UpdateEvent) bool {
					oldPod, okOld := e.ObjectOld.(*corev1.Pod)
					newPod, okNew := e.ObjectNew.(*corev1.Pod)
					now := r.opts.Now()
					return okOld && okNew && !equality.Semantic.DeepEqual(app.PodFailure(oldPod, now), app.PodFailure(newPod, now))
				},
			})).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.opts.Workers}).
		Named("lightningapp").
		Complete(r)
}

// notCreated drops create events. At start-up the apps' own create events
// reconcile every app, so an owned object's is never the only one.
var notCreated = predicate.Funcs{CreateFunc: func(event.CreateEvent) bool { return false }}

// appsUsingSecret maps a LightningSecret to exactly the apps that reference it.
func (r *LightningAppReconciler) appsUsingSecret(ctx context.Context, o client.Object) []reconcile.Request {
	return r.listApps(ctx, client.InNamespace(o.GetNamespace()), client.MatchingFields{IndexAppSecretRefs: o.GetName()})
}

// unresolvedApps maps a keyring change to the apps whose secrets do not
// resolve: a restored keyring, or one that gained its version key, heals
// them. Resolved apps do not need it (their versions are known), so a
// rotation reconciles none.
func (r *LightningAppReconciler) unresolvedApps(ctx context.Context, _ client.Object) []reconcile.Request {
	apps := &lightningv1alpha1.LightningAppList{}
	if err := r.client.List(ctx, apps); err != nil {
		logf.FromContext(ctx).Error(err, "Listing LightningApps after a keyring change failed")
		return nil
	}
	var out []reconcile.Request
	for i := range apps.Items {
		if !meta.IsStatusConditionTrue(apps.Items[i].Status.Conditions, lightningv1alpha1.ConditionSecretsResolved) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&apps.Items[i])})
		}
	}
	return out
}

// appsInNamespace maps a namespace to its apps.
func (r *LightningAppReconciler) appsInNamespace(ctx context.Context, o client.Object) []reconcile.Request {
	return r.listApps(ctx, client.InNamespace(o.GetName()))
}

// allApps maps a change of the webhook's registration to every app.
func (r *LightningAppReconciler) allApps(ctx context.Context, _ client.Object) []reconcile.Request {
	return r.listApps(ctx)
}

func (r *LightningAppReconciler) listApps(ctx context.Context, opts ...client.ListOption) []reconcile.Request {
	apps := &lightningv1alpha1.LightningAppList{}
	if err := r.client.List(ctx, apps, opts...); err != nil {
		logf.FromContext(ctx).Error(err, "Listing LightningApps failed")
		return nil
	}
	return requestsFor(apps.Items)
}

// requestsFor is a reconcile request for each listed object.
func requestsFor[T any, PT interface {
	*T
	client.Object
}](items []T) []reconcile.Request {
	out := make([]reconcile.Request, 0, len(items))
	for i := range items {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(PT(&items[i]))})
	}
	return out
}

// ownKey is an object's own key, for the expectations of its status writes.
func ownKey(o client.Object) (types.NamespacedName, bool) {
	return client.ObjectKeyFromObject(o), true
}

// controllingApp is the app that controls o, if any.
func controllingApp(o client.Object) (types.NamespacedName, bool) {
	ref := metav1.GetControllerOf(o)
	if ref == nil || ref.Kind != "LightningApp" || ref.APIVersion != lightningv1alpha1.GroupVersion.String() {
		return types.NamespacedName{}, false
	}
	return types.NamespacedName{Namespace: o.GetNamespace(), Name: ref.Name}, true
}

// appOfPod maps a deleted app pod to its app, for Secret cleanup.
func appOfPod(_ context.Context, o client.Object) []reconcile.Request {
	name := o.GetLabels()[lightningv1alpha1.LabelApp]
	if name == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: name}}}
}

// foreignObjectError: an object the app needs exists and is not the app's.
// Retrying cannot help until someone removes it, so the app is Stalled.
type foreignObjectError struct {
	kind string
	key  types.NamespacedName
	app  string
}

func (e *foreignObjectError) Error() string {
	return fmt.Sprintf("%s %s exists and is not owned by LightningApp %s: delete or rename it, or rename the app", e.kind, e.key, e.app)
}

// stalledError: the app as written cannot run, and retrying cannot help
// until its spec or its namespace changes.
type stalledError struct {
	reason, message string
}

func (e *stalledError) Error() string { return e.message }

// reportError puts the error that stopped a pass into the app's status
// (Ready=False, and Stalled for a foreign object) and, on a change of
// reason, an Event. A conflict only means the cache was behind: the retry
// comes at once and says nothing.
func (r *LightningAppReconciler) reportError(ctx context.Context, a *lightningv1alpha1.LightningApp, err error) {
	if apierrors.IsConflict(err) || ctx.Err() != nil {
		return
	}
	reason, stalled := lightningv1alpha1.ReasonReconcileError, false
	var foreign *foreignObjectError
	var refused *stalledError
	switch {
	case errors.As(err, &foreign):
		reason, stalled = lightningv1alpha1.ReasonForeignObject, true
	case errors.As(err, &refused):
		reason, stalled = refused.reason, true
	}
	status := app.ErrorStatus(a.Status, a.Generation, reason, err.Error(), stalled)
	if equality.Semantic.DeepEqual(status, a.Status) {
		return
	}
	t := conditionTransition(a.Status.Conditions, status.Conditions, lightningv1alpha1.ConditionReady)
	patchBase, w := client.MergeFrom(a.DeepCopy()), statusWrite(a)
	a.Status = status
	if perr := r.owned.write(a, w, false, func() error { return r.client.Status().Patch(ctx, a, patchBase) }); perr != nil {
		logf.FromContext(ctx).Error(perr, "Writing the error into the app's status failed", "reason", reason)
		return
	}
	if t.changed {
		r.recorder.Eventf(a, nil, corev1.EventTypeWarning, reason, "Reconcile", "%s", t.cond.Message)
	}
}

// applyServiceAccount makes the app's ServiceAccount when its pods hold a
// token, and its RoleBinding to the shipped launcher ClusterRole when the
// app launches Works; it removes what the app no longer needs.
func (r *LightningAppReconciler) applyServiceAccount(ctx context.Context, a *lightningv1alpha1.LightningApp) error {
	binding := app.DesiredRoleBinding(a)
	key := client.ObjectKeyFromObject(binding)
	if !a.Spec.LaunchWorks {
		if err := r.owned.delete(ctx, a, kindRoleBinding, key, &rbacv1.RoleBinding{}); err != nil {
			return err
		}
	}
	if !app.UsesServiceAccount(a) {
		return r.owned.delete(ctx, a, kindServiceAccount, key, &corev1.ServiceAccount{})
	}
	sa := app.DesiredServiceAccount(a)
	liveSA := &corev1.ServiceAccount{}
	if _, err := r.owned.apply(ctx, a, kindServiceAccount, sa, liveSA, func() bool {
		if maps.Equal(liveSA.Labels, sa.Labels) && ptr.Equal(liveSA.AutomountServiceAccountToken, sa.AutomountServiceAccountToken) {
			return false
		}
		liveSA.Labels, liveSA.AutomountServiceAccountToken = sa.Labels, sa.AutomountServiceAccountToken
		return true
	}); err != nil {
		return err
	}
	if !a.Spec.LaunchWorks {
		return nil
	}
	if replaced, err := r.replaceRoleOfOlderVersions(ctx, a, binding); replaced || err != nil {
		return err
	}
	liveBinding := &rbacv1.RoleBinding{}
	_, err := r.owned.apply(ctx, a, kindRoleBinding, binding, liveBinding, func() bool {
		if equality.Semantic.DeepEqual(liveBinding.Subjects, binding.Subjects) {
			return false
		}
		liveBinding.Subjects = binding.Subjects
		return true
	})
	return err
}

// replaceRoleOfOlderVersions moves an app that earlier versions gave a Role
// of its own (and a RoleBinding to it) onto the shipped ClusterRole: a
// RoleBinding's roleRef cannot change, so it is deleted and made anew, and
// the Role goes. The manager may delete Roles but not create them.
func (r *LightningAppReconciler) replaceRoleOfOlderVersions(ctx context.Context, a *lightningv1alpha1.LightningApp, binding *rbacv1.RoleBinding) (bool, error) {
	live := &rbacv1.RoleBinding{}
	if err := r.client.Get(ctx, client.ObjectKeyFromObject(binding), live); err != nil {
		return false, client.IgnoreNotFound(err)
	}
	if !metav1.IsControlledBy(live, a) || live.RoleRef == binding.RoleRef {
		return false, nil
	}
	if err := r.owned.deleteLive(ctx, a, kindRoleBinding, live); err != nil {
		return false, err
	}
	if live.RoleRef.Kind == "Role" && live.RoleRef.Name == binding.Name {
		old := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: a.Namespace, Name: live.RoleRef.Name}}
		if err := r.client.Delete(ctx, old); client.IgnoreNotFound(err) != nil {
			return false, fmt.Errorf("deleting Role %s/%s of an older version: %w", old.Namespace, old.Name, err)
		}
	}
	if _, err := r.owned.create(ctx, a, kindRoleBinding, binding, &rbacv1.RoleBinding{}, controlledBy(a, kindRoleBinding)); err != nil {
		return false, err
	}
	logf.FromContext(ctx).Info("Bound the app's ServiceAccount to the launcher ClusterRole in place of its own Role", "roleBinding", binding.Name)
	return true, nil
}

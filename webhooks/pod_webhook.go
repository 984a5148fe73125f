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
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/app"
)

// The registration. controller-gen writes it to config/webhook/manifests.yaml.
// The selectors (set through the marker's strategic-merge patch) keep the
// webhook away from every pod that is not an app's, and from the operator's
// own namespace and kube-system, which is what makes failurePolicy=Fail safe.
// The namespace named here is the default install namespace; the operator
// also enforces the exclusion of its actual --operator-namespace at run time
// (see selectors.go).
//
// +kubebuilder:webhook:path=/mutate--v1-pod,mutating=true,failurePolicy=fail,sideEffects=None,groups="",resources=pods,verbs=create,versions=v1,name=pod-env.lightning.ai,admissionReviewVersions=v1,reinvocationPolicy=IfNeeded,timeoutSeconds=5,matchPolicy=Equivalent,patch=`{"objectSelector":{"matchExpressions":[{"key":"lightning.ai/app","operator":"Exists"}]},"namespaceSelector":{"matchExpressions":[{"key":"kubernetes.io/metadata.name","operator":"NotIn","values":["lightning-system","kube-system"]}]}}`

// The webhook reads LightningApps from the informer cache.
// +kubebuilder:rbac:groups=lightning.ai,resources=lightningapps,verbs=get;list;watch

const (
	// PodWebhookName is the name of the pod webhook inside the
	// MutatingWebhookConfiguration.
	PodWebhookName = "pod-env.lightning.ai"
	// PodWebhookPath is where the webhook server serves it; it is the path
	// controller-runtime derives for core/v1 Pod.
	PodWebhookPath = "/mutate--v1-pod"
)

// Reasons a pod is refused; they label the denial metric.
const (
	ReasonAppNotFound        = "AppNotFound"
	ReasonSecretsNotResolved = "SecretsNotResolved"
	ReasonUnknownComponent   = "UnknownComponent"
	ReasonForeignApp         = "ForeignApp"
	ReasonLookupFailed       = "LookupFailed"
)

// Options configure the pod webhook.
type Options struct {
	// OperatorNamespace is the operator's own namespace; KeepSelectors
	// excludes it (and kube-system) from the webhook.
	OperatorNamespace string
}

// SetupPodWebhook registers the pod defaulter with the manager's webhook
// server at PodWebhookPath, and a readiness check ("pod-webhook") that
// passes once the LightningApp cache has synced. The defaulter reads
// LightningApps from the manager's cache only. The registration's selectors
// are kept by the configuration's one writer (internal/certs), with
// KeepSelectors.
func SetupPodWebhook(mgr ctrl.Manager, opts Options) error {
	// Register the LightningApp informer now, so it starts and syncs with the
	// cache instead of lazily inside the first admission request.
	apps, err := mgr.GetCache().GetInformer(context.Background(), &lightningv1alpha1.LightningApp{},
		cache.BlockUntilSynced(false))
	if err != nil {
		return fmt.Errorf("registering the LightningApp informer: %w", err)
	}
	// A replica joins the Service only when it can answer from its cache.
	if err := mgr.AddReadyzCheck("pod-webhook", func(*http.Request) error {
		if !apps.HasSynced() {
			return errors.New("the LightningApp cache has not synced yet")
		}
		return nil
	}); err != nil {
		return fmt.Errorf("adding the pod webhook's readiness check: %w", err)
	}
	d := NewPodDefaulter(mgr.GetCache(), mgr.GetLogger().WithName("pod-webhook"))
	mgr.GetWebhookServer().Register(PodWebhookPath, NewPodDefaulterWebhook(mgr.GetScheme(), d))
	return nil
}

// PodDefaulter injects a LightningApp's env into the app's pods.
type PodDefaulter struct {
	apps client.Reader
	log  logr.Logger
}

var _ admission.Defaulter[*corev1.Pod] = (*PodDefaulter)(nil)

// NewPodDefaulter returns a defaulter that reads apps from apps, which must
// be an informer cache: the request path makes no API call.
func NewPodDefaulter(apps client.Reader, log logr.Logger) *PodDefaulter {
	return &PodDefaulter{apps: apps, log: log}
}

// denial is a refusal. controller-runtime turns an error that is not an
// APIStatus into admission.Denied: allowed=false, code 403, reason Forbidden,
// with the error text as the message the user sees after
// `admission webhook "pod-env.lightning.ai" denied the request:`.
type denial struct {
	reason  string
	message string
}

func (d *denial) Error() string { return d.message }

// Default adds the app's env to the pod, or refuses the pod when its app is
// missing, its secrets are not resolved, its component label is neither a
// declared component nor a component path, or it was created by another
// app's ServiceAccount. Pods the Flow launches at run time are injected like
// the controller's.
func (d *PodDefaulter) Default(ctx context.Context, pod *corev1.Pod) error {
	start := time.Now()
	defer func() { podDuration.Observe(time.Since(start).Seconds()) }()

	namespace, username := pod.Namespace, ""
	if req, err := admission.RequestFromContext(ctx); err == nil {
		if req.Namespace != "" {
			namespace = req.Namespace
		}
		username = req.UserInfo.Username
	}
	appName := pod.Labels[lightningv1alpha1.LabelApp]
	a, component, err := d.check(ctx, namespace, appName, username, pod)
	if err != nil {
		var den *denial
		if errors.As(err, &den) {
			podDenials.WithLabelValues(den.reason).Inc()
			d.log.Info("Refused pod", "namespace", namespace, "pod", podName(pod), "app", appName,
				"reason", den.reason, "message", den.message)
			return err
		}
		podDenials.WithLabelValues(ReasonLookupFailed).Inc()
		d.log.Error(err, "Failed to look up the pod's app", "namespace", namespace, "pod", podName(pod), "app", appName)
		return apierrors.NewInternalError(fmt.Errorf("looking up LightningApp %s/%s: %w", namespace, appName, err))
	}

	in := injection{secret: secretForPod(pod, a), component: component}
	mutated := mutatePod(pod, a, in)
	if mutated == pod {
		podInjections.WithLabelValues(resultUnchanged).Inc()
		return nil
	}
	*pod = *mutated
	podInjections.WithLabelValues(resultInjected).Inc()
	if v := d.log.V(1); v.Enabled() {
		v.Info("Injected env into pod", "namespace", namespace, "pod", podName(pod), "app", appName,
			"component", component, "env", len(a.Spec.Env), "secrets", len(a.Spec.Secrets), "secret", in.secret)
	}
	return nil
}

// check returns the pod's app and component path, a *denial, or a lookup
// error.
func (d *PodDefaulter) check(ctx context.Context, namespace, appName, username string, pod *corev1.Pod) (*lightningv1alpha1.LightningApp, string, error) {
	if appName == "" {
		return nil, "", &denial{ReasonAppNotFound, fmt.Sprintf(
			"the pod's %s label is empty; it must name a LightningApp in namespace %q",
			lightningv1alpha1.LabelApp, namespace)}
	}
	// No app borrows another's secrets by labelling a pod with its name.
	if owner, ok := app.AppOfUser(username, namespace); ok && owner != appName {
		return nil, "", &denial{ReasonForeignApp, fmt.Sprintf(
			"ServiceAccount %s of LightningApp %q may only create pods labelled %s=%s, not %s=%s",
			app.ServiceAccountName(owner), owner, lightningv1alpha1.LabelApp, owner, lightningv1alpha1.LabelApp, appName)}
	}
	a := &lightningv1alpha1.LightningApp{}
	if err := d.apps.Get(ctx, types.NamespacedName{Namespace: namespace, Name: appName}, a); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, "", &denial{ReasonAppNotFound, fmt.Sprintf(
				"LightningApp %q not found in namespace %q: a pod labelled %s=%s is refused until its app exists",
				appName, namespace, lightningv1alpha1.LabelApp, appName)}
		}
		return nil, "", err
	}

	label := pod.Labels[lightningv1alpha1.LabelComponent]
	component, _, ok := app.PodComponent(a, label)
	if !ok {
		if label == "" {
			return nil, "", &denial{ReasonUnknownComponent, fmt.Sprintf(
				"the pod of LightningApp %q has no %s label: it must name the root Flow, one of the app's Works, or a Work's component path such as root.works.3",
				appName, lightningv1alpha1.LabelComponent)}
		}
		return nil, "", &denial{ReasonUnknownComponent, fmt.Sprintf(
			"LightningApp %q has no component %q (label %s), and it is not a component path: it must be root, a declared Work, or 'root.' followed by dot-separated identifiers or indices, such as root.works.3",
			appName, label, lightningv1alpha1.LabelComponent)}
	}

	if den := secretsDenial(appName, a); den != nil && !runsOnLastGood(a) {
		return nil, "", den
	}
	return a, component, nil
}

// secretsDenial refuses the pods of an app whose secrets are not resolved
// for its generation, or not materialized.
func secretsDenial(appName string, a *lightningv1alpha1.LightningApp) *denial {
	cond := meta.FindStatusCondition(a.Status.Conditions, lightningv1alpha1.ConditionSecretsResolved)
	switch {
	case cond == nil:
		return &denial{ReasonSecretsNotResolved, fmt.Sprintf(
			"the secrets of LightningApp %q are not resolved yet (no %s condition); the pod is refused until they are",
			appName, lightningv1alpha1.ConditionSecretsResolved)}
	case cond.Status != metav1.ConditionTrue:
		return &denial{ReasonSecretsNotResolved, fmt.Sprintf(
			"the secrets of LightningApp %q are not resolved (%s=%s, reason %s: %s); the pod is refused until they are",
			appName, cond.Type, cond.Status, cond.Reason, cond.Message)}
	case cond.ObservedGeneration < a.Generation:
		return &denial{ReasonSecretsNotResolved, fmt.Sprintf(
			"the secrets of LightningApp %q are not resolved yet for generation %d (%s describes generation %d); the pod is refused until they are",
			appName, a.Generation, cond.Type, cond.ObservedGeneration)}
	case len(a.Spec.Secrets) > 0 && a.Status.SecretName == "":
		return &denial{ReasonSecretsNotResolved, fmt.Sprintf(
			"the secrets of LightningApp %q are not materialized yet (status.secretName is empty); the pod is refused until they are",
			appName)}
	}
	return nil
}

func podName(pod *corev1.Pod) string {
	if pod.Name != "" {
		return pod.Name
	}
	return pod.GenerateName
}

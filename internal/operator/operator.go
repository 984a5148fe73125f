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

// Package operator puts the operator's parts on a controller-runtime
// manager: the keyring and its rotation, the field indexes, both
// controllers and, when asked, the webhook's TLS and the pod webhook.
// main.go and the envtest suites call the same Setup, so the suites run
// what ships.
package operator

import (
	"context"
	"fmt"
	"maps"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	toolscache "k8s.io/client-go/tools/cache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/controllers"
	"github.com/lightning-operator/lightning-operator/internal/certs"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/keysecret"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
	"github.com/lightning-operator/lightning-operator/internal/statemetrics"
	"github.com/lightning-operator/lightning-operator/webhooks"
)

// Options configure Setup.
type Options struct {
	// Namespace holds the keyring, the certificates and the public keys.
	Namespace string
	// WatchNamespaces, when set, are the only namespaces whose apps and
	// secrets the operator serves (ParseWatchNamespaces); pass them to
	// ScopeCache as well. The pod webhook's namespaceSelector is kept to them.
	WatchNamespaces []string
	// KeyRotationPeriod is the age at which a new sealing key is made;
	// KeyCutoff forces one when the newest key is older.
	KeyRotationPeriod time.Duration
	KeyCutoff         time.Time
	// DefaultRecipients are published with the public keys, for the CLI to
	// seal every value to as well (an offline recovery key).
	DefaultRecipients []*sealing.PublicKey
	// KMS, when set, keeps the keyring wrapped by a KMS v2 plugin
	// (internal/kms); MigrateToKMS lets the leader wrap a plain one.
	KMS          keyring.KeyWrapper
	MigrateToKMS bool
	// KeyCheckInterval is the longest time between two checks of the
	// keyring by the leader, besides its Secret's events and the rotation
	// due time, and the longest backoff after a failed one; default 1m.
	KeyCheckInterval time.Duration
	// Workers is the reconciles run in parallel per controller.
	Workers int
	// App tunes the LightningApp controller.
	App controllers.AppOptions
	// Now is the clock of key rotation and rollouts; tests set it.
	Now func() time.Time
	// WebhookConfigName is the pod webhook's MutatingWebhookConfiguration:
	// apps in namespaces its namespaceSelector does not select run nothing.
	// Pass the same name to CacheOptions. Empty skips that check.
	WebhookConfigName string
	// Webhook, when set, serves the pod webhook with its TLS.
	Webhook *WebhookOptions
}

// WebhookOptions configure the webhook's TLS and the pod webhook.
type WebhookOptions struct {
	TLS certs.Options
	Pod webhooks.Options
}

// The metrics endpoint authenticates each scrape with a TokenReview and
// authorizes it with a SubjectAccessReview (get on the /metrics URL).
// +kubebuilder:rbac:groups=authentication.k8s.io,resources=tokenreviews,verbs=create
// +kubebuilder:rbac:groups=authorization.k8s.io,resources=subjectaccessreviews,verbs=create

// MetricsOptions serve the metrics at addr ("0" turns them off). Secure, the
// default, is HTTPS with tls.crt and tls.key from certDir, reloaded when
// they change (controller-runtime makes a self-signed certificate when they
// are missing), and only a caller the apiserver authenticates and allows to
// get /metrics is answered (the metrics-reader ClusterRole grants it).
// main.go passes the webhook's CertDir unless --metrics-cert-dir is set, so
// the endpoint serves the certificate internal/certs keeps.
func MetricsOptions(addr string, secure bool, certDir string) metricsserver.Options {
	o := metricsserver.Options{BindAddress: addr}
	if secure {
		o.SecureServing = true
		o.CertDir = certDir
		o.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	return o
}

// CacheOptions keep only the operator's own Secrets and Deployments, app
// pods, and the pod webhook's registration (webhookConfigName, when set) in
// memory, so memory does not grow with the cluster's other objects.
func CacheOptions(webhookConfigName string) cache.Options {
	ours := labels.SelectorFromSet(labels.Set{lightningv1alpha1.LabelManagedBy: lightningv1alpha1.ManagedByValue})
	appPods, _ := labels.Parse(lightningv1alpha1.LabelApp) // "key exists" always parses
	byObject := map[client.Object]cache.ByObject{
		&corev1.Secret{}:     {Label: ours, Transform: chain(stripUnread, stripAppSecretData)},
		&appsv1.Deployment{}: {Label: ours, Transform: chain(stripUnread, stripPodTemplate)},
		&corev1.Pod{}:        {Label: appPods},
		// Each app's ServiceAccount, Role and RoleBinding.
		&corev1.ServiceAccount{}: {Label: ours},
		&rbacv1.Role{}:           {Label: ours},
		&rbacv1.RoleBinding{}:    {Label: ours},
	}
	if webhookConfigName != "" {
		// RBAC grants list and watch of this one name only.
		byObject[&admissionregistrationv1.MutatingWebhookConfiguration{}] = cache.ByObject{
			Field: fields.OneTermEqualSelector("metadata.name", webhookConfigName),
		}
	}
	return cache.Options{ByObject: byObject, DefaultTransform: stripUnread}
}

// stripUnread drops what the operator never reads before an object enters
// the cache: managedFields, and kubectl's last-applied copy (for a
// LightningSecret, a second copy of the ciphertext; make
// bench-scale measures the peak RSS; docs/performance.md).
func stripUnread(in any) (any, error) {
	obj, err := meta.Accessor(in)
	if err != nil {
		return in, nil // a tombstone: nothing to strip
	}
	if obj.GetManagedFields() != nil {
		obj.SetManagedFields(nil)
	}
	if a := obj.GetAnnotations(); a[corev1.LastAppliedConfigAnnotation] != "" {
		kept := maps.Clone(a)
		delete(kept, corev1.LastAppliedConfigAnnotation)
		obj.SetAnnotations(kept)
	}
	return in, nil
}

// chain runs the transforms in order.
func chain(transforms ...toolscache.TransformFunc) toolscache.TransformFunc {
	return func(in any) (any, error) {
		var err error
		for _, t := range transforms {
			if in, err = t(in); err != nil {
				return nil, err
			}
		}
		return in, nil
	}
}

// stripAppSecretData drops the values of app Secrets (those labelled with
// their app) from the cache: the operator writes them once and never reads
// them back, so its memory holds no plaintext it does not need. The keyring
// and certificate Secrets keep their data.
func stripAppSecretData(in any) (any, error) {
	if s, ok := in.(*corev1.Secret); ok && s.Labels[lightningv1alpha1.LabelApp] != "" {
		s.Data, s.StringData = nil, nil
	}
	return in, nil
}

// stripPodTemplate drops a cached Deployment's pod template: the controller
// compares its template-hash annotation with the desired one and writes a
// whole new spec when they differ, so the cached template is never read.
func stripPodTemplate(in any) (any, error) {
	if d, ok := in.(*appsv1.Deployment); ok {
		d.Spec.Template = corev1.PodTemplateSpec{}
	}
	return in, nil
}

// Setup adds every part to mgr. ctx bounds the index registration.
func Setup(ctx context.Context, mgr ctrl.Manager, o Options) error {
	keyOpts := keysecret.Options{Namespace: o.Namespace, RotationPeriod: o.KeyRotationPeriod, Cutoff: o.KeyCutoff, DefaultRecipients: o.DefaultRecipients,
		KMS: o.KMS, MigrateToKMS: o.MigrateToKMS}
	keys := keysecret.NewSource(mgr.GetClient(), keyOpts)
	writer := keysecret.NewWriter(mgr.GetClient(), mgr.GetAPIReader(), keyOpts, o.Now)
	rotator := keysecret.NewRotator(writer, keysecret.AnyLightningSecret(mgr.GetAPIReader(), o.WatchNamespaces...), o.KeyCheckInterval, mgr.GetEventRecorder("lightning-keyring")).
		WithSource(keys)
	if err := rotator.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the keyring controller: %w", err)
	}
	if err := mgr.Add(statemetrics.New(mgr.GetCache(), keys)); err != nil {
		return err
	}
	if err := controllers.SetupIndexes(ctx, mgr); err != nil {
		return fmt.Errorf("registering field indexes: %w", err)
	}
	if err := controllers.NewLightningSecretReconciler(mgr.GetClient(), mgr.GetAPIReader(), keys, mgr.GetEventRecorder("lightningsecret-controller"), o.Workers).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the LightningSecret controller: %w", err)
	}
	appOpts := o.App
	appOpts.Workers = o.Workers
	if appOpts.ExcludedNamespaces == nil {
		// The pod webhook's namespaceSelector excludes these (webhooks.KeepSelectors).
		appOpts.ExcludedNamespaces = []string{o.Namespace, metav1.NamespaceSystem}
	}
	if appOpts.Now == nil {
		appOpts.Now = o.Now
	}
	if o.WebhookConfigName != "" {
		appOpts.PodWebhook = controllers.PodWebhookRef{ConfigName: o.WebhookConfigName, WebhookName: webhooks.PodWebhookName}
	}
	if err := controllers.NewLightningAppReconciler(mgr.GetClient(), mgr.GetAPIReader(), keys, mgr.GetEventRecorder("lightningapp-controller"), appOpts).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the LightningApp controller: %w", err)
	}
	if o.Webhook == nil {
		return nil
	}
	tls := o.Webhook.TLS
	tls.ConfigureWebhook = webhooks.KeepSelectors(o.Namespace, o.WatchNamespaces...)
	certReady, err := certs.Setup(mgr, tls)
	if err != nil {
		return fmt.Errorf("setting up the webhook certificate: %w", err)
	}
	if err := mgr.AddReadyzCheck("webhook-cert", certReady); err != nil {
		return fmt.Errorf("adding webhook certificate check: %w", err)
	}
	if err := webhooks.SetupPodWebhook(mgr, o.Webhook.Pod); err != nil {
		return fmt.Errorf("setting up the pod webhook: %w", err)
	}
	return nil
}

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
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// configReconciler hands out the trust bundle and keeps the webhook
// configuration, on the leader: it puts the CAs of the TLS Secret (self
// mode) into the caBundle of the MutatingWebhookConfiguration, with what
// configure keeps there (the pod webhook's selectors), and publishes them
// in the metrics CA ConfigMap; in external mode it keeps the selectors
// only, and publishes the ca.crt that cert-manager mounts. It runs at
// start, on every event of the configuration and of the Secret, and at
// least every interval (the ConfigMap and the mounted file are not
// watched).
type configReconciler struct {
	config    *configWriter // nil: the configuration is not kept
	publisher *caPublisher  // nil: not published
	// secret is the TLS Secret whose trust bundle is handed out, read
	// from the cache (self mode); nil in external mode.
	secret *types.NamespacedName
	cache  client.Reader
	// caFile is the mounted CA to publish (external mode).
	caFile string

	key      types.NamespacedName // the one request
	interval time.Duration
	log      logr.Logger
}

var _ reconcile.Reconciler = (*configReconciler)(nil)

func (r *configReconciler) setupWithManager(mgr ctrl.Manager) error {
	b := ctrl.NewControllerManagedBy(mgr).
		Named("webhook-configuration").
		WatchesRawSource(atStart(r.key)).
		WithOptions(timedOptions(r.interval))
	if r.config != nil {
		// The manager's cache holds this one configuration (operator.CacheOptions).
		b = b.Watches(&admissionregistrationv1.MutatingWebhookConfiguration{}, enqueue(r.key),
			builder.WithPredicates(only(types.NamespacedName{Name: r.config.configName})))
	}
	if r.secret != nil {
		b = b.Watches(&corev1.Secret{}, enqueue(r.key), builder.WithPredicates(only(*r.secret)))
	}
	return b.Complete(r)
}

// Reconcile writes the configuration and the ConfigMap when they differ.
func (r *configReconciler) Reconcile(ctx context.Context, _ reconcile.Request) (reconcile.Result, error) {
	err := r.reconcile(ctx)
	if ctx.Err() != nil {
		return reconcile.Result{}, nil // stopping
	}
	if err != nil {
		var kv []any
		if r.config != nil {
			kv = append(kv, "configuration", r.config.configName)
		}
		if r.secret != nil {
			kv = append(kv, "secret", *r.secret)
		} else {
			kv = append(kv, "caFile", r.caFile)
		}
		r.log.Error(err, "Failed to check the webhook configuration and the published CA", kv...)
		return reconcile.Result{}, err
	}
	return reconcile.Result{RequeueAfter: r.interval}, nil
}

func (r *configReconciler) reconcile(ctx context.Context) error {
	if r.secret == nil {
		var errs []error
		if r.config != nil {
			errs = append(errs, r.config.patch(ctx, nil))
		}
		return errors.Join(append(errs, r.publisher.publishFile(ctx, r.caFile))...)
	}
	ca, err := r.trustBundle(ctx)
	if err != nil {
		return err
	}
	errs := []error{r.config.patch(ctx, ca)}
	if ca != nil {
		errs = append(errs, r.publisher.publish(ctx, ca))
	}
	return errors.Join(errs...)
}

// trustBundle is the Secret's CAs, or nil while it has none (the rotator
// is recreating or repairing it; its write brings an event).
func (r *configReconciler) trustBundle(ctx context.Context) ([]byte, error) {
	sec := &corev1.Secret{}
	if err := r.cache.Get(ctx, *r.secret, sec); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading the webhook certificate Secret %s: %w", *r.secret, err)
	}
	b := parseBundle(sec.Data)
	if len(b.cas) == 0 {
		return nil, nil
	}
	return b.caBundle(), nil
}

// configWriter is the one writer of the MutatingWebhookConfiguration: the
// caBundle (in self mode) and whatever configure keeps (the pod webhook's
// selectors), in one patch.
type configWriter struct {
	reader     client.Reader // live: decisions never rest on a stale cache
	writer     client.Client
	configName string
	configure  func(*admissionregistrationv1.MutatingWebhook) bool
	log        logr.Logger
}

// patch sets ca (unless nil) on every webhook and applies configure.
func (w *configWriter) patch(ctx context.Context, ca []byte) error {
	cfg := &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := w.reader.Get(ctx, types.NamespacedName{Name: w.configName}, cfg); err != nil {
		return fmt.Errorf("reading MutatingWebhookConfiguration %s: %w", w.configName, err)
	}
	orig := cfg.DeepCopy()
	caChanged, configured := false, false
	for i := range cfg.Webhooks {
		if ca != nil && !bytes.Equal(cfg.Webhooks[i].ClientConfig.CABundle, ca) {
			cfg.Webhooks[i].ClientConfig.CABundle = ca
			caChanged = true
		}
		if w.configure != nil && w.configure(&cfg.Webhooks[i]) {
			configured = true
		}
	}
	if !caChanged && !configured {
		return nil
	}
	// The merge patch replaces the webhooks list; the optimistic lock keeps
	// it from undoing a concurrent change.
	if err := w.writer.Patch(ctx, cfg, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("patching MutatingWebhookConfiguration %s: %w", w.configName, err)
	}
	if caChanged {
		w.log.Info("Patched the caBundle", "configuration", w.configName, "webhooks", len(cfg.Webhooks))
		caBundlePatches.Inc()
	}
	if configured {
		w.log.Info("Updated the webhook configuration's selectors", "configuration", w.configName)
	}
	return nil
}

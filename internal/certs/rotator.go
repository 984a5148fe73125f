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
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// rotator renews the certificates and has the configWriter put the CA in
// the webhook configuration, and the publisher (when the metrics endpoint
// serves the certificate) in its ConfigMap. A periodic.Loop runs it on the
// leader: now, at the bundle's next renewal or expiry, on every change of
// the Secret, and at least every interval. A new CA reaches both before it
// signs (the propagation delay).
type rotator struct {
	store     *store
	config    *configWriter
	publisher *caPublisher // nil: not published
}

func (r *rotator) reconcile(ctx context.Context) (time.Time, error) {
	b, err := r.store.ensure(ctx, time.Now(), true)
	if err != nil {
		return time.Time{}, err
	}
	ca := b.caBundle()
	return b.nextEvent(r.store.cfg), errors.Join(r.config.patch(ctx, ca), r.publisher.publish(ctx, ca))
}

// configWriter is the one writer of the MutatingWebhookConfiguration: the
// caBundle (in self mode) and whatever configure keeps (the pod webhook's
// selectors), in one patch.
type configWriter struct {
	reader     client.Reader // live: the configuration is not cached
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

// watchSecret signals on every event of the Secret key, from the manager's
// cache (which sees only Secrets labelled as the operator's).
func watchSecret(ctx context.Context, c cache.Cache, key types.NamespacedName) (<-chan struct{}, func(), error) {
	inf, err := c.GetInformer(ctx, &corev1.Secret{})
	if err != nil {
		return nil, nil, fmt.Errorf("getting the Secret informer: %w", err)
	}
	trigger := make(chan struct{}, 1)
	notify := func(obj any) {
		if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
			obj = d.Obj
		}
		if o, ok := obj.(client.Object); ok && o.GetNamespace() == key.Namespace && o.GetName() == key.Name {
			select {
			case trigger <- struct{}{}:
			default:
			}
		}
	}
	reg, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    notify,
		UpdateFunc: func(_, obj any) { notify(obj) },
		DeleteFunc: notify,
	})
	if err != nil {
		return nil, nil, err
	}
	return trigger, func() { _ = inf.RemoveEventHandler(reg) }, nil
}

package certs

import (
	"bytes"
	"context"
	"fmt"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// rotator is the single writer: it renews the certificates and keeps the
// caBundle in the webhook configuration. A periodic.Loop runs it on the
// leader: now, at the bundle's next renewal or expiry, on every change of
// the Secret, and at least every interval.
type rotator struct {
	store      *store
	configName string
}

func (r *rotator) reconcile(ctx context.Context) (time.Time, error) {
	b, err := r.store.ensure(ctx, time.Now(), true)
	if err != nil {
		return time.Time{}, err
	}
	return b.nextEvent(r.store.cfg), r.patchCABundle(ctx, b.caBundle())
}

// patchCABundle sets the trust bundle on every webhook of the configuration.
func (r *rotator) patchCABundle(ctx context.Context, ca []byte) error {
	cfg := &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := r.store.reader.Get(ctx, types.NamespacedName{Name: r.configName}, cfg); err != nil {
		return fmt.Errorf("reading MutatingWebhookConfiguration %s: %w", r.configName, err)
	}
	orig := cfg.DeepCopy()
	changed := false
	for i := range cfg.Webhooks {
		if !bytes.Equal(cfg.Webhooks[i].ClientConfig.CABundle, ca) {
			cfg.Webhooks[i].ClientConfig.CABundle = ca
			changed = true
		}
	}
	if !changed {
		return nil
	}
	// The merge patch replaces the webhooks list; the optimistic lock keeps
	// it from undoing a concurrent change.
	if err := r.store.writer.Patch(ctx, cfg, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("patching the caBundle of MutatingWebhookConfiguration %s: %w", r.configName, err)
	}
	r.store.log.Info("Patched the caBundle", "configuration", r.configName, "webhooks", len(cfg.Webhooks))
	caBundlePatches.Inc()
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

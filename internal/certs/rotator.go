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
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// rotator renews the certificates of the TLS Secret (self mode), on the
// leader: at start, on every event of the Secret (it recreates a deleted
// one), at the bundle's next event (a renewal, an expiry, the end of a
// propagation delay) and at least every interval, each time reading the
// Secret live. The configReconciler and the filesReconciler follow the
// Secret it writes.
type rotator struct {
	store    *store
	interval time.Duration
}

var _ reconcile.Reconciler = (*rotator)(nil)

func (r *rotator) setupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("webhook-certificate").
		For(&corev1.Secret{}, builder.WithPredicates(only(r.store.key))).
		WatchesRawSource(atStart(r.store.key)).
		WithOptions(timedOptions(r.interval)).
		Complete(r)
}

// Reconcile rotates what is due; its request is always the Secret.
func (r *rotator) Reconcile(ctx context.Context, _ reconcile.Request) (reconcile.Result, error) {
	now := time.Now()
	b, err := r.store.ensure(ctx, now, true)
	if ctx.Err() != nil {
		return reconcile.Result{}, nil // stopping
	}
	if err != nil {
		r.store.log.Error(err, "Failed to reconcile the webhook certificate", "secret", r.store.key)
		return reconcile.Result{}, err
	}
	return reconcile.Result{RequeueAfter: requeueAfter(now, b.nextEvent(now, r.store.cfg), r.interval)}, nil
}

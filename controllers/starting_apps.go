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
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/app"
)

// StartingApps are the apps that have never had a Secret and that the app
// controller has not reconciled yet. In a burst of new apps (a cold start, a
// bulk apply) what their pods wait for is each app's Secret and the status
// that names it; a new LightningSecret's first status only tells people that
// it opens. So while apps are starting, the LightningSecret controller holds
// that first status back, for at most holdMax, and the held ones are queued
// again when the last starting app is reconciled. In the scale harness those
// statuses were a fifth of the apiserver's work in a cold start
// (docs/performance.md). A nil *StartingApps holds nothing.
type StartingApps struct {
	mu   sync.Mutex
	apps map[types.NamespacedName]struct{}
	// since is when apps last turned non-empty.
	since time.Time
	// The first hold lists the cached apps (the LightningSecret controller
	// may start before the app controller has been told of them), but not
	// those reconciled already.
	listApps         func(context.Context) ([]lightningv1alpha1.LightningApp, error)
	listed           bool
	reconciledBefore map[types.NamespacedName]struct{}
	// held are the LightningSecrets waiting; queue is the LightningSecret
	// controller's, once its source started.
	held    map[types.NamespacedName]struct{}
	queue   workqueue.TypedRateLimitingInterface[reconcile.Request]
	holdMax time.Duration
	now     func() time.Time
}

// startingHoldMax bounds how long a LightningSecret's first status waits,
// so a stream of new apps cannot starve it.
const startingHoldMax = 30 * time.Second

// NewStartingApps makes an empty set; c is the manager's cache.
func NewStartingApps(c client.Reader) *StartingApps {
	return newStartingApps(func(ctx context.Context) ([]lightningv1alpha1.LightningApp, error) {
		apps := &lightningv1alpha1.LightningAppList{}
		// Read once, and only read: no copy of every app (a few MB at 2,000).
		err := c.List(ctx, apps, client.UnsafeDisableDeepCopy)
		return apps.Items, err
	}, time.Now, startingHoldMax)
}

func newStartingApps(listApps func(context.Context) ([]lightningv1alpha1.LightningApp, error), now func() time.Time, holdMax time.Duration) *StartingApps {
	return &StartingApps{apps: map[types.NamespacedName]struct{}{}, held: map[types.NamespacedName]struct{}{},
		reconciledBefore: map[types.NamespacedName]struct{}{}, listApps: listApps, holdMax: holdMax, now: now}
}

// add notes an app queued for its first pass.
func (s *StartingApps) add(key types.NamespacedName) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lockedAdd(key)
}

func (s *StartingApps) lockedAdd(key types.NamespacedName) {
	if len(s.apps) == 0 {
		s.since = s.now()
	}
	s.apps[key] = struct{}{}
}

// done notes that an app was reconciled, whatever the outcome. The last one
// releases the held LightningSecrets.
func (s *StartingApps) done(key types.NamespacedName) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.apps, key)
	if !s.listed {
		s.reconciledBefore[key] = struct{}{}
	}
	if len(s.apps) > 0 || s.queue == nil {
		return
	}
	for lsec := range s.held {
		s.queue.Add(reconcile.Request{NamespacedName: lsec})
	}
	clear(s.held)
}

// hold says whether a new LightningSecret's first status waits, and for at
// most how long: apps are starting, for less than holdMax. A failed list of
// the cached apps holds nothing (the order is an optimisation) and is tried
// again on the next hold.
func (s *StartingApps) hold(ctx context.Context, lsec types.NamespacedName) (time.Duration, bool) {
	if s == nil {
		return 0, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.listed {
		apps, err := s.listApps(ctx)
		if err != nil {
			return 0, false
		}
		for i := range apps {
			key := client.ObjectKeyFromObject(&apps[i])
			if _, reconciled := s.reconciledBefore[key]; !reconciled && app.AwaitsFirstSecret(&apps[i]) {
				s.lockedAdd(key)
			}
		}
		s.listed, s.reconciledBefore = true, nil
	}
	left := s.holdMax - s.now().Sub(s.since)
	if len(s.apps) == 0 || left <= 0 || s.queue == nil {
		return 0, false
	}
	s.held[lsec] = struct{}{}
	return left, true
}

// releaseSource is the LightningSecret controller's source of released keys.
func (s *StartingApps) releaseSource() source.Source {
	return source.Func(func(_ context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.queue = q
		return nil
	})
}

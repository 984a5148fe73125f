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
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

func TestStartingAppsHold(t *testing.T) {
	appA, appB := types.NamespacedName{Namespace: "ns", Name: "a"}, types.NamespacedName{Namespace: "ns", Name: "b"}
	lsec := types.NamespacedName{Namespace: "ns", Name: "s"}
	cached := func(key types.NamespacedName, secretName string) lightningv1alpha1.LightningApp {
		a := lightningv1alpha1.LightningApp{}
		a.Namespace, a.Name = key.Namespace, key.Name
		a.Spec.Secrets = []lightningv1alpha1.SecretEnvVar{{Name: "S", SecretRef: "s"}}
		a.Status.SecretName = secretName
		return a
	}
	const holdMax = 30 * time.Second
	tests := []struct {
		name   string
		cached []lightningv1alpha1.LightningApp
		// before runs ahead of the hold; the clock starts at 0.
		before       func(s *StartingApps, advance func(time.Duration))
		wantHeld     bool
		wantLeft     time.Duration
		after        func(s *StartingApps)
		wantReleased int
	}{
		{name: "no app is starting", wantHeld: false},
		{name: "an app is queued for its first pass", before: func(s *StartingApps, _ func(time.Duration)) { s.add(appA) },
			wantHeld: true, wantLeft: holdMax},
		{name: "the last starting app releases what is held",
			before:   func(s *StartingApps, _ func(time.Duration)) { s.add(appA); s.add(appB) },
			wantHeld: true, wantLeft: holdMax,
			after: func(s *StartingApps) { s.done(appA); s.done(appB) }, wantReleased: 1},
		{name: "one app of two done releases nothing",
			before:   func(s *StartingApps, _ func(time.Duration)) { s.add(appA); s.add(appB) },
			wantHeld: true, wantLeft: holdMax,
			after: func(s *StartingApps) { s.done(appA) }, wantReleased: 0},
		{name: "the hold counts from when apps started, and ends after holdMax",
			before: func(s *StartingApps, advance func(time.Duration)) {
				s.add(appA)
				advance(10 * time.Second)
				s.add(appB)
				advance(20 * time.Second)
			}, wantHeld: false},
		{name: "part of holdMax is left",
			before: func(s *StartingApps, advance func(time.Duration)) {
				s.add(appA)
				advance(10 * time.Second)
			}, wantHeld: true, wantLeft: 20 * time.Second},
		{name: "the first hold finds cached apps the app controller was not told of yet",
			cached: []lightningv1alpha1.LightningApp{cached(appA, "")}, wantHeld: true, wantLeft: holdMax},
		{name: "a cached app with a Secret is not starting",
			cached: []lightningv1alpha1.LightningApp{cached(appA, "a-env-1")}, wantHeld: false},
		{name: "a cached app reconciled already is not starting (its status may lag in the cache)",
			cached: []lightningv1alpha1.LightningApp{cached(appA, "")},
			before: func(s *StartingApps, _ func(time.Duration)) { s.add(appA); s.done(appA) }, wantHeld: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var now time.Time
			s := newStartingApps(func(context.Context) ([]lightningv1alpha1.LightningApp, error) { return tt.cached, nil },
				func() time.Time { return now }, holdMax)
			queue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
			defer queue.ShutDown()
			if err := s.releaseSource().Start(context.Background(), queue); err != nil {
				t.Fatal(err)
			}
			if tt.before != nil {
				tt.before(s, func(d time.Duration) { now = now.Add(d) })
			}
			left, held := s.hold(context.Background(), lsec)
			if held != tt.wantHeld || left != tt.wantLeft {
				t.Fatalf("hold = %v, %v; want %v, %v", left, held, tt.wantLeft, tt.wantHeld)
			}
			if tt.after != nil {
				tt.after(s)
			}
			if got := queue.Len(); got != tt.wantReleased {
				t.Errorf("%d LightningSecrets queued again, want %d", got, tt.wantReleased)
			}
		})
	}
}

func TestStartingAppsHoldsNothingWithoutItsQueueOrWhenNil(t *testing.T) {
	lsec := types.NamespacedName{Namespace: "ns", Name: "s"}
	noApps := func(context.Context) ([]lightningv1alpha1.LightningApp, error) { return nil, nil }
	s := newStartingApps(noApps, time.Now, time.Minute)
	s.add(types.NamespacedName{Namespace: "ns", Name: "a"})
	if _, held := s.hold(context.Background(), lsec); held {
		t.Error("held before the LightningSecret controller's queue started: nothing would release it")
	}
	var none *StartingApps
	none.add(lsec)
	none.done(lsec)
	if _, held := none.hold(context.Background(), lsec); held {
		t.Error("a nil StartingApps held")
	}
}

func TestStartingAppsListError(t *testing.T) {
	fail := true
	apps := []lightningv1alpha1.LightningApp{{}}
	apps[0].Namespace, apps[0].Name = "ns", "a"
	apps[0].Spec.Secrets = []lightningv1alpha1.SecretEnvVar{{Name: "S", SecretRef: "s"}}
	s := newStartingApps(func(context.Context) ([]lightningv1alpha1.LightningApp, error) {
		if fail {
			return nil, errors.New("cache gone")
		}
		return apps, nil
	}, time.Now, time.Minute)
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	defer queue.ShutDown()
	if err := s.releaseSource().Start(context.Background(), queue); err != nil {
		t.Fatal(err)
	}
	lsec := types.NamespacedName{Namespace: "ns", Name: "s"}
	if _, held := s.hold(context.Background(), lsec); held {
		t.Error("held although the cached apps could not be listed")
	}
	fail = false
	if _, held := s.hold(context.Background(), lsec); !held {
		t.Error("the list was not tried again: the cached app that is starting holds nothing")
	}
}

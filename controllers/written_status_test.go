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
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

func TestWrittenStatusesCatchUp(t *testing.T) {
	written := lightningv1alpha1.LightningAppStatus{Phase: "Running", SecretName: "a-env-1"}
	cachedStatus := lightningv1alpha1.LightningAppStatus{Phase: "Pending"}
	tests := []struct {
		name       string
		cachedRV   string
		wantRV     string
		wantStatus lightningv1alpha1.LightningAppStatus
		kept       bool
	}{
		{"the cache is still at the version the write started from", "10", "11", written, true},
		{"the cache shows the write", "11", "11", cachedStatus, false},
		{"someone wrote after us", "12", "12", cachedStatus, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWrittenStatuses(time.Now)
			a := &lightningv1alpha1.LightningApp{}
			a.Namespace, a.Name, a.ResourceVersion, a.Status = "ns", "a", "11", written
			w.record(a, "10")

			cached := &lightningv1alpha1.LightningApp{}
			cached.Namespace, cached.Name, cached.ResourceVersion, cached.Status = "ns", "a", tt.cachedRV, cachedStatus
			w.catchUp(cached)
			if cached.ResourceVersion != tt.wantRV || !equality.Semantic.DeepEqual(cached.Status, tt.wantStatus) {
				t.Errorf("got resourceVersion %s, status %+v; want %s, %+v", cached.ResourceVersion, cached.Status, tt.wantRV, tt.wantStatus)
			}
			if _, ok := w.byKey[client.ObjectKeyFromObject(a)]; ok != tt.kept {
				t.Errorf("note kept = %v, want %v", ok, tt.kept)
			}
		})
	}
	t.Run("a note the cache never caught up with goes after a while", func(t *testing.T) {
		now := time.Unix(1000, 0)
		w := newWrittenStatuses(func() time.Time { return now })
		a := &lightningv1alpha1.LightningApp{}
		a.Namespace, a.Name, a.ResourceVersion, a.Status = "ns", "a", "11", written
		w.record(a, "10")
		now = now.Add(2 * writtenStatusTTL)
		b := a.DeepCopy()
		b.Name = "b"
		w.record(b, "10")
		if _, ok := w.byKey[client.ObjectKeyFromObject(a)]; ok {
			t.Error("an old note stays")
		}
		if _, ok := w.byKey[client.ObjectKeyFromObject(b)]; !ok {
			t.Error("the new note went")
		}
	})
	t.Run("another app is left alone", func(t *testing.T) {
		w := newWrittenStatuses(time.Now)
		a := &lightningv1alpha1.LightningApp{}
		a.Namespace, a.Name, a.ResourceVersion, a.Status = "ns", "a", "11", written
		w.record(a, "10")
		other := &lightningv1alpha1.LightningApp{}
		other.Namespace, other.Name, other.ResourceVersion = "ns", "b", "10"
		w.catchUp(other)
		if other.ResourceVersion != "10" || other.Status.Phase != "" {
			t.Errorf("another app changed: %+v", other)
		}
	})
}

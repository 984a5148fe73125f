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
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

// writtenStatuses remembers the last status the reconciler wrote for each
// app until its cache shows that write. A reconcile that runs before the
// watch delivers it (an owned object's event queued meanwhile) then starts
// from what is stored, not from the older cached status, and does not write
// the same status twice: the scale harness counted 0.14 extra status writes
// per app without it.
type writtenStatuses struct {
	mu    sync.Mutex
	byKey map[client.ObjectKey]writtenStatus
	// now and lastSweep drop notes the cache must have caught up with long
	// ago, so an app that is not reconciled again does not keep its note.
	now       func() time.Time
	lastSweep time.Time
}

// writtenStatus is one status write: the resourceVersion it was made from,
// the one it made, the status, and when.
type writtenStatus struct {
	from, to string
	status   lightningv1alpha1.LightningAppStatus
	at       time.Time
}

// writtenStatusTTL is far longer than a watch takes to deliver a write.
const writtenStatusTTL = time.Minute

func newWrittenStatuses(now func() time.Time) *writtenStatuses {
	return &writtenStatuses{byKey: map[client.ObjectKey]writtenStatus{}, now: now}
}

// record notes a status write that turned resourceVersion from into a's.
func (w *writtenStatuses) record(a *lightningv1alpha1.LightningApp, from string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	if now.Sub(w.lastSweep) > writtenStatusTTL {
		for k, e := range w.byKey {
			if now.Sub(e.at) > writtenStatusTTL {
				delete(w.byKey, k)
			}
		}
		w.lastSweep = now
	}
	w.byKey[client.ObjectKeyFromObject(a)] = writtenStatus{from: from, to: a.ResourceVersion, status: *a.Status.DeepCopy(), at: now}
}

// catchUp lays the last write over a cached app that is still at the
// version that write started from. Any other version is the cache catching
// up (or someone else writing after us): then the cache is right, and the
// note goes.
func (w *writtenStatuses) catchUp(a *lightningv1alpha1.LightningApp) {
	w.mu.Lock()
	defer w.mu.Unlock()
	key := client.ObjectKeyFromObject(a)
	last, ok := w.byKey[key]
	if !ok {
		return
	}
	if a.ResourceVersion != last.from {
		delete(w.byKey, key)
		return
	}
	a.Status = *last.status.DeepCopy()
	a.ResourceVersion = last.to
}

// forget drops what is noted for a deleted app.
func (w *writtenStatuses) forget(key client.ObjectKey) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.byKey, key)
}

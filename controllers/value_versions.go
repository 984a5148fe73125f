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

	"k8s.io/apimachinery/pkg/types"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

// valueVersions remembers each LightningSecret's value version, so an app's
// reconcile opens a value once per change of it rather than on every pass
// (apps reconcile on every Deployment status change; an open costs ~0.2 ms).
// An entry is good for one object (UID), one spec (generation) and one
// version key; it holds a digest, never a value.
type valueVersions struct {
	mu      sync.Mutex
	entries map[types.NamespacedName]versionEntry
}

type versionEntry struct {
	uid          types.UID
	generation   int64
	versionKeyID string
	version      string
}

func newValueVersions() *valueVersions {
	return &valueVersions{entries: map[types.NamespacedName]versionEntry{}}
}

// get returns the version remembered for lsec's current spec under the
// version key versionKeyID.
func (v *valueVersions) get(lsec *lightningv1alpha1.LightningSecret, versionKeyID string) (string, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.entries[types.NamespacedName{Namespace: lsec.Namespace, Name: lsec.Name}]
	if !ok || e.uid != lsec.UID || e.generation != lsec.Generation || e.versionKeyID != versionKeyID {
		return "", false
	}
	return e.version, true
}

func (v *valueVersions) put(lsec *lightningv1alpha1.LightningSecret, versionKeyID, version string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.entries[types.NamespacedName{Namespace: lsec.Namespace, Name: lsec.Name}] = versionEntry{
		uid: lsec.UID, generation: lsec.Generation, versionKeyID: versionKeyID, version: version,
	}
}

// forget drops the entry of a deleted LightningSecret, so the map holds only
// what exists.
func (v *valueVersions) forget(key types.NamespacedName) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.entries, key)
}

func (v *valueVersions) len() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.entries)
}

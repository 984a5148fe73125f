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

	"k8s.io/apimachinery/pkg/types"
)

// createdObjects remembers the objects the app reconciler created until its
// cache shows them. A pass that runs before the watch delivers a create (an
// owned object's event queued meanwhile: a Deployment's status, written a
// moment after its sibling was created) then takes the object as made,
// instead of creating it again to be refused AlreadyExists and reading it
// past the cache: the scale harness counted 0.29 such creates and reads per
// app of two components without it. A note goes when the cache shows the
// object, when it is deleted, or after createdTTL.
type createdObjects struct {
	mu        sync.Mutex
	at        map[createdKey]time.Time
	now       func() time.Time
	lastSweep time.Time
}

type createdKey struct {
	kind string
	key  types.NamespacedName
}

// createdTTL is far longer than a watch takes to deliver a create.
const createdTTL = 30 * time.Second

func newCreatedObjects(now func() time.Time) *createdObjects {
	return &createdObjects{at: map[createdKey]time.Time{}, now: now}
}

// record notes a create the apiserver accepted.
func (c *createdObjects) record(kind string, key types.NamespacedName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if now.Sub(c.lastSweep) > createdTTL {
		for k, at := range c.at {
			if now.Sub(at) > createdTTL {
				delete(c.at, k)
			}
		}
		c.lastSweep = now
	}
	c.at[createdKey{kind, key}] = now
}

// made says whether an object the cache does not hold was created lately.
func (c *createdObjects) made(kind string, key types.NamespacedName) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	at, ok := c.at[createdKey{kind, key}]
	return ok && c.now().Sub(at) <= createdTTL
}

// forget drops a note: the cache shows the object, or it was deleted.
func (c *createdObjects) forget(kind string, key types.NamespacedName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.at, createdKey{kind, key})
}

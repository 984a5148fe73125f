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

// Package expectations remembers, per owner, the writes a controller made
// that its informer cache has not shown yet, so the owner is not reconciled
// from a cache older than its own writes. It is the operator's one answer to
// cache lag, modelled on Kueue's pkg/util/expectations: Expect after each
// write, Observe in the event handlers, Satisfied once at the top of
// Reconcile.
//
// A write is expected before it is sent (its event can come before the
// write returns), as a resourceVersion newer than the one it replaces, and
// dropped when the write fails.
package expectations

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/resourceversion"
)

// Write is one write whose effect the cache must show: the object of Kind
// at Key with a resourceVersion newer than After (any, for a create), or
// gone when Deleted. As an observation, ResourceVersion is what the cache
// shows.
type Write struct {
	Kind            string
	Key             types.NamespacedName
	After           string
	ResourceVersion string
	Deleted         bool
}

// Store holds the owners' pending writes. The zero value is not usable: use New.
type Store struct {
	mu     sync.Mutex
	owners map[types.NamespacedName]*pending
	ttl    time.Duration
	now    func() time.Time
}

type pending struct {
	writes map[object]Write
	// deadline ends the wait: a lost event must not hold an owner forever.
	deadline time.Time
	// queue: a pass was held back (or asked for) while writes were pending,
	// so the observation that completes them queues the owner.
	queue bool
}

type object struct {
	kind string
	key  types.NamespacedName
}

// New makes a Store whose expectations lapse after ttl.
func New(ttl time.Duration, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{owners: map[types.NamespacedName]*pending{}, ttl: ttl, now: now}
}

// Expect notes a write, about to be sent, that the owner's next pass must
// see in the cache. A later write of the same object replaces the earlier one.
func (s *Store) Expect(owner types.NamespacedName, w Write) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lockedExpect(owner, w)
}

func (s *Store) lockedExpect(owner types.NamespacedName, w Write) {
	p := s.owners[owner]
	if p == nil {
		p = &pending{writes: map[object]Write{}}
		s.owners[owner] = p
	}
	p.writes[object{w.Kind, w.Key}] = w
	p.deadline = s.now().Add(s.ttl)
}

// ExpectThenQueue is Expect, and asks for a pass of owner once the cache
// shows all its writes.
func (s *Store) ExpectThenQueue(owner types.NamespacedName, w Write) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lockedExpect(owner, w)
	s.owners[owner].queue = true
}

// Satisfied reports whether the cache shows every write of owner. When it
// does not, the pass is held back: the observation that completes the
// writes queues owner, and wait is when the expectations lapse, for a
// requeue in case that observation never comes.
func (s *Store) Satisfied(owner types.NamespacedName) (ok bool, wait time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.owners[owner]
	if p == nil {
		return true, 0
	}
	left := p.deadline.Sub(s.now())
	if left <= 0 {
		delete(s.owners, owner)
		return true, 0
	}
	p.queue = true
	return false, left
}

// Observe notes that the cache shows the object of kind at key, at
// resourceVersion or deleted. It reports whether owner must be queued now:
// this completed its writes and a pass was held back or asked for.
func (s *Store) Observe(owner types.NamespacedName, seen Write) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.owners[owner]
	if p == nil {
		return false
	}
	id := object{seen.Kind, seen.Key}
	want, ok := p.writes[id]
	if !ok || !shows(seen, want) {
		return false
	}
	delete(p.writes, id)
	if len(p.writes) > 0 {
		return false
	}
	delete(s.owners, owner)
	return p.queue
}

// shows says whether an observation covers the expected write. A delete
// covers any write (nothing newer will come); an object covers its create,
// and a version newer than the one a write replaced covers it.
func shows(seen, want Write) bool {
	switch {
	case seen.Deleted:
		return true
	case want.Deleted:
		return false
	case want.After == "":
		return true
	}
	cmp, err := resourceversion.CompareResourceVersion(seen.ResourceVersion, want.After)
	if err != nil {
		// Not comparable (another storage than etcd): any other version.
		return seen.ResourceVersion != want.After
	}
	return cmp > 0
}

// Write sends one write of owner's, expected first (its event can come
// before it returns) and dropped if it fails. With queueNext, owner's next
// pass is queued when the cache shows it.
func (s *Store) Write(owner types.NamespacedName, w Write, queueNext bool, send func() error) error {
	if queueNext {
		s.ExpectThenQueue(owner, w)
	} else {
		s.Expect(owner, w)
	}
	err := send()
	if err != nil {
		s.Drop(owner, w)
	}
	return err
}

// Drop forgets an expected write that failed.
func (s *Store) Drop(owner types.NamespacedName, w Write) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.owners[owner]
	if p == nil {
		return
	}
	delete(p.writes, object{w.Kind, w.Key})
	if len(p.writes) == 0 {
		delete(s.owners, owner)
	}
}

// Forget drops owner's expectations (it was deleted).
func (s *Store) Forget(owner types.NamespacedName) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.owners, owner)
}

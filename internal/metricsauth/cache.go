package metricsauth

import (
	"sync"
	"time"
)

// maxEntries bounds each cache, so a flood of distinct tokens cannot grow
// the operator's memory without limit.
const maxEntries = 1024

// reviewCache remembers review answers, keyed by a digest (never a token),
// until their time runs out.
type reviewCache[V any] struct {
	mu      sync.Mutex
	now     func() time.Time
	entries map[[32]byte]cached[V]
}

type cached[V any] struct {
	value   V
	expires time.Time
}

func newReviewCache[V any](now func() time.Time) *reviewCache[V] {
	return &reviewCache[V]{now: now, entries: map[[32]byte]cached[V]{}}
}

func (c *reviewCache[V]) get(key [32]byte) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !c.now().Before(e.expires) {
		delete(c.entries, key)
		var zero V
		return zero, false
	}
	return e.value, true
}

func (c *reviewCache[V]) put(key [32]byte, value V, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if len(c.entries) >= maxEntries {
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
	}
	if len(c.entries) >= maxEntries {
		// Still full of live answers: drop any one; it is only asked again.
		for k := range c.entries {
			delete(c.entries, k)
			break
		}
	}
	c.entries[key] = cached[V]{value: value, expires: now.Add(ttl)}
}

func (c *reviewCache[V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

package metricsauth

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"
)

func TestReviewCache(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	c := newReviewCache[string](func() time.Time { return now })
	a, b := sha256.Sum256([]byte("a")), sha256.Sum256([]byte("b"))
	c.put(a, "alice", time.Minute)
	c.put(b, "bob", 30*time.Second)

	now = now.Add(29 * time.Second)
	if v, ok := c.get(a); !ok || v != "alice" {
		t.Errorf("a before it expires: %q, %v", v, ok)
	}
	if v, ok := c.get(b); !ok || v != "bob" {
		t.Errorf("b before it expires: %q, %v", v, ok)
	}
	now = now.Add(time.Second)
	if _, ok := c.get(b); ok {
		t.Error("b answered at its expiry")
	}
	if _, ok := c.get(a); !ok {
		t.Error("a expired with b")
	}
	if c.len() != 1 {
		t.Errorf("%d entries kept, want 1 (an expired one is dropped when asked)", c.len())
	}
}

// A flood of distinct tokens does not grow the cache past maxEntries, and
// expired answers go first.
func TestReviewCacheBound(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	c := newReviewCache[int](func() time.Time { return now })
	for i := range maxEntries {
		c.put(sha256.Sum256(fmt.Appendf(nil, "old %d", i)), i, time.Second)
	}
	now = now.Add(2 * time.Second)
	kept := sha256.Sum256([]byte("kept"))
	c.put(kept, -1, time.Minute)
	if c.len() != 1 {
		t.Fatalf("%d entries after the expired ones made room, want 1", c.len())
	}
	for i := range 3 * maxEntries {
		c.put(sha256.Sum256(fmt.Appendf(nil, "new %d", i)), i, time.Minute)
	}
	if c.len() != maxEntries {
		t.Errorf("%d entries, want at most %d", c.len(), maxEntries)
	}
}

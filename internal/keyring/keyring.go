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

// Package keyring models the operator's sealing keys as data: the keyring
// kept in a Secret's data and the public keys published in a ConfigMap's
// data. It is pure; the Kubernetes reads and writes live in keysecret.
//
// Keys are ordered oldest to newest and the newest is current: new values
// are sealed to it, and every older key is kept so old values still open.
// Beside the sealing keys, a keyring holds one VersionKey for value versions.
package keyring

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

// Key is one sealing key and when it was made.
type Key struct {
	Private *sealing.PrivateKey
	Created time.Time
}

// Keyring is an immutable set of keys, oldest first; build one with New,
// Rotate or Unmarshal.
type Keyring struct {
	keys    []Key
	byID    map[string]int
	version *VersionKey
}

var _ sealing.KeyLookup = (*Keyring)(nil)

// New makes a keyring with one fresh key and a version key, created at now.
func New(now time.Time) (*Keyring, error) {
	kr, err := (&Keyring{}).Rotate(now)
	if err != nil {
		return nil, err
	}
	return kr.WithVersionKey(now)
}

// WithVersionKey returns the keyring with a version key: the receiver when it
// has one, else a copy with a fresh one (keyrings made before value versions
// had none).
func (kr *Keyring) WithVersionKey(now time.Time) (*Keyring, error) {
	if kr.VersionKey() != nil {
		return kr, nil
	}
	vk, err := NewVersionKey(now)
	if err != nil {
		return nil, err
	}
	return newKeyring(slices.Clone(kr.all()), vk), nil
}

// VersionKey returns the key of value versions; nil when there is none yet.
func (kr *Keyring) VersionKey() *VersionKey {
	if kr == nil {
		return nil
	}
	return kr.version
}

// Rotate returns a new keyring with a fresh current key; the receiver is left
// as it was. Created times are kept at second precision (as stored) and
// strictly increasing, even if the clock went back, so the order survives
// the unordered Secret data.
func (kr *Keyring) Rotate(now time.Time) (*Keyring, error) {
	priv, err := sealing.GenerateKey()
	if err != nil {
		return nil, err
	}
	created := now.UTC().Truncate(time.Second)
	if cur := kr.Current(); cur != nil && !created.After(cur.Created) {
		created = cur.Created.Add(time.Second)
	}
	keys := append(slices.Clip(kr.all()), Key{Private: priv, Created: created})
	return newKeyring(keys, kr.VersionKey()), nil
}

func newKeyring(keys []Key, version *VersionKey) *Keyring {
	byID := make(map[string]int, len(keys))
	for i, k := range keys {
		byID[k.Private.ID()] = i
	}
	return &Keyring{keys: keys, byID: byID, version: version}
}

func (kr *Keyring) all() []Key {
	if kr == nil {
		return nil
	}
	return kr.keys
}

// Current returns the newest key, the one to seal to; nil for an empty keyring.
func (kr *Keyring) Current() *Key {
	keys := kr.all()
	if len(keys) == 0 {
		return nil
	}
	k := keys[len(keys)-1]
	return &k
}

// PrivateKey finds a key by ID, so the keyring is a sealing.KeyLookup.
func (kr *Keyring) PrivateKey(id string) (*sealing.PrivateKey, bool) {
	if kr == nil {
		return nil, false
	}
	i, ok := kr.byID[id]
	if !ok {
		return nil, false
	}
	return kr.keys[i].Private, true
}

// Retire returns a new keyring without the key id; the receiver is left as
// it was. The current key cannot be retired (rotate first), and an unknown
// ID is an error. Whether anything is still sealed to the key is the
// caller's check: it needs the cluster.
func (kr *Keyring) Retire(id string) (*Keyring, error) {
	i, ok := kr.byIDOf(id)
	if !ok {
		return nil, fmt.Errorf("key %s is not in the keyring (its keys: %s)", id, strings.Join(kr.IDs(), ", "))
	}
	if i == kr.Len()-1 {
		return nil, fmt.Errorf("key %s is the current key, which new values are sealed to; rotate first (--key-cutoff), then retire it", id)
	}
	keys := slices.Delete(slices.Clone(kr.all()), i, i+1)
	return newKeyring(keys, kr.VersionKey()), nil
}

func (kr *Keyring) byIDOf(id string) (int, bool) {
	if kr == nil {
		return 0, false
	}
	i, ok := kr.byID[id]
	return i, ok
}

// Keys returns the keys, oldest first.
func (kr *Keyring) Keys() []Key { return slices.Clone(kr.all()) }

// IDs returns the key IDs, oldest first.
func (kr *Keyring) IDs() []string {
	keys := kr.all()
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.Private.ID()
	}
	return ids
}

// Len returns the number of keys.
func (kr *Keyring) Len() int { return len(kr.all()) }

// NeedsRotation decides whether a new key is due at now: when the current key
// is period old or older (period <= 0 turns this off), or when a cutoff is
// set, has passed, and the current key was made before it. A future cutoff
// waits, or every new key would be "before" it. Times compare at the second
// precision of the stored Created. An empty keyring always needs a key.
func NeedsRotation(kr *Keyring, now time.Time, period time.Duration, cutoff time.Time) bool {
	cur := kr.Current()
	if cur == nil {
		return true
	}
	if period > 0 && now.Sub(cur.Created) >= period {
		return true
	}
	if !cutoff.IsZero() && !cutoff.After(now) && cur.Created.Before(cutoff.Truncate(time.Second)) {
		return true
	}
	return false
}

// String lists the key IDs; it never shows key material.
func (kr *Keyring) String() string {
	if vk := kr.VersionKey(); vk != nil {
		return fmt.Sprintf("keyring%v %v", kr.IDs(), vk)
	}
	return fmt.Sprintf("keyring%v", kr.IDs())
}

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

package kmstest

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"

	"github.com/lightning-operator/lightning-operator/internal/kms"
)

// FakeEndpoint is the endpoint a Fake names in its errors.
const FakeEndpoint = "unix:///fake/kms.sock"

// Fake is a pure-Go KMS plugin with the methods of internal/kms's Client:
// AES-256-GCM under one key per key ID, with the key ID as additional data,
// so a wrap opens only under the ID it was made with. It is safe for
// concurrent use.
type Fake struct {
	mu      sync.Mutex
	keys    map[string][]byte
	current string
	down    bool
	calls   Calls
}

// Calls counts a Fake's calls, failed ones too.
type Calls struct{ KeyID, Wrap, Unwrap int }

// NewFake is a Fake with one key.
func NewFake() *Fake {
	f := &Fake{keys: map[string][]byte{}}
	f.Rotate()
	return f
}

// Endpoint is FakeEndpoint.
func (f *Fake) Endpoint() string { return FakeEndpoint }

// Rotate makes a new current key, and returns its ID; the old ones still
// unwrap.
func (f *Fake) Rotate() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.current = fmt.Sprintf("fake-key-%d", len(f.keys)+1)
	key := make([]byte, 32)
	_, _ = rand.Read(key) // never fails
	f.keys[f.current] = key
	return f.current
}

// SetDown takes the plugin down (every call fails with kms.ErrUnavailable)
// or brings it back.
func (f *Fake) SetDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

// Calls is how often each method was called.
func (f *Fake) Calls() Calls {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func (f *Fake) unavailable(call string) error {
	return fmt.Errorf("KMS plugin at %s is %w (%s: the fake is down)", FakeEndpoint, kms.ErrUnavailable, call)
}

// KeyID is the current key's ID.
func (f *Fake) KeyID(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls.KeyID++
	if f.down {
		return "", f.unavailable("Status")
	}
	return f.current, nil
}

// Wrap seals dataKey under the current key.
func (f *Fake) Wrap(_ context.Context, dataKey []byte) (string, []byte, map[string][]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls.Wrap++
	if f.down {
		return "", nil, nil, f.unavailable("Encrypt")
	}
	aead := newAEAD(f.keys[f.current])
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce)
	return f.current, aead.Seal(nonce, nonce, dataKey, []byte(f.current)), nil, nil
}

// Unwrap opens what Wrap sealed under keyID.
func (f *Fake) Unwrap(_ context.Context, keyID string, ciphertext []byte, _ map[string][]byte) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls.Unwrap++
	if f.down {
		return nil, f.unavailable("Decrypt")
	}
	key, ok := f.keys[keyID]
	if !ok {
		return nil, fmt.Errorf("KMS plugin at %s: Decrypt failed: no key %q", FakeEndpoint, keyID)
	}
	aead := newAEAD(key)
	if len(ciphertext) < aead.NonceSize() {
		return nil, errors.New("KMS plugin at " + FakeEndpoint + ": Decrypt failed: the ciphertext is too short")
	}
	plain, err := aead.Open(nil, ciphertext[:aead.NonceSize()], ciphertext[aead.NonceSize():], []byte(keyID))
	if err != nil {
		return nil, fmt.Errorf("KMS plugin at %s: Decrypt failed: key %s does not decrypt this ciphertext", FakeEndpoint, keyID)
	}
	return plain, nil
}

func newAEAD(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // keys are 32 bytes, made by Rotate
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

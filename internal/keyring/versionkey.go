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

package keyring

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"time"

	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

// VersionKeySize is the length of a version key in bytes.
const VersionKeySize = 32

// VersionLength is the length of a value version in hex characters: 64 bits
// of HMAC-SHA256, so two values of one secret share a version by chance with
// odds of 2^-64 per change, and without the key nobody can find two that do.
const VersionLength = 16

// versionLabel separates value versions from any other use of an HMAC key.
const versionLabel = "lightning-operator/value-version/v1"

// VersionKey computes value versions: a keyed digest of a LightningSecret's
// plaintext that changes exactly when the value does. It is an HMAC, never a
// plain hash, so a version gives away nothing about a short value. The key
// lives only in the keyring Secret and is never published or rotated:
// another key would change every version and so roll every app.
type VersionKey struct {
	key     []byte
	created time.Time
}

// NewVersionKey makes a fresh random version key, created at now.
func NewVersionKey(now time.Time) (*VersionKey, error) {
	key := make([]byte, VersionKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generating the version key: %w", err)
	}
	return &VersionKey{key: key, created: now.UTC().Truncate(time.Second)}, nil
}

func parseVersionKey(key []byte, created time.Time) (*VersionKey, error) {
	if len(key) != VersionKeySize {
		return nil, fmt.Errorf("a version key is %d bytes, not %d", VersionKeySize, len(key))
	}
	return &VersionKey{key: key, created: created.UTC()}, nil
}

// Version is the value version of plaintext sealed as scope. The scope is in
// the digest, so equal values of two secrets do not show as equal.
func (k *VersionKey) Version(scope sealing.Scope, plaintext []byte) string {
	mac := hmac.New(sha256.New, k.key)
	writeField(mac, []byte(versionLabel))
	writeField(mac, []byte(scope.Namespace))
	writeField(mac, []byte(scope.Name))
	writeField(mac, plaintext)
	return hex.EncodeToString(mac.Sum(nil))[:VersionLength]
}

// writeField length-prefixes each field, so no two inputs digest alike.
func writeField(h hash.Hash, b []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	h.Write(n[:])
	h.Write(b)
}

// ID names the key without revealing it: versions made under different keys
// differ, and the ID tells which key a cached version came from.
func (k *VersionKey) ID() string {
	h := sha256.New()
	writeField(h, []byte(versionLabel+"/id"))
	writeField(h, k.key)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Created is when the key was made.
func (k *VersionKey) Created() time.Time { return k.created }

// String shows the ID only, never the key.
func (k VersionKey) String() string { return fmt.Sprintf("versionkey[%s]", k.ID()) }

// GoString is String, so %#v does not print the key either.
func (k VersionKey) GoString() string { return k.String() }

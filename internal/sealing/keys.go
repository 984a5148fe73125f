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

package sealing

import (
	"bytes"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
)

// Serialized key sizes of the suite.
const (
	// PrivateKeySize is the length of a private key's seed.
	PrivateKeySize = 32
	// PublicKeySize is the length of an ML-KEM-768 || X25519 public key.
	PublicKeySize = 1184 + 32
)

// PEMBlockType is the PEM type of a public key for offline sealing.
const PEMBlockType = "LIGHTNING SEALING PUBLIC KEY"

// PEM headers of a public key block.
const (
	pemHeaderKeyID = "Key-Id"
	pemHeaderSuite = "Suite"
)

// PublicKey seals values; anyone may hold it.
type PublicKey struct {
	k  hpke.PublicKey
	id string
}

// PrivateKey opens values sealed to its public key.
type PrivateKey struct {
	k    hpke.PrivateKey
	seed []byte
	pub  *PublicKey
}

// GenerateKey makes a new random key pair.
func GenerateKey() (*PrivateKey, error) {
	k, err := kem.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("generating sealing key: %w", err)
	}
	seed, err := k.Bytes()
	if err != nil {
		return nil, fmt.Errorf("serializing sealing key: %w", err)
	}
	return newPrivateKey(k, seed), nil
}

// ParsePrivateKey reads the seed written by PrivateKey.Bytes. Errors never
// quote the input.
func ParsePrivateKey(b []byte) (*PrivateKey, error) {
	if len(b) != PrivateKeySize {
		return nil, fmt.Errorf("sealing: private key is %d bytes, want %d", len(b), PrivateKeySize)
	}
	k, err := kem.NewPrivateKey(b)
	if err != nil {
		return nil, errors.New("sealing: private key is invalid")
	}
	return newPrivateKey(k, bytes.Clone(b)), nil
}

func newPrivateKey(k hpke.PrivateKey, seed []byte) *PrivateKey {
	pub := k.PublicKey()
	return &PrivateKey{k: k, seed: seed, pub: &PublicKey{k: pub, id: keyID(pub.Bytes())}}
}

// ParsePublicKey reads the bytes written by PublicKey.Bytes.
func ParsePublicKey(b []byte) (*PublicKey, error) {
	if len(b) != PublicKeySize {
		return nil, fmt.Errorf("sealing: public key is %d bytes, want %d", len(b), PublicKeySize)
	}
	k, err := kem.NewPublicKey(b)
	if err != nil {
		return nil, errors.New("sealing: public key is invalid")
	}
	return &PublicKey{k: k, id: keyID(b)}, nil
}

// keyID is the hex of the first 8 bytes of SHA-256(KEM ID || public key):
// short enough to read in a condition, long enough never to collide in a
// keyring, and derived so a key cannot be filed under the wrong name.
func keyID(pub []byte) string {
	h := sha256.New()
	var id [2]byte
	binary.BigEndian.PutUint16(id[:], kem.ID())
	h.Write(id[:])
	h.Write(pub)
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// String names the key and never prints its seed, even when a PrivateKey
// value (not a pointer) is formatted.
func (k PrivateKey) String() string {
	if k.pub == nil {
		return "sealing.PrivateKey(invalid)"
	}
	return "sealing.PrivateKey(" + k.pub.id + ")"
}

// GoString is String, so %#v does not print the seed either.
func (k PrivateKey) GoString() string { return k.String() }

// ID names the key in envelopes, keyrings and conditions.
func (k *PrivateKey) ID() string { return k.pub.id }

// Public returns the matching public key.
func (k *PrivateKey) Public() *PublicKey { return k.pub }

// Bytes returns the 32-byte seed the whole key derives from. Keep it secret.
func (k *PrivateKey) Bytes() []byte { return bytes.Clone(k.seed) }

// ID names the key in envelopes, keyrings and conditions.
func (k *PublicKey) ID() string { return k.id }

// Bytes returns the serialized public key.
func (k *PublicKey) Bytes() []byte { return bytes.Clone(k.k.Bytes()) }

// Equal reports whether k and o are the same public key.
func (k *PublicKey) Equal(o *PublicKey) bool {
	return k != nil && o != nil && bytes.Equal(k.k.Bytes(), o.k.Bytes())
}

// EncodePublicKeysPEM writes one PEM block per key, in the given order.
// By convention the order is oldest to newest, so the last block is the
// current key: the one to seal new values to.
func EncodePublicKeysPEM(keys []*PublicKey) []byte {
	var buf bytes.Buffer
	for _, k := range keys {
		// pem.Encode fails only on headers with ':' or on writer errors.
		_ = pem.Encode(&buf, &pem.Block{
			Type:    PEMBlockType,
			Headers: map[string]string{pemHeaderKeyID: k.id, pemHeaderSuite: Suite},
			Bytes:   k.k.Bytes(),
		})
	}
	return buf.Bytes()
}

// ParsePublicKeysPEM reads the blocks EncodePublicKeysPEM writes, in order,
// so the last key is the current one. Text around the blocks is ignored (as
// in any PEM file); other block types, a missing or mismatched Key-Id, an
// unknown Suite or a repeated key are errors.
func ParsePublicKeysPEM(data []byte) ([]*PublicKey, error) {
	var keys []*PublicKey
	seen := map[string]bool{}
	for n := 1; ; n++ {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != PEMBlockType {
			return nil, fmt.Errorf("sealing: PEM block %d is a %q, want %q", n, block.Type, PEMBlockType)
		}
		if s := block.Headers[pemHeaderSuite]; s != Suite {
			return nil, fmt.Errorf("sealing: PEM block %d has suite %q, want %q", n, s, Suite)
		}
		pub, err := ParsePublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: %w", n, err)
		}
		if id := block.Headers[pemHeaderKeyID]; id != pub.id {
			return nil, fmt.Errorf("sealing: PEM block %d has Key-Id %q, but its key's ID is %s", n, id, pub.id)
		}
		if seen[pub.id] {
			return nil, fmt.Errorf("sealing: PEM block %d repeats key %s", n, pub.id)
		}
		seen[pub.id] = true
		keys = append(keys, pub)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("sealing: no %q PEM block found", PEMBlockType)
	}
	return keys, nil
}

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

// Package sealing seals secret values to the operator's public key and opens
// them again, with the standard library's HPKE (RFC 9180), single-shot mode.
//
// A sealed value is the text envelope
//
//	v1:<keyID>:<base64>
//
// where:
//
//   - keyID names the private key that opens it, so opening never tries keys
//     in turn: the lowercase hex of the first 8 bytes of
//     SHA-256(KEM ID as 2 big-endian bytes || public key).
//   - base64 is the padded standard encoding of the hpke.Seal output: the
//     1120-byte encapsulated key, then the AES-256-GCM ciphertext and tag.
//   - The suite is MLKEM768-X25519 (hybrid, post-quantum), HKDF-SHA256 and
//     AES-256-GCM.
//   - The HPKE info is "lightning-operator/sealing/v1\x00lightning.ai\x00
//     LightningSecret\x00<namespace>\x00<name>" (one string), binding a
//     value to its LightningSecret: a copy under another name or namespace
//     fails to open, as Tampered.
//
// Parsing is strict (one value has one text form) and error messages name the
// problem and the key ID, never the value or the ciphertext: they end up in
// conditions and events. testdata/golden.json pins the format.
package sealing

import (
	"crypto/hpke"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/lightning-operator/lightning-operator/internal/limits"
)

// Version is the single-recipient envelope version; VersionMulti (multi.go)
// is the multi-recipient one. Both are read; new values are sealed as v2.
const Version = "v1"

// Suite names the HPKE ciphersuite of every key and envelope of [Version].
const Suite = "MLKEM768-X25519/HKDF-SHA256/AES-256-GCM"

// MaxPlaintextSize is the largest value sealed: what one environment
// variable can carry (limits.MaxValue), the one limit every layer keeps.
const MaxPlaintextSize = limits.MaxValue

// Sizes fixed by the suite.
const (
	encapsulatedKeySize = 1088 + 32 // ML-KEM-768 ciphertext || X25519 share
	tagSize             = 16        // AES-GCM
	keyIDLen            = 16        // hex characters
	overhead            = encapsulatedKeySize + tagSize
	headerLen           = len(Version) + 1 + keyIDLen + 1
)

// maxSingleEnvelopeLength is the length of the v1 envelope of a
// MaxPlaintextSize value.
const maxSingleEnvelopeLength = headerLen + (MaxPlaintextSize+overhead+2)/3*4

// MaxEnvelopeLength is the longest a valid envelope can be (a v2 one of
// MaxRecipients around a MaxPlaintextSize value); it bounds the CRD field.
const MaxEnvelopeLength = max(maxSingleEnvelopeLength, maxMultiEnvelopeLength)

// MaxOpenLength is the longest envelope ParseEnvelope reads: a v2 one of
// MaxRecipients around what a Kubernetes Secret holds (limits.SecretData),
// the limit before values were bound to what env carries. Values sealed
// then still open (and recover), so the operator can name their size
// (ValueTooLong) rather than call them malformed.
const MaxOpenLength = maxHeaderText + (nonceSize+MaxRecipients*stanzaSize+limits.SecretData+tagSize+2)/3*4

// maxVersionLen bounds the version we quote back in errors.
const maxVersionLen = 10

var (
	kem  = hpke.MLKEM768X25519()
	kdf  = hpke.HKDFSHA256()
	aead = hpke.AES256GCM()
)

// Scope is the LightningSecret a value is sealed for. Both fields come from
// the object's metadata, never from its spec.
type Scope struct {
	Namespace string
	Name      string
}

// infoPrefix separates our HPKE contexts from any other use of the same keys.
const infoPrefix = "lightning-operator/sealing/v1\x00lightning.ai\x00LightningSecret\x00"

// info is the HPKE info that binds a ciphertext to its scope. NUL cannot
// occur in Kubernetes names, so the encoding is unambiguous (checked).
func (s Scope) info() ([]byte, error) {
	if s.Namespace == "" || s.Name == "" {
		return nil, fmt.Errorf("%w: namespace and name must both be set", ErrInvalidScope)
	}
	if strings.IndexByte(s.Namespace, 0) >= 0 || strings.IndexByte(s.Name, 0) >= 0 {
		return nil, fmt.Errorf("%w: namespace and name must not contain NUL", ErrInvalidScope)
	}
	b := make([]byte, 0, len(infoPrefix)+len(s.Namespace)+1+len(s.Name))
	b = append(b, infoPrefix...)
	b = append(b, s.Namespace...)
	b = append(b, 0)
	b = append(b, s.Name...)
	return b, nil
}

// Envelope is a parsed sealed value.
type Envelope struct {
	Version string
	// KeyIDs name the recipients' keys, in order: one for v1.
	KeyIDs []string
	// Ciphertext is the decoded base64: the HPKE output for v1, the nonce,
	// stanzas and body for v2.
	Ciphertext []byte
}

// String formats the envelope; ParseEnvelope(e.String()) gives e back.
func (e Envelope) String() string {
	return e.Version + ":" + strings.Join(e.KeyIDs, ",") + ":" + base64.StdEncoding.EncodeToString(e.Ciphertext)
}

// Seal encrypts plaintext to pub for scope and returns the envelope text.
func Seal(pub *PublicKey, scope Scope, plaintext []byte) (string, error) {
	if pub == nil {
		return "", errors.New("sealing: no public key")
	}
	if err := checkSize(plaintext); err != nil {
		return "", err
	}
	info, err := scope.info()
	if err != nil {
		return "", err
	}
	ct, err := hpke.Seal(pub.k, kdf, aead, info, plaintext)
	if err != nil {
		return "", fmt.Errorf("sealing to key %s: %w", pub.id, err)
	}
	return Envelope{Version: Version, KeyIDs: []string{pub.id}, Ciphertext: ct}.String(), nil
}

// ParseEnvelope checks the envelope's syntax strictly, so that one value has
// exactly one text form. It does not decrypt. An envelope of another version
// returns ErrUnknownVersion with only Version set.
func ParseEnvelope(s string) (Envelope, error) {
	if len(s) > MaxOpenLength {
		return Envelope{}, malformed(fmt.Sprintf("it is %d bytes, longer than the %d-byte maximum", len(s), MaxOpenLength))
	}
	version, rest, ok := strings.Cut(s, ":")
	if !ok {
		return Envelope{}, malformed("want v1:<key ID>:<base64>, found no ':'")
	}
	if !validVersion(version) {
		return Envelope{}, malformed("the version must be 'v' and digits, like v1")
	}
	if version == VersionMulti {
		m, err := parseMulti(rest)
		if err != nil {
			return Envelope{}, err
		}
		payload, _ := base64.StdEncoding.DecodeString(rest[strings.LastIndexByte(rest, ':')+1:])
		return Envelope{Version: version, KeyIDs: m.keyIDs, Ciphertext: payload}, nil
	}
	if version != Version {
		return Envelope{Version: version}, &sealError{kind: ErrUnknownVersion, msg: fmt.Sprintf(
			"sealed value has version %s; this operator reads %s and %s", version, Version, VersionMulti)}
	}
	keyID, body, ok := strings.Cut(rest, ":")
	if !ok {
		return Envelope{}, malformed("want v1:<key ID>:<base64>, found one ':'")
	}
	if !ValidKeyID(keyID) {
		return Envelope{}, malformed("the key ID must be 16 lowercase hex characters")
	}
	if strings.IndexByte(body, ':') >= 0 {
		return Envelope{}, malformed(fmt.Sprintf("for key %s: want 3 parts separated by ':', found more", keyID))
	}
	ct, err := base64.StdEncoding.Strict().DecodeString(body)
	// DecodeString skips CR and LF; the length check refuses them too.
	if err != nil || base64.StdEncoding.EncodedLen(len(ct)) != len(body) {
		return Envelope{}, malformed(fmt.Sprintf("for key %s: the ciphertext is not canonical padded standard base64", keyID))
	}
	if len(ct) < overhead {
		return Envelope{}, malformed(fmt.Sprintf("for key %s: the ciphertext is %d bytes, shorter than the %d-byte minimum", keyID, len(ct), overhead))
	}
	return Envelope{Version: version, KeyIDs: []string{keyID}, Ciphertext: ct}, nil
}

// checkSize refuses a value longer than MaxPlaintextSize. NUL is left to
// the callers that know the value is for env (the CLI, the controllers):
// sealing carries any bytes.
func checkSize(plaintext []byte) error {
	if len(plaintext) > MaxPlaintextSize {
		return &sealError{kind: ErrTooLarge, msg: fmt.Sprintf(
			"value is %d bytes, more than the %d-byte limit of a value (what one environment variable can carry)", len(plaintext), MaxPlaintextSize)}
	}
	return nil
}

func validVersion(v string) bool {
	if len(v) < 2 || len(v) > maxVersionLen || v[0] != 'v' {
		return false
	}
	for i := 1; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// ValidKeyID reports whether id has the form of a key ID: 16 lowercase hex
// characters. It is the one check, for envelopes and keyring entries alike.
func ValidKeyID(id string) bool {
	if len(id) != keyIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// KeyLookup finds a private key by its ID; the keyring implements it.
type KeyLookup interface {
	PrivateKey(id string) (*PrivateKey, bool)
}

// Open decrypts an envelope sealed for scope. The key ID picks the private
// key, so a value costs one HPKE open, never a trial over all keys.
func Open(keys KeyLookup, scope Scope, envelope string) ([]byte, error) {
	env, err := ParseEnvelope(envelope)
	if err != nil {
		return nil, err
	}
	if env.Version == VersionMulti {
		m, err := parseMulti(strings.TrimPrefix(envelope, VersionMulti+":"))
		if err != nil {
			return nil, err
		}
		return m.open(keys, scope)
	}
	info, err := scope.info()
	if err != nil {
		return nil, err
	}
	keyID := env.KeyIDs[0]
	var priv *PrivateKey
	ok := false
	if keys != nil {
		priv, ok = keys.PrivateKey(keyID)
	}
	if !ok || priv == nil || priv.pub.id != keyID {
		return nil, &sealError{kind: ErrKeyNotFound, msg: fmt.Sprintf(
			"sealing key %s is not in the operator's keyring", keyID)}
	}
	pt, err := hpke.Open(priv.k, kdf, aead, info, env.Ciphertext)
	if err != nil {
		// Any failure past parsing (bad encapsulated key, failed tag) means the
		// bytes or the scope are not what was sealed; hpke's text adds nothing.
		return nil, tampered(keyID, scope)
	}
	return pt, nil
}

// OpeningKey is the key ID of keys that opens envelope: the first recipient
// the keyring holds, or, when it holds none, the first recipient. It does
// not decrypt.
func OpeningKey(keys KeyLookup, env Envelope) string {
	for _, id := range env.KeyIDs {
		if keys == nil {
			break
		}
		if _, ok := keys.PrivateKey(id); ok {
			return id
		}
	}
	if len(env.KeyIDs) == 0 {
		return ""
	}
	return env.KeyIDs[0]
}

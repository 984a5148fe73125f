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
	"crypto/aes"
	"crypto/cipher"
	"crypto/hpke"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
)

// The multi-recipient envelope, v2:
//
//	v2:<keyID>[,<keyID>…]:<base64>
//
// The value is encrypted once, under a fresh 32-byte data key, and each
// recipient gets a stanza that wraps the data key to its public key. The
// base64 (padded, standard) decodes to
//
//	nonce (12) || stanza 1 || … || stanza n || body
//
// where stanza i is hpke.Seal(recipient i, info, data key): the 1120-byte
// encapsulated key and the 48-byte wrapped key, in the order of the key IDs
// in the text. The HPKE info binds the stanza to its LightningSecret as v1
// does, with the v2 stanza label. body is AES-256-GCM(data key, nonce,
// value), with additional data binding the scope and the whole header: the
// text up to the last ':', the nonce and every stanza. So a change to a key
// ID, a stanza, the nonce or the body fails to open, and so do removing,
// duplicating or reordering stanzas. The key IDs pick the stanza to open:
// there is no trial decryption.
//
// Re-sealing keeps the data key and the other recipients' stanzas, and
// encrypts the body again under a fresh random nonce (a 96-bit random nonce
// never repeats in the handful of re-seals one data key sees).
const (
	// VersionMulti is the multi-recipient envelope version.
	VersionMulti = "v2"
	// MaxRecipients bounds the stanzas of one envelope.
	MaxRecipients = 8
)

const (
	dataKeySize   = 32
	nonceSize     = 12
	stanzaSize    = encapsulatedKeySize + dataKeySize + tagSize
	stanzaLabel   = "lightning-operator/sealing/v2/stanza\x00lightning.ai\x00LightningSecret\x00"
	bodyLabel     = "lightning-operator/sealing/v2/body\x00lightning.ai\x00LightningSecret\x00"
	maxHeaderText = len(VersionMulti) + 1 + MaxRecipients*(keyIDLen+1)
)

// maxMultiEnvelopeLength is the longest v2 envelope: MaxRecipients stanzas
// around a MaxPlaintextSize value.
const maxMultiEnvelopeLength = maxHeaderText + (nonceSize+MaxRecipients*stanzaSize+MaxPlaintextSize+tagSize+2)/3*4

// scopeInfo binds a v2 context (label) to scope, as Scope.info does for v1.
func scopeInfo(label string, s Scope) ([]byte, error) {
	if _, err := s.info(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, len(label)+len(s.Namespace)+1+len(s.Name))
	b = append(b, label...)
	b = append(b, s.Namespace...)
	b = append(b, 0)
	b = append(b, s.Name...)
	return b, nil
}

// multi is a parsed v2 envelope.
type multi struct {
	keyIDs  []string
	nonce   []byte
	stanzas [][]byte
	body    []byte
}

// header is the text before the payload, "v2:<ids>".
func (m *multi) header() string { return VersionMulti + ":" + strings.Join(m.keyIDs, ",") }

func (m *multi) String() string {
	payload := make([]byte, 0, nonceSize+len(m.stanzas)*stanzaSize+len(m.body))
	payload = append(payload, m.nonce...)
	for _, s := range m.stanzas {
		payload = append(payload, s...)
	}
	payload = append(payload, m.body...)
	return m.header() + ":" + base64.StdEncoding.EncodeToString(payload)
}

// bodyAAD binds the body to the scope and the whole header.
func (m *multi) bodyAAD(scope Scope) ([]byte, error) {
	aad, err := scopeInfo(bodyLabel, scope)
	if err != nil {
		return nil, err
	}
	aad = append(aad, 0)
	aad = append(aad, m.header()...)
	aad = append(aad, m.nonce...)
	for _, s := range m.stanzas {
		aad = append(aad, s...)
	}
	return aad, nil
}

// SealTo encrypts plaintext once for every recipient, as a v2 envelope. The
// first recipient is, by convention, the cluster's current key.
func SealTo(pubs []*PublicKey, scope Scope, plaintext []byte) (string, error) {
	if err := checkSize(plaintext); err != nil {
		return "", err
	}
	if err := checkRecipients(pubs); err != nil {
		return "", err
	}
	dataKey := make([]byte, dataKeySize)
	if _, err := rand.Read(dataKey); err != nil {
		return "", fmt.Errorf("sealing: generating a data key: %w", err)
	}
	defer clear(dataKey)
	m := &multi{}
	for _, pub := range pubs {
		stanza, err := wrap(pub, scope, dataKey)
		if err != nil {
			return "", err
		}
		m.keyIDs = append(m.keyIDs, pub.id)
		m.stanzas = append(m.stanzas, stanza)
	}
	if err := m.encryptBody(scope, dataKey, plaintext); err != nil {
		return "", err
	}
	return m.String(), nil
}

func checkRecipients(pubs []*PublicKey) error {
	if len(pubs) == 0 {
		return fmt.Errorf("sealing: no recipient")
	}
	if len(pubs) > MaxRecipients {
		return fmt.Errorf("sealing: %d recipients, more than the %d an envelope holds", len(pubs), MaxRecipients)
	}
	seen := map[string]bool{}
	for _, p := range pubs {
		if p == nil {
			return fmt.Errorf("sealing: a recipient has no public key")
		}
		if seen[p.id] {
			return fmt.Errorf("sealing: key %s is a recipient twice", p.id)
		}
		seen[p.id] = true
	}
	return nil
}

func wrap(pub *PublicKey, scope Scope, dataKey []byte) ([]byte, error) {
	info, err := scopeInfo(stanzaLabel, scope)
	if err != nil {
		return nil, err
	}
	stanza, err := hpke.Seal(pub.k, kdf, aead, info, dataKey)
	if err != nil {
		return nil, fmt.Errorf("sealing to key %s: %w", pub.id, err)
	}
	return stanza, nil
}

// encryptBody sets a fresh nonce and encrypts plaintext under dataKey.
func (m *multi) encryptBody(scope Scope, dataKey, plaintext []byte) error {
	m.nonce = make([]byte, nonceSize)
	if _, err := rand.Read(m.nonce); err != nil {
		return fmt.Errorf("sealing: generating a nonce: %w", err)
	}
	gcm, err := newGCM(dataKey)
	if err != nil {
		return err
	}
	aad, err := m.bodyAAD(scope)
	if err != nil {
		return err
	}
	m.body = gcm.Seal(nil, m.nonce, plaintext, aad)
	return nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sealing: %w", err)
	}
	return cipher.NewGCM(block)
}

// parseMulti checks a v2 envelope's syntax strictly; rest is the text after
// "v2:".
func parseMulti(rest string) (*multi, error) {
	ids, body, ok := strings.Cut(rest, ":")
	if !ok {
		return nil, malformed("want v2:<key ID>[,<key ID>…]:<base64>, found one ':'")
	}
	keyIDs := strings.Split(ids, ",")
	if len(keyIDs) > MaxRecipients {
		return nil, malformed(fmt.Sprintf("%d recipients, more than %d", len(keyIDs), MaxRecipients))
	}
	for i, id := range keyIDs {
		if !ValidKeyID(id) {
			return nil, malformed("each key ID must be 16 lowercase hex characters, separated by ','")
		}
		if slices.Contains(keyIDs[:i], id) {
			return nil, malformed(fmt.Sprintf("key %s is a recipient twice", id))
		}
	}
	if strings.IndexByte(body, ':') >= 0 {
		return nil, malformed(fmt.Sprintf("for keys %s: want 3 parts separated by ':', found more", ids))
	}
	payload, err := base64.StdEncoding.Strict().DecodeString(body)
	if err != nil || base64.StdEncoding.EncodedLen(len(payload)) != len(body) {
		return nil, malformed(fmt.Sprintf("for keys %s: the ciphertext is not canonical padded standard base64", ids))
	}
	minimum := nonceSize + len(keyIDs)*stanzaSize + tagSize
	if len(payload) < minimum {
		return nil, malformed(fmt.Sprintf("for keys %s: the ciphertext is %d bytes, shorter than the %d-byte minimum for %d recipient(s)", ids, len(payload), minimum, len(keyIDs)))
	}
	m := &multi{keyIDs: keyIDs, nonce: payload[:nonceSize]}
	off := nonceSize
	for range keyIDs {
		m.stanzas = append(m.stanzas, payload[off:off+stanzaSize])
		off += stanzaSize
	}
	m.body = payload[off:]
	return m, nil
}

// dataKey unwraps the data key with the first recipient the keyring holds,
// and reports which one it was.
func (m *multi) dataKey(keys KeyLookup, scope Scope) ([]byte, string, error) {
	info, err := scopeInfo(stanzaLabel, scope)
	if err != nil {
		return nil, "", err
	}
	for i, id := range m.keyIDs {
		if keys == nil {
			break
		}
		priv, ok := keys.PrivateKey(id)
		if !ok || priv == nil || priv.pub.id != id {
			continue
		}
		key, err := hpke.Open(priv.k, kdf, aead, info, m.stanzas[i])
		if err != nil || len(key) != dataKeySize {
			return nil, id, tampered(id, scope)
		}
		return key, id, nil
	}
	return nil, "", &sealError{kind: ErrKeyNotFound, msg: fmt.Sprintf(
		"none of the sealing keys %s is in the operator's keyring", strings.Join(m.keyIDs, ", "))}
}

func tampered(keyID string, scope Scope) error {
	return &sealError{kind: ErrTampered, msg: fmt.Sprintf(
		"sealed value for key %s does not open as %s/%s: it was altered, or sealed for another name or namespace",
		keyID, scope.Namespace, scope.Name)}
}

func (m *multi) open(keys KeyLookup, scope Scope) ([]byte, error) {
	dataKey, id, err := m.dataKey(keys, scope)
	if err != nil {
		return nil, err
	}
	defer clear(dataKey)
	gcm, err := newGCM(dataKey)
	if err != nil {
		return nil, err
	}
	aad, err := m.bodyAAD(scope)
	if err != nil {
		return nil, err
	}
	pt, err := gcm.Open(nil, m.nonce, m.body, aad)
	if err != nil {
		return nil, tampered(id, scope)
	}
	if pt == nil {
		pt = []byte{}
	}
	return pt, nil
}

// Reseal returns envelope sealed to newest without the value leaving this
// process: it opens the data key with a key from keys, replaces the stanzas
// of every key keys holds (this cluster's older keys) by one for newest,
// keeps every other recipient's stanza (other clusters, a recovery key), and
// encrypts the body again. A v1 envelope becomes a v2 one to newest alone.
// It reports whether anything changed: an envelope already sealed to newest
// alone among this keyring's keys is returned as is, once it has opened.
func Reseal(keys KeyLookup, scope Scope, envelope string, newest *PublicKey) (string, bool, error) {
	env, err := ParseEnvelope(envelope)
	if err != nil {
		return "", false, err
	}
	if env.Version == Version {
		// Open first, also when nothing is to change: "unchanged" promises
		// the value opens.
		plain, err := Open(keys, scope, envelope)
		if err != nil {
			return "", false, err
		}
		defer clear(plain)
		if env.KeyIDs[0] == newest.id {
			return envelope, false, nil
		}
		out, err := SealTo([]*PublicKey{newest}, scope, plain)
		return out, err == nil, err
	}
	m, err := parseMulti(strings.TrimPrefix(envelope, VersionMulti+":"))
	if err != nil {
		return "", false, err
	}
	// Which stanzas are this cluster's: the keys the keyring holds.
	own := make([]bool, len(m.keyIDs))
	onlyNewest := true
	for i, id := range m.keyIDs {
		if _, ok := keys.PrivateKey(id); ok {
			own[i] = true
			onlyNewest = onlyNewest && id == newest.id
		}
	}
	plain, err := m.open(keys, scope)
	if err != nil {
		return "", false, err
	}
	defer clear(plain)
	if onlyNewest && slices.Contains(m.keyIDs, newest.id) {
		return envelope, false, nil
	}
	dataKey, _, err := m.dataKey(keys, scope)
	if err != nil {
		return "", false, err
	}
	defer clear(dataKey)
	stanza, err := wrap(newest, scope, dataKey)
	if err != nil {
		return "", false, err
	}
	next := &multi{keyIDs: []string{newest.id}, stanzas: [][]byte{stanza}}
	for i, id := range m.keyIDs {
		if !own[i] && id != newest.id {
			next.keyIDs = append(next.keyIDs, id)
			next.stanzas = append(next.stanzas, m.stanzas[i])
		}
	}
	if err := next.encryptBody(scope, dataKey, plain); err != nil {
		return "", false, err
	}
	return next.String(), true, nil
}

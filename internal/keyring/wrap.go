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
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

// A keyring wrapped by a KMS: reading its Secret alone opens nothing.
//
// The Secret holds the entries of a plain keyring, under the same names, and
// one more:
//
//	kms-data-key  {"format":"lightning-operator/keyring-kms/v1","keyID":"<plugin's key ID>",
//	               "ciphertext":"<base64>","annotations":{"<name>":"<base64>"}}
//	key-<id>      {"version":1,"id":"<id>","created":"<RFC 3339>","publicKey":"<base64>","sealed":"<base64>"}
//	version-key   {"version":1,"id":"<id>","created":"<RFC 3339>","sealed":"<base64>"}
//
// kms-data-key is a random AES-256 data key as the KMS v2 plugin wrapped it:
// its ciphertext, the key ID it was wrapped under and the plugin's
// annotations (absent when it returned none). Each entry's "sealed" is its
// plain JSON, exactly as Marshal writes it, sealed under the data key with
// AES-256-GCM: a random 12-byte nonce, then ciphertext and tag. The
// additional data binds it to the format, the Secret's namespace and name,
// the entry's name and the plugin's key ID, each field length-prefixed, so a
// tampered entry, entries swapped, a copy of the Secret under another name or
// namespace, or a key ID edited in kms-data-key, opens nothing. id, created
// and publicKey (sealing keys only) stay readable and must match the sealed
// entry. Every write draws a new data key.
const (
	// DataKeyEntry is the Secret data key of the wrapped data key; its
	// presence makes a keyring wrapped.
	DataKeyEntry = "kms-data-key"
	// WrapFormat names this layout, in kms-data-key and in every entry's
	// additional data.
	WrapFormat = "lightning-operator/keyring-kms/v1"
)

const (
	dataKeySize         = 32 // AES-256
	wrappedEntryVersion = 1
)

// ErrKMS: the KMS plugin failed or refused a call. The stored keyring may be
// sound: fail closed and retry, never regenerate. The plugin's own error is
// wrapped too (kms.ErrUnavailable when it is down).
var ErrKMS = errors.New("KMS plugin call failed")

type kmsError struct {
	doing string
	err   error
}

func (e *kmsError) Error() string        { return e.doing + ": " + e.err.Error() }
func (e *kmsError) Unwrap() error        { return e.err }
func (e *kmsError) Is(target error) bool { return target == ErrKMS }

// KeyWrapper wraps data keys with a KMS; internal/kms's Client is one. Its
// errors name the plugin and never hold key material.
type KeyWrapper interface {
	// KeyID is the plugin's current key ID; an error when it is unhealthy.
	KeyID(ctx context.Context) (string, error)
	// Wrap encrypts dataKey under the current key, and returns the key ID it
	// used, the ciphertext and annotations that Unwrap needs.
	Wrap(ctx context.Context, dataKey []byte) (keyID string, ciphertext []byte, annotations map[string][]byte, err error)
	// Unwrap decrypts what Wrap returned.
	Unwrap(ctx context.Context, keyID string, ciphertext []byte, annotations map[string][]byte) ([]byte, error)
}

// SecretRef names the keyring Secret that a wrapped keyring is bound to.
type SecretRef struct {
	Namespace, Name string
}

func (s SecretRef) String() string { return s.Namespace + "/" + s.Name }

type dataKeyEntry struct {
	Format      string            `json:"format"`
	KeyID       string            `json:"keyID"`
	Ciphertext  []byte            `json:"ciphertext"`
	Annotations map[string][]byte `json:"annotations,omitempty"`
}

type wrappedEntry struct {
	Version   int    `json:"version"`
	ID        string `json:"id"`
	Created   string `json:"created"`
	PublicKey string `json:"publicKey,omitempty"`
	Sealed    string `json:"sealed"`
}

// IsWrapped tells a wrapped keyring's Secret data from a plain one's.
func IsWrapped(data map[string][]byte) bool {
	_, ok := data[DataKeyEntry]
	return ok
}

// WrappedKeyID is the plugin key ID the keyring's data key is wrapped under;
// it asks the plugin nothing.
func WrappedKeyID(data map[string][]byte) (string, error) {
	dk, err := parseDataKey(data)
	if err != nil {
		return "", err
	}
	return dk.KeyID, nil
}

// WrappedSummary is what a wrapped keyring's Secret data shows without
// its KMS plugin: key IDs only.
type WrappedSummary struct {
	// KMSKeyID is the plugin's key its data key is wrapped under.
	KMSKeyID string
	// KeyIDs are the sealing keys, oldest first, as Keyring.IDs orders them.
	KeyIDs []string
	// VersionKeyID is the version key's ID; empty when there is none.
	VersionKeyID string
}

// ReadWrapped checks wrapped Secret data as far as it can without the
// plugin (kms-data-key, and each entry's name and readable fields: a
// sealing key's public key must have the ID in its name), and says what it
// holds, for a backup or a restore to name. Opening it still needs the
// plugin, which checks the rest. Errors are ErrEmpty, or a CorruptError
// naming the entry.
func ReadWrapped(data map[string][]byte) (WrappedSummary, error) {
	dk, err := parseDataKey(data)
	if err != nil {
		return WrappedSummary{}, err
	}
	type readKey struct {
		id      string
		created time.Time
	}
	var keys []readKey
	sum := WrappedSummary{KMSKeyID: dk.KeyID}
	for _, name := range slices.Sorted(maps.Keys(data)) {
		if name == DataKeyEntry {
			continue
		}
		e, err := parseWrappedEntry(name, data[name])
		if err != nil {
			return WrappedSummary{}, err
		}
		created, err := time.Parse(time.RFC3339, e.Created)
		switch {
		case err != nil:
			return WrappedSummary{}, corrupt(name, "created is not an RFC 3339 time")
		case e.Sealed == "":
			return WrappedSummary{}, corrupt(name, "sealed is empty")
		}
		if name == VersionKeyEntry {
			if e.ID == "" || e.PublicKey != "" {
				return WrappedSummary{}, corrupt(name, "a wrapped version key has an id and no publicKey")
			}
			sum.VersionKeyID = e.ID
			continue
		}
		id, ok := strings.CutPrefix(name, EntryPrefix)
		if !ok || !sealing.ValidKeyID(id) {
			return WrappedSummary{}, corrupt(name, "the name is not %s<16 hex key ID>", EntryPrefix)
		}
		pub, err := base64.StdEncoding.Strict().DecodeString(e.PublicKey)
		if err != nil {
			return WrappedSummary{}, corrupt(name, "publicKey is not standard base64")
		}
		pk, err := sealing.ParsePublicKey(pub)
		switch {
		case err != nil:
			return WrappedSummary{}, corrupt(name, "publicKey is not a sealing public key")
		case e.ID != id || pk.ID() != id:
			return WrappedSummary{}, corrupt(name, "its id field or public key does not have the ID in its name")
		}
		keys = append(keys, readKey{id: id, created: created})
	}
	if len(keys) == 0 {
		return WrappedSummary{}, ErrEmpty
	}
	slices.SortFunc(keys, func(a, b readKey) int {
		if c := a.created.Compare(b.created); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	for _, k := range keys {
		sum.KeyIDs = append(sum.KeyIDs, k.id)
	}
	return sum, nil
}

// NeedsRewrap reports whether the plugin's current key ID differs from the
// one the keyring is wrapped under (its key was rotated), and returns it.
func NeedsRewrap(ctx context.Context, w KeyWrapper, data map[string][]byte) (bool, string, error) {
	stored, err := WrappedKeyID(data)
	if err != nil {
		return false, "", err
	}
	current, err := w.KeyID(ctx)
	if err != nil {
		return false, "", &kmsError{"asking the KMS plugin for its current key ID", err}
	}
	return current != stored, current, nil
}

// MarshalWrapped is Marshal with every private entry sealed under a new data
// key that w wraps, for the Secret named by secret. It unwraps the result
// and compares it before returning, so a plugin that cannot open its own
// wrap is found before anything is written.
func (kr *Keyring) MarshalWrapped(ctx context.Context, w KeyWrapper, secret SecretRef) (map[string][]byte, error) {
	if err := secret.check(); err != nil {
		return nil, err
	}
	if kr.Len() == 0 {
		return nil, ErrEmpty
	}
	dataKey := make([]byte, dataKeySize)
	defer clear(dataKey)
	if _, err := rand.Read(dataKey); err != nil {
		return nil, fmt.Errorf("generating the keyring's data key: %w", err)
	}
	keyID, ciphertext, annotations, err := w.Wrap(ctx, dataKey)
	if err != nil {
		return nil, &kmsError{"wrapping the keyring's data key", err}
	}
	if keyID == "" || len(ciphertext) == 0 {
		return nil, &kmsError{"wrapping the keyring's data key", errors.New("the plugin returned no key ID or no ciphertext")}
	}
	aead, err := newEntryAEAD(dataKey)
	if err != nil {
		return nil, err
	}
	plain := kr.Marshal()
	defer clearEntries(plain)
	out := make(map[string][]byte, len(plain)+1)
	out[DataKeyEntry] = mustMarshalEntry(dataKeyEntry{Format: WrapFormat, KeyID: keyID, Ciphertext: ciphertext, Annotations: annotations})
	for name, e := range readableEntries(kr) {
		nonce := make([]byte, aead.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("generating a nonce: %w", err)
		}
		e.Sealed = base64.StdEncoding.EncodeToString(aead.Seal(nonce, nonce, plain[name], entryAAD(secret, name, keyID)))
		out[name] = mustMarshalEntry(e)
	}

	opened, _, err := unwrapEntries(ctx, w, secret, out)
	defer clearEntries(opened)
	if err != nil {
		return nil, fmt.Errorf("the keyring just wrapped under KMS key ID %s does not open again, so it is not used: %w", keyID, err)
	}
	if !maps.EqualFunc(plain, opened, bytes.Equal) {
		return nil, fmt.Errorf("the keyring just wrapped under KMS key ID %s opens to other entries, so it is not used", keyID)
	}
	return out, nil
}

// UnmarshalWrapped is Unmarshal for wrapped data: it has the plugin unwrap
// the data key, opens every entry, and checks the readable fields against
// the sealed ones. Errors match ErrKMS when the plugin failed, ErrCorrupt
// (a CorruptError naming the entry) when the data is not sound.
func UnmarshalWrapped(ctx context.Context, w KeyWrapper, secret SecretRef, data map[string][]byte) (*Keyring, error) {
	if err := secret.check(); err != nil {
		return nil, err
	}
	plain, readable, err := unwrapEntries(ctx, w, secret, data)
	defer clearEntries(plain)
	if err != nil {
		return nil, err
	}
	kr, err := Unmarshal(plain)
	if err != nil {
		return nil, err
	}
	want := readableEntries(kr)
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if readable[name] != want[name] {
			return nil, corrupt(name, "its readable id, created or publicKey does not match the sealed entry")
		}
	}
	return kr, nil
}

func (s SecretRef) check() error {
	if s.Namespace == "" || s.Name == "" {
		return fmt.Errorf("a wrapped keyring is bound to its Secret's namespace and name; got %q", s.String())
	}
	return nil
}

func parseDataKey(data map[string][]byte) (dataKeyEntry, error) {
	value, ok := data[DataKeyEntry]
	if !ok {
		return dataKeyEntry{}, corrupt(DataKeyEntry, "missing: the keyring is not wrapped")
	}
	var dk dataKeyEntry
	if err := decodeStrict(DataKeyEntry, value, &dk, "format, keyID, ciphertext, annotations"); err != nil {
		return dataKeyEntry{}, err
	}
	switch {
	case dk.Format != WrapFormat:
		// Not quoted: a hand-edited entry may hold anything there, a seed too.
		return dataKeyEntry{}, corrupt(DataKeyEntry, "format is not supported (want %q)", WrapFormat)
	case dk.KeyID == "":
		return dataKeyEntry{}, corrupt(DataKeyEntry, "keyID is empty")
	case len(dk.Ciphertext) == 0:
		return dataKeyEntry{}, corrupt(DataKeyEntry, "ciphertext is empty")
	}
	return dk, nil
}

// unwrapEntries has the plugin unwrap the data key and opens every entry. It
// returns the plain entries and the readable part of each, with Sealed
// emptied.
func unwrapEntries(ctx context.Context, w KeyWrapper, secret SecretRef, data map[string][]byte) (_ map[string][]byte, _ map[string]wrappedEntry, err error) {
	dk, err := parseDataKey(data)
	if err != nil {
		return nil, nil, err
	}
	dataKey, err := w.Unwrap(ctx, dk.KeyID, dk.Ciphertext, dk.Annotations)
	defer clear(dataKey)
	if err != nil {
		return nil, nil, &kmsError{fmt.Sprintf("unwrapping the keyring's data key (KMS key ID %s)", dk.KeyID), err}
	}
	if len(dataKey) != dataKeySize {
		return nil, nil, corrupt(DataKeyEntry, "unwraps to %d bytes, not a %d-byte data key", len(dataKey), dataKeySize)
	}
	aead, err := newEntryAEAD(dataKey)
	if err != nil {
		return nil, nil, err
	}
	names := slices.Sorted(maps.Keys(data)) // report the same bad entry every time
	plain := make(map[string][]byte, len(data))
	readable := make(map[string]wrappedEntry, len(data))
	defer func() {
		if err != nil {
			clearEntries(plain) // what opened before the failure
		}
	}()
	for _, name := range names {
		if name == DataKeyEntry {
			continue
		}
		e, err := parseWrappedEntry(name, data[name])
		if err != nil {
			return nil, nil, err
		}
		sealed, err := base64.StdEncoding.Strict().DecodeString(e.Sealed)
		if err != nil || len(sealed) < aead.NonceSize()+aead.Overhead() {
			return nil, nil, corrupt(name, "sealed is not a base64 nonce, ciphertext and tag")
		}
		nonce, ciphertext := sealed[:aead.NonceSize()], sealed[aead.NonceSize():]
		opened, err := aead.Open(nil, nonce, ciphertext, entryAAD(secret, name, dk.KeyID))
		if err != nil {
			return nil, nil, corrupt(name, "does not open under the keyring's data key for Secret %s: tampered, moved from another entry or Secret, or its KMS key ID was changed", secret)
		}
		plain[name] = opened
		e.Sealed = ""
		readable[name] = e
	}
	return plain, readable, nil
}

// parseWrappedEntry reads one wrapped entry of a version this operator reads.
func parseWrappedEntry(name string, value []byte) (wrappedEntry, error) {
	var e wrappedEntry
	if err := decodeStrict(name, value, &e, "version, id, created, publicKey, sealed"); err != nil {
		return wrappedEntry{}, err
	}
	if e.Version != wrappedEntryVersion {
		return wrappedEntry{}, corrupt(name, "wrapped entry version %d is not supported (want %d)", e.Version, wrappedEntryVersion)
	}
	return e, nil
}

// readableEntries are the readable parts of kr's wrapped entries, by name.
func readableEntries(kr *Keyring) map[string]wrappedEntry {
	out := make(map[string]wrappedEntry, kr.Len()+1)
	for _, k := range kr.all() {
		out[EntryPrefix+k.Private.ID()] = wrappedEntry{
			Version:   wrappedEntryVersion,
			ID:        k.Private.ID(),
			Created:   k.Created.UTC().Format(time.RFC3339),
			PublicKey: base64.StdEncoding.EncodeToString(k.Private.Public().Bytes()),
		}
	}
	if vk := kr.VersionKey(); vk != nil {
		out[VersionKeyEntry] = wrappedEntry{Version: wrappedEntryVersion, ID: vk.ID(), Created: vk.Created().Format(time.RFC3339)}
	}
	return out
}

// entryAAD is the additional data of one entry: each field length-prefixed,
// so no two different bindings read alike.
func entryAAD(secret SecretRef, entry, keyID string) []byte {
	var aad []byte
	for _, f := range []string{WrapFormat, secret.Namespace, secret.Name, entry, keyID} {
		aad = binary.BigEndian.AppendUint64(aad, uint64(len(f)))
		aad = append(aad, f...)
	}
	return aad
}

func newEntryAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("the keyring's data key: %w", err)
	}
	return cipher.NewGCM(block)
}

func mustMarshalEntry(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // strings, bytes and ints always marshal
	}
	return b
}

// clearEntries zeroes plain entries once read, so key material does not linger.
func clearEntries(data map[string][]byte) {
	for _, v := range data {
		clear(v)
	}
}

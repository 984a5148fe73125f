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
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

// Errors of reading stored keyrings, for errors.Is.
var (
	// ErrEmpty: the Secret holds no keys at all.
	ErrEmpty = errors.New("keyring is empty")
	// ErrCorrupt: an entry cannot be read; see CorruptError for which.
	ErrCorrupt = errors.New("keyring is corrupt")
)

// CorruptError names the entry that cannot be read and why, never its
// contents. It matches ErrCorrupt.
type CorruptError struct {
	Entry   string
	Problem string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("keyring entry %q is corrupt: %s", e.Entry, e.Problem)
}

// Is makes errors.Is(err, ErrCorrupt) hold.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

func corrupt(entry, format string, args ...any) error {
	return &CorruptError{Entry: entry, Problem: fmt.Sprintf(format, args...)}
}

// EntryPrefix starts the Secret data key of every sealing key: the data key
// is EntryPrefix + key ID, so the keys show by name in the Secret.
const EntryPrefix = "key-"

// VersionKeyEntry is the Secret data key of the version key.
const VersionKeyEntry = "version-key"

// entryVersion is the version of the JSON of one entry.
const entryVersion = 1

// entry is one key as stored. The seed is all of the private key.
type entry struct {
	Version    int    `json:"version"`
	ID         string `json:"id"`
	Suite      string `json:"suite"`
	Created    string `json:"created"`
	PrivateKey string `json:"privateKey"`
}

// versionKeyEntry is the version key as stored.
type versionKeyEntry struct {
	Version int    `json:"version"`
	ID      string `json:"id"`
	Created string `json:"created"`
	Key     string `json:"key"`
}

// Marshal returns the keyring as Secret data, one entry per key and one for
// the version key.
func (kr *Keyring) Marshal() map[string][]byte {
	data := make(map[string][]byte, kr.Len()+1)
	if vk := kr.VersionKey(); vk != nil {
		b, err := json.Marshal(versionKeyEntry{
			Version: entryVersion,
			ID:      vk.ID(),
			Created: vk.Created().Format(time.RFC3339),
			Key:     base64.StdEncoding.EncodeToString(vk.key),
		})
		if err != nil {
			panic(err) // strings and an int always marshal
		}
		data[VersionKeyEntry] = b
	}
	for _, k := range kr.all() {
		b, err := json.Marshal(entry{
			Version:    entryVersion,
			ID:         k.Private.ID(),
			Suite:      sealing.Suite,
			Created:    k.Created.UTC().Format(time.RFC3339),
			PrivateKey: base64.StdEncoding.EncodeToString(k.Private.Bytes()),
		})
		if err != nil {
			panic(err) // strings and an int always marshal
		}
		data[EntryPrefix+k.Private.ID()] = b
	}
	return data
}

// Unmarshal reads Secret data written by Marshal. Every entry must be sound:
// a keyring with one bad entry is refused whole, so it is never rewritten
// with a key silently dropped. Keys are ordered by Created, then ID. The
// version key may be missing (keyrings made before value versions).
func Unmarshal(data map[string][]byte) (*Keyring, error) {
	names := make([]string, 0, len(data))
	for name := range data {
		names = append(names, name)
	}
	slices.Sort(names) // report the same bad entry every time
	keys := make([]Key, 0, len(data))
	var version *VersionKey
	for _, name := range names {
		if name == VersionKeyEntry {
			vk, err := unmarshalVersionKey(data[name])
			if err != nil {
				return nil, err
			}
			version = vk
			continue
		}
		k, err := unmarshalEntry(name, data[name])
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b Key) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.Private.ID(), b.Private.ID())
	})
	if len(keys) == 0 {
		return nil, ErrEmpty
	}
	return newKeyring(keys, version), nil
}

// decodeStrict decodes exactly one JSON object with no unknown fields. The
// decoder's messages can quote input, so they are not passed on.
func decodeStrict(name string, value []byte, v any, fields string) error {
	dec := json.NewDecoder(bytes.NewReader(value))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return corrupt(name, "not a well-formed entry (JSON object with %s)", fields)
	}
	if _, err := dec.Token(); err != io.EOF {
		return corrupt(name, "data follows the JSON object")
	}
	return nil
}

func unmarshalVersionKey(value []byte) (*VersionKey, error) {
	name := VersionKeyEntry
	var e versionKeyEntry
	if err := decodeStrict(name, value, &e, "version, id, created, key"); err != nil {
		return nil, err
	}
	if e.Version != entryVersion {
		return nil, corrupt(name, "entry version %d is not supported (want %d)", e.Version, entryVersion)
	}
	created, err := time.Parse(time.RFC3339, e.Created)
	if err != nil {
		return nil, corrupt(name, "created is not an RFC 3339 time")
	}
	key, err := base64.StdEncoding.Strict().DecodeString(e.Key)
	if err != nil {
		return nil, corrupt(name, "key is not standard base64")
	}
	vk, err := parseVersionKey(key, created)
	if err != nil {
		return nil, corrupt(name, "%v", err)
	}
	if vk.ID() != e.ID {
		return nil, corrupt(name, "the key's ID is %s, not the id field", vk.ID())
	}
	return vk, nil
}

func unmarshalEntry(name string, value []byte) (Key, error) {
	nameID, ok := strings.CutPrefix(name, EntryPrefix)
	if !ok || !sealing.ValidKeyID(nameID) {
		return Key{}, corrupt(name, "the name is not %s<16 hex key ID>", EntryPrefix)
	}
	var e entry
	if err := decodeStrict(name, value, &e, "version, id, suite, created, privateKey"); err != nil {
		return Key{}, err
	}
	switch {
	case e.Version != entryVersion:
		return Key{}, corrupt(name, "entry version %d is not supported (want %d)", e.Version, entryVersion)
	case e.Suite != sealing.Suite:
		// The field is not quoted: a hand-edited entry could hold key material there.
		return Key{}, corrupt(name, "unknown suite (want %q)", sealing.Suite)
	case e.ID != nameID:
		return Key{}, corrupt(name, "its id field does not match the ID in its name")
	}
	created, err := time.Parse(time.RFC3339, e.Created)
	if err != nil {
		return Key{}, corrupt(name, "created is not an RFC 3339 time")
	}
	seed, err := base64.StdEncoding.Strict().DecodeString(e.PrivateKey)
	if err != nil {
		return Key{}, corrupt(name, "privateKey is not standard base64")
	}
	priv, err := sealing.ParsePrivateKey(seed)
	clear(seed)
	if err != nil {
		return Key{}, corrupt(name, "privateKey is not a %d-byte sealing key seed", sealing.PrivateKeySize)
	}
	if priv.ID() != nameID {
		return Key{}, corrupt(name, "the key's ID is %s, not the ID in its name", priv.ID())
	}
	return Key{Private: priv, Created: created.UTC()}, nil
}

// Public ConfigMap data keys.
const (
	// PublicKeysPEM holds every public key, oldest first (last is current).
	PublicKeysPEM = "keys.pem"
	// PublicCurrentID holds the current key's ID.
	PublicCurrentID = "current"
	// PublicCurrentPEM holds the current public key alone.
	PublicCurrentPEM = "current.pem"
	// PublicDefaultRecipients holds extra recipients every seal should
	// include (an organisation's offline recovery key); absent when none.
	PublicDefaultRecipients = "recipients.pem"
)

// PublicData returns the ConfigMap data that publishes the public keys, and
// the default recipients when there are any.
func (kr *Keyring) PublicData(defaultRecipients ...*sealing.PublicKey) map[string]string {
	cur := kr.Current()
	if cur == nil {
		return map[string]string{}
	}
	pubs := make([]*sealing.PublicKey, 0, kr.Len())
	for _, k := range kr.all() {
		pubs = append(pubs, k.Private.Public())
	}
	data := map[string]string{
		PublicKeysPEM:    string(sealing.EncodePublicKeysPEM(pubs)),
		PublicCurrentID:  cur.Private.ID(),
		PublicCurrentPEM: string(sealing.EncodePublicKeysPEM(pubs[len(pubs)-1:])),
	}
	if len(defaultRecipients) > 0 {
		data[PublicDefaultRecipients] = string(sealing.EncodePublicKeysPEM(defaultRecipients))
	}
	return data
}

// DefaultRecipients reads the default recipients PublicData published; none
// when the entry is absent.
func DefaultRecipients(data map[string]string) ([]*sealing.PublicKey, error) {
	pem, ok := data[PublicDefaultRecipients]
	if !ok {
		return nil, nil
	}
	keys, err := sealing.ParsePublicKeysPEM([]byte(pem))
	if err != nil {
		return nil, corrupt(PublicDefaultRecipients, "%v", err)
	}
	return keys, nil
}

// ParsePublicData reads ConfigMap data written by PublicData and checks its
// three entries agree: current.pem holds the key named by current, which is
// also the last of keys.pem. Errors are CorruptErrors naming the entry.
func ParsePublicData(data map[string]string) (current *sealing.PublicKey, all []*sealing.PublicKey, err error) {
	for _, name := range []string{PublicKeysPEM, PublicCurrentID, PublicCurrentPEM} {
		if _, ok := data[name]; !ok {
			return nil, nil, corrupt(name, "missing")
		}
	}
	all, err = sealing.ParsePublicKeysPEM([]byte(data[PublicKeysPEM]))
	if err != nil {
		return nil, nil, corrupt(PublicKeysPEM, "%v", err)
	}
	curs, err := sealing.ParsePublicKeysPEM([]byte(data[PublicCurrentPEM]))
	if err != nil {
		return nil, nil, corrupt(PublicCurrentPEM, "%v", err)
	}
	if len(curs) != 1 {
		return nil, nil, corrupt(PublicCurrentPEM, "holds %d keys, want 1", len(curs))
	}
	current = curs[0]
	if id := strings.TrimSpace(data[PublicCurrentID]); id != current.ID() {
		return nil, nil, corrupt(PublicCurrentID, "names key %q, but %s holds key %s", id, PublicCurrentPEM, current.ID())
	}
	if last := all[len(all)-1]; !last.Equal(current) {
		return nil, nil, corrupt(PublicKeysPEM, "its last key is %s, not the current key %s", last.ID(), current.ID())
	}
	return current, all, nil
}

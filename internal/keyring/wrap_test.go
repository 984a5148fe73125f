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
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeKMS is a pure-Go KMS plugin: AES-256-GCM under one key per key ID,
// with the key ID as additional data, as a real plugin's key would refuse a
// wrap made under another.
type fakeKMS struct {
	keys    map[string][]byte
	current string
	down    bool
	// namesItsKey takes the key from the ciphertext and ignores the key ID
	// it is given, as plugins whose ciphertext names its key (AWS KMS) do.
	namesItsKey bool
	// brokenWrap returns a wrap that never opens.
	brokenWrap bool
}

var errFakeDown = errors.New("fake KMS plugin at unix:///fake is unavailable (connection refused)")

func newFakeKMS() *fakeKMS {
	f := &fakeKMS{keys: map[string][]byte{}}
	f.rotate()
	return f
}

// rotate makes a new current key; the old ones still unwrap.
func (f *fakeKMS) rotate() {
	f.current = fmt.Sprintf("fake-key-%d", len(f.keys)+1)
	f.keys[f.current] = make([]byte, 32)
	_, _ = rand.Read(f.keys[f.current]) // never fails
}

func (f *fakeKMS) KeyID(context.Context) (string, error) {
	if f.down {
		return "", errFakeDown
	}
	return f.current, nil
}

func (f *fakeKMS) Wrap(_ context.Context, dataKey []byte) (string, []byte, map[string][]byte, error) {
	if f.down {
		return "", nil, nil, errFakeDown
	}
	aead := fakeAEAD(f.keys[f.current])
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce)
	ct := aead.Seal(nonce, nonce, dataKey, []byte(f.current))
	if f.brokenWrap {
		ct[len(ct)-1] ^= 1
	}
	ct = append([]byte(f.current+":"), ct...)
	return f.current, ct, map[string][]byte{"fake.kms.example.com": []byte("v1")}, nil
}

func (f *fakeKMS) Unwrap(_ context.Context, keyID string, ciphertext []byte, annotations map[string][]byte) ([]byte, error) {
	if f.down {
		return nil, errFakeDown
	}
	named, ct, ok := bytes.Cut(ciphertext, []byte(":"))
	if !ok || string(annotations["fake.kms.example.com"]) != "v1" {
		return nil, errors.New("fake KMS plugin: not a wrap of this plugin")
	}
	if f.namesItsKey {
		keyID = string(named)
	}
	key, ok := f.keys[keyID]
	if !ok {
		return nil, fmt.Errorf("fake KMS plugin: no key %s", keyID)
	}
	aead := fakeAEAD(key)
	if len(ct) < aead.NonceSize() {
		return nil, errors.New("fake KMS plugin: short ciphertext")
	}
	pt, err := aead.Open(nil, ct[:aead.NonceSize()], ct[aead.NonceSize():], []byte(keyID))
	if err != nil {
		return nil, fmt.Errorf("fake KMS plugin: key %s does not decrypt this", keyID)
	}
	return pt, nil
}

func fakeAEAD(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

var (
	testSecret  = SecretRef{Namespace: "lightning-system", Name: "lightning-operator-keyring"}
	otherSecret = SecretRef{Namespace: "lightning-system", Name: "lightning-operator-keyring-copy"}
	otherNS     = SecretRef{Namespace: "attacker", Name: "lightning-operator-keyring"}
)

func mustWrap(t *testing.T, kr *Keyring, w KeyWrapper) map[string][]byte {
	t.Helper()
	data, err := kr.MarshalWrapped(t.Context(), w, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// secretsOf lists every secret of kr as it would show in text: the seeds and
// the version key, raw and in base64.
func secretsOf(kr *Keyring) [][]byte {
	var out [][]byte
	add := func(b []byte) {
		out = append(out, b, []byte(base64.StdEncoding.EncodeToString(b)))
	}
	for _, k := range kr.Keys() {
		add(k.Private.Bytes())
	}
	add(kr.VersionKey().key)
	return out
}

func TestWrapRoundTrip(t *testing.T) {
	kr := threeKeys(t)
	kms := newFakeKMS()
	data := mustWrap(t, kr, kms)

	// Every entry of the plain keyring, under its name, and the data key.
	wantNames := append(slices.Sorted(maps.Keys(kr.Marshal())), DataKeyEntry)
	slices.Sort(wantNames)
	if diff := cmp.Diff(wantNames, slices.Sorted(maps.Keys(data))); diff != "" {
		t.Errorf("entry names (-want +got):\n%s", diff)
	}
	// No key material in the clear.
	for name, value := range data {
		for _, s := range secretsOf(kr) {
			if bytes.Contains(value, s) {
				t.Errorf("entry %s holds key material in the clear", name)
			}
		}
	}
	// Key IDs, public keys and the format stay readable.
	cur := kr.Current()
	var entry map[string]any
	if err := json.Unmarshal(data[EntryPrefix+cur.Private.ID()], &entry); err != nil {
		t.Fatal(err)
	}
	delete(entry, "sealed")
	wantEntry := map[string]any{
		"version":   1.0,
		"id":        cur.Private.ID(),
		"created":   "2026-04-30T12:00:00Z",
		"publicKey": base64.StdEncoding.EncodeToString(cur.Private.Public().Bytes()),
	}
	if diff := cmp.Diff(wantEntry, entry); diff != "" {
		t.Errorf("readable part of the current key's entry (-want +got):\n%s", diff)
	}
	var dk map[string]any
	if err := json.Unmarshal(data[DataKeyEntry], &dk); err != nil {
		t.Fatal(err)
	}
	if dk["format"] != WrapFormat || dk["keyID"] != "fake-key-1" {
		t.Errorf("%s = format %v, keyID %v; want %s, fake-key-1", DataKeyEntry, dk["format"], dk["keyID"], WrapFormat)
	}
	if !IsWrapped(data) || IsWrapped(kr.Marshal()) {
		t.Errorf("IsWrapped(wrapped) = %v, IsWrapped(plain) = %v; want true, false", IsWrapped(data), IsWrapped(kr.Marshal()))
	}
	if id, err := WrappedKeyID(data); err != nil || id != "fake-key-1" {
		t.Errorf("WrappedKeyID = %q, %v; want fake-key-1", id, err)
	}

	// The Secret alone opens nothing.
	if _, err := Unmarshal(data); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Unmarshal of wrapped data: error = %v, want ErrCorrupt", err)
	}

	back, err := UnmarshalWrapped(t.Context(), kms, testSecret, data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(kr.Marshal(), back.Marshal()); diff != "" {
		t.Errorf("unwrapped keyring (-want +got):\n%s", diff)
	}
	// Every write draws a new data key.
	again := mustWrap(t, kr, kms)
	if bytes.Equal(again[DataKeyEntry], data[DataKeyEntry]) {
		t.Error("two wraps of the keyring share a data key")
	}
}

func TestUnwrapRefuses(t *testing.T) {
	kr := threeKeys(t)
	ids := kr.IDs()
	oldest, newest := EntryPrefix+ids[0], EntryPrefix+ids[2]
	first := slices.Min([]string{oldest, EntryPrefix + ids[1], newest}) // entries open in name order

	editJSON := func(data map[string][]byte, name string, edit func(map[string]any)) map[string][]byte {
		var m map[string]any
		if err := json.Unmarshal(data[name], &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return with(data, name, b)
	}
	flipSealed := func(data map[string][]byte, name string) map[string][]byte {
		return editJSON(data, name, func(m map[string]any) {
			b, _ := base64.StdEncoding.DecodeString(m["sealed"].(string))
			b[len(b)/2] ^= 1
			m["sealed"] = base64.StdEncoding.EncodeToString(b)
		})
	}
	field := func(data map[string][]byte, name, key string) any {
		var m map[string]any
		if err := json.Unmarshal(data[name], &m); err != nil {
			t.Fatal(err)
		}
		return m[key]
	}

	tests := []struct {
		name   string
		secret SecretRef // default testSecret
		setup  func(f *fakeKMS)
		edit   func(data map[string][]byte, f *fakeKMS) map[string][]byte
		isKMS  bool   // else ErrCorrupt
		entry  string // the entry the error names
		want   string
		leak   string // a stored text the error must not quote
	}{{
		name:  "a sealing key's entry tampered",
		edit:  func(d map[string][]byte, _ *fakeKMS) map[string][]byte { return flipSealed(d, newest) },
		entry: newest, want: "does not open under the keyring's data key",
	}, {
		name:  "the version key's entry tampered",
		edit:  func(d map[string][]byte, _ *fakeKMS) map[string][]byte { return flipSealed(d, VersionKeyEntry) },
		entry: VersionKeyEntry, want: "does not open under the keyring's data key",
	}, {
		name: "two entries' sealed parts swapped",
		edit: func(d map[string][]byte, _ *fakeKMS) map[string][]byte {
			a, b := field(d, oldest, "sealed"), field(d, newest, "sealed")
			d = editJSON(d, oldest, func(m map[string]any) { m["sealed"] = b })
			return editJSON(d, newest, func(m map[string]any) { m["sealed"] = a })
		},
		entry: min(oldest, newest), want: "does not open under the keyring's data key",
	}, {
		name: "the version key sealed in a key's place",
		edit: func(d map[string][]byte, _ *fakeKMS) map[string][]byte {
			vk := field(d, VersionKeyEntry, "sealed")
			return editJSON(d, newest, func(m map[string]any) { m["sealed"] = vk })
		},
		entry: newest, want: "does not open under the keyring's data key",
	}, {
		name:   "copied to another namespace",
		secret: otherNS,
		entry:  first, want: "does not open under the keyring's data key for Secret attacker/lightning-operator-keyring",
	}, {
		name:   "copied under another name",
		secret: otherSecret,
		entry:  first, want: "does not open under the keyring's data key",
	}, {
		name: "its key ID edited, to a key the plugin refuses",
		setup: func(f *fakeKMS) {
			f.rotate()
		},
		edit: func(d map[string][]byte, f *fakeKMS) map[string][]byte {
			return editJSON(d, DataKeyEntry, func(m map[string]any) { m["keyID"] = f.current })
		},
		isKMS: true, want: "unwrapping the keyring's data key (KMS key ID fake-key-2): fake KMS plugin: key fake-key-2 does not decrypt this",
	}, {
		name: "its key ID edited, for a plugin whose ciphertext names its key",
		setup: func(f *fakeKMS) {
			f.namesItsKey = true
			f.rotate()
		},
		edit: func(d map[string][]byte, f *fakeKMS) map[string][]byte {
			return editJSON(d, DataKeyEntry, func(m map[string]any) { m["keyID"] = f.current })
		},
		entry: first, want: "or its KMS key ID was changed",
	}, {
		name: "the wrapped data key tampered",
		edit: func(d map[string][]byte, _ *fakeKMS) map[string][]byte {
			return editJSON(d, DataKeyEntry, func(m map[string]any) {
				b, _ := base64.StdEncoding.DecodeString(m["ciphertext"].(string))
				b[len(b)-1] ^= 1
				m["ciphertext"] = base64.StdEncoding.EncodeToString(b)
			})
		},
		isKMS: true, want: "fake KMS plugin: key fake-key-1 does not decrypt this",
	}, {
		name: "a readable created edited (the key order)",
		edit: func(d map[string][]byte, _ *fakeKMS) map[string][]byte {
			return editJSON(d, oldest, func(m map[string]any) { m["created"] = "2030-01-01T00:00:00Z" })
		},
		entry: oldest, want: "its readable id, created or publicKey does not match the sealed entry",
	}, {
		name: "a readable public key swapped",
		edit: func(d map[string][]byte, _ *fakeKMS) map[string][]byte {
			pub := field(d, newest, "publicKey")
			return editJSON(d, oldest, func(m map[string]any) { m["publicKey"] = pub })
		},
		entry: oldest, want: "its readable id, created or publicKey does not match the sealed entry",
	}, {
		name: "a plain entry beside wrapped ones",
		edit: func(d map[string][]byte, _ *fakeKMS) map[string][]byte {
			return with(d, newest, kr.Marshal()[newest])
		},
		entry: newest, want: "not a well-formed entry",
	}, {
		name: "the data key missing",
		edit: func(d map[string][]byte, _ *fakeKMS) map[string][]byte {
			return without(d, DataKeyEntry)
		},
		entry: DataKeyEntry, want: "missing: the keyring is not wrapped",
	}, {
		name: "another format",
		edit: func(d map[string][]byte, _ *fakeKMS) map[string][]byte {
			return editJSON(d, DataKeyEntry, func(m map[string]any) {
				m["format"] = "lightning-operator/keyring-kms/v9 " + hex.EncodeToString(secretsOf(kr)[0])
			})
		},
		entry: DataKeyEntry, want: "format is not supported (want \"" + WrapFormat + "\")", leak: "keyring-kms/v9",
	}, {
		name:  "the plugin down",
		setup: func(f *fakeKMS) { f.down = true },
		isKMS: true, want: "unwrapping the keyring's data key (KMS key ID fake-key-1): fake KMS plugin at unix:///fake is unavailable",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kms := newFakeKMS()
			data := mustWrap(t, kr, kms)
			if tt.setup != nil {
				tt.setup(kms)
			}
			if tt.edit != nil {
				data = tt.edit(data, kms)
			}
			secret := tt.secret
			if secret == (SecretRef{}) {
				secret = testSecret
			}
			got, err := UnmarshalWrapped(t.Context(), kms, secret, data)
			if err == nil {
				t.Fatalf("UnmarshalWrapped opened it: %v", got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
			if tt.isKMS {
				if !errors.Is(err, ErrKMS) || errors.Is(err, ErrCorrupt) {
					t.Errorf("error %q: want ErrKMS, not ErrCorrupt", err)
				}
			} else {
				var ce *CorruptError
				if !errors.As(err, &ce) || ce.Entry != tt.entry || errors.Is(err, ErrKMS) {
					t.Errorf("error %q: want a CorruptError naming %s", err, tt.entry)
				}
			}
			if tt.leak != "" && strings.Contains(err.Error(), tt.leak) {
				t.Errorf("error %q quotes the stored %q", err, tt.leak)
			}
			// Never a value: no entry's bytes, no key material.
			for name, value := range data {
				for _, s := range append(secretsOf(kr), value) {
					if len(s) > 8 && strings.Contains(err.Error(), string(s)) {
						t.Errorf("error %q quotes %s's contents", err, name)
					}
				}
			}
		})
	}
}

func TestMarshalWrappedRefuses(t *testing.T) {
	kr := threeKeys(t)
	tests := []struct {
		name   string
		kr     *Keyring
		secret SecretRef
		setup  func(f *fakeKMS)
		isKMS  bool
		want   string
	}{{
		name: "the plugin down", kr: kr, secret: testSecret, setup: func(f *fakeKMS) { f.down = true },
		isKMS: true, want: "wrapping the keyring's data key: fake KMS plugin at unix:///fake is unavailable (connection refused)",
	}, {
		name: "a wrap that does not open", kr: kr, secret: testSecret, setup: func(f *fakeKMS) { f.brokenWrap = true },
		isKMS: true, want: "the keyring just wrapped under KMS key ID fake-key-1 does not open again, so it is not used: unwrapping the keyring's data key (KMS key ID fake-key-1): fake KMS plugin: key fake-key-1 does not decrypt this",
	}, {
		name: "no namespace", kr: kr, secret: SecretRef{Name: "keyring"},
		want: `a wrapped keyring is bound to its Secret's namespace and name; got "/keyring"`,
	}, {
		name: "an empty keyring", kr: &Keyring{}, secret: testSecret,
		want: ErrEmpty.Error(),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kms := newFakeKMS()
			if tt.setup != nil {
				tt.setup(kms)
			}
			data, err := tt.kr.MarshalWrapped(t.Context(), kms, tt.secret)
			if err == nil || err.Error() != tt.want || data != nil {
				t.Fatalf("MarshalWrapped = %d entries, error %v; want none and %q", len(data), err, tt.want)
			}
			if errors.Is(err, ErrKMS) != tt.isKMS {
				t.Errorf("errors.Is(%q, ErrKMS) = %v, want %v", err, !tt.isKMS, tt.isKMS)
			}
		})
	}
}

// rewrap is what the keyring controller does when the plugin's key
// changed: open with the old wrap, wrap again under the current key.
func rewrap(ctx context.Context, w KeyWrapper, data map[string][]byte) (map[string][]byte, error) {
	kr, err := UnmarshalWrapped(ctx, w, testSecret, data)
	if err != nil {
		return nil, err
	}
	return kr.MarshalWrapped(ctx, w, testSecret)
}

func TestRewrap(t *testing.T) {
	ctx := t.Context()
	kr := threeKeys(t)
	kms := newFakeKMS()
	data := mustWrap(t, kr, kms)

	if needs, cur, err := NeedsRewrap(ctx, kms, data); err != nil || needs || cur != "fake-key-1" {
		t.Fatalf("NeedsRewrap before the plugin's rotation = %v, %q, %v; want false, fake-key-1", needs, cur, err)
	}
	kms.rotate()
	needs, cur, err := NeedsRewrap(ctx, kms, data)
	if err != nil || !needs || cur != "fake-key-2" {
		t.Fatalf("NeedsRewrap after the plugin's rotation = %v, %q, %v; want true, fake-key-2", needs, cur, err)
	}
	// The old wrap still opens until it is rewrapped.
	if _, err := UnmarshalWrapped(ctx, kms, testSecret, data); err != nil {
		t.Fatalf("the wrap under the plugin's old key: %v", err)
	}

	rewrapped, err := rewrap(ctx, kms, data)
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := WrappedKeyID(rewrapped); id != "fake-key-2" {
		t.Errorf("WrappedKeyID after Rewrap = %q, want fake-key-2", id)
	}
	if needs, _, _ := NeedsRewrap(ctx, kms, rewrapped); needs {
		t.Error("NeedsRewrap after Rewrap = true")
	}
	delete(kms.keys, "fake-key-1") // the plugin's old key retired
	back, err := UnmarshalWrapped(ctx, kms, testSecret, rewrapped)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(kr.Marshal(), back.Marshal()); diff != "" {
		t.Errorf("rewrapped keyring (-want +got):\n%s", diff)
	}

	kms.down = true
	if _, _, err := NeedsRewrap(ctx, kms, rewrapped); !errors.Is(err, ErrKMS) || !strings.Contains(err.Error(), "asking the KMS plugin for its current key ID: fake KMS plugin at unix:///fake is unavailable") {
		t.Errorf("NeedsRewrap with the plugin down: error = %v", err)
	}
	if _, err := rewrap(ctx, kms, rewrapped); !errors.Is(err, ErrKMS) {
		t.Errorf("Rewrap with the plugin down: error = %v, want ErrKMS", err)
	}
}

func TestWrappedKeyID(t *testing.T) {
	tests := []struct {
		name, want, wantErr string
		data                map[string][]byte
	}{
		{name: "plain", data: map[string][]byte{VersionKeyEntry: []byte("{}")}, wantErr: `keyring entry "kms-data-key" is corrupt: missing: the keyring is not wrapped`},
		{name: "not JSON", data: map[string][]byte{DataKeyEntry: []byte("k1")}, wantErr: `keyring entry "kms-data-key" is corrupt: not a well-formed entry (JSON object with format, keyID, ciphertext, annotations)`},
		{name: "no key ID", data: map[string][]byte{DataKeyEntry: []byte(`{"format":"` + WrapFormat + `","keyID":"","ciphertext":"AA=="}`)}, wantErr: `keyring entry "kms-data-key" is corrupt: keyID is empty`},
		{name: "no ciphertext", data: map[string][]byte{DataKeyEntry: []byte(`{"format":"` + WrapFormat + `","keyID":"k1"}`)}, wantErr: `keyring entry "kms-data-key" is corrupt: ciphertext is empty`},
		{name: "wrapped", data: map[string][]byte{DataKeyEntry: []byte(`{"format":"` + WrapFormat + `","keyID":"k1","ciphertext":"AA=="}`)}, want: "k1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := WrappedKeyID(tt.data)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !errors.Is(err, ErrCorrupt) {
					t.Fatalf("WrappedKeyID = %q, %v; want error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("WrappedKeyID = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestReadWrapped: without the plugin, a wrapped keyring's Secret data
// shows its key IDs, and a wrong name, field or entry is refused by name.
func TestReadWrapped(t *testing.T) {
	made := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	kr, err := New(made)
	if err != nil {
		t.Fatal(err)
	}
	if kr, err = kr.Rotate(made.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	f := newFakeKMS()
	data := mustWrap(t, kr, f)
	got, err := ReadWrapped(data)
	want := WrappedSummary{KMSKeyID: f.current, KeyIDs: kr.IDs(), VersionKeyID: kr.VersionKey().ID()}
	if err != nil || !cmp.Equal(got, want) {
		t.Fatalf("ReadWrapped = %+v, %v; want %+v", got, err, want)
	}

	first, second := EntryPrefix+kr.IDs()[0], EntryPrefix+kr.IDs()[1]
	edit := func(name string, set func(e map[string]any)) func(map[string][]byte) {
		return func(d map[string][]byte) {
			var e map[string]any
			if err := json.Unmarshal(d[name], &e); err != nil {
				t.Fatal(err)
			}
			set(e)
			d[name], _ = json.Marshal(e)
		}
	}
	for _, tc := range []struct {
		name    string
		change  func(map[string][]byte)
		wantErr string
	}{
		{"plain data", func(d map[string][]byte) { delete(d, DataKeyEntry) }, `keyring entry "kms-data-key" is corrupt: missing`},
		{"no sealing key", func(d map[string][]byte) { delete(d, first); delete(d, second) }, ErrEmpty.Error()},
		{"an entry under another key's name", func(d map[string][]byte) { d[first], d[second] = d[second], d[first] },
			// names are checked in order: the first one sorted is reported
			`keyring entry "` + min(first, second) + `" is corrupt: its id field or public key does not have the ID in its name`},
		{"another key's public key", edit(first, func(e map[string]any) {
			e["publicKey"] = base64.StdEncoding.EncodeToString(kr.Keys()[1].Private.Public().Bytes())
		}), `keyring entry "` + first + `" is corrupt: its id field or public key does not have the ID in its name`},
		{"not a public key", edit(first, func(e map[string]any) { e["publicKey"] = "AAAA" }), `keyring entry "` + first + `" is corrupt: publicKey is not a sealing public key`},
		{"an entry that is no key", func(d map[string][]byte) { d["notes"] = d[first] }, `keyring entry "notes" is corrupt: the name is not key-<16 hex key ID>`},
		{"a version key with a public key", edit(VersionKeyEntry, func(e map[string]any) { e["publicKey"] = "AAAA" }),
			`keyring entry "version-key" is corrupt: a wrapped version key has an id and no publicKey`},
		{"a bad time", edit(second, func(e map[string]any) { e["created"] = "yesterday" }), `keyring entry "` + second + `" is corrupt: created is not an RFC 3339 time`},
		{"nothing sealed", edit(second, func(e map[string]any) { e["sealed"] = "" }), `keyring entry "` + second + `" is corrupt: sealed is empty`},
		{"a plain entry", func(d map[string][]byte) { d[first] = kr.Marshal()[first] }, `keyring entry "` + first + `" is corrupt: not a well-formed entry`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := maps.Clone(data)
			tc.change(d)
			got, err := ReadWrapped(d)
			if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
				t.Fatalf("ReadWrapped = %+v, %v; want error %q", got, err, tc.wantErr)
			}
			for _, s := range secretsOf(kr) {
				if strings.Contains(err.Error(), string(s)) {
					t.Error("the error holds key material")
				}
			}
		})
	}
}

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
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
)

func mustSealTo(t testing.TB, scope Scope, pt []byte, keys ...*PrivateKey) string {
	t.Helper()
	pubs := make([]*PublicKey, len(keys))
	for i, k := range keys {
		pubs[i] = k.Public()
	}
	env, err := SealTo(pubs, scope, pt)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func TestSealToEachRecipientOpensAlone(t *testing.T) {
	a, b, c := mustKey(t), mustKey(t), mustKey(t)
	env := mustSealTo(t, testScope, []byte("v"), a, b, c)
	if !strings.HasPrefix(env, "v2:"+a.ID()+","+b.ID()+","+c.ID()+":") {
		t.Fatalf("header of %.60s… does not list the recipients in order", env)
	}
	for _, k := range []*PrivateKey{a, b, c} {
		got, err := Open(keysOf(k), testScope, env)
		if err != nil || string(got) != "v" {
			t.Errorf("recipient %s: Open = %q, %v", k.ID(), got, err)
		}
	}
	if _, err := Open(keysOf(mustKey(t)), testScope, env); !errors.Is(err, ErrKeyNotFound) {
		t.Errorf("a stranger: Open = %v, want KeyNotFound", err)
	} else if !strings.Contains(err.Error(), a.ID()) || !strings.Contains(err.Error(), c.ID()) {
		t.Errorf("KeyNotFound %q does not name the recipients", err)
	}
	for _, scope := range []Scope{{Namespace: testScope.Namespace, Name: "copy"}, {Namespace: "other", Name: testScope.Name}} {
		if _, err := Open(keysOf(a), scope, env); !errors.Is(err, ErrTampered) {
			t.Errorf("a copy as %s/%s: Open = %v, want Tampered", scope.Namespace, scope.Name, err)
		}
	}
}

func TestSealToErrors(t *testing.T) {
	a := mustKey(t)
	many := make([]*PublicKey, MaxRecipients+1)
	for i := range many {
		many[i] = mustKey(t).Public()
	}
	tests := []struct {
		name string
		pubs []*PublicKey
		pt   []byte
		want string
	}{
		{"no recipient", nil, nil, "no recipient"},
		{"too many", many, nil, "more than the 8"},
		{"twice the same", []*PublicKey{a.Public(), a.Public()}, nil, "a recipient twice"},
		{"a nil key", []*PublicKey{a.Public(), nil}, nil, "has no public key"},
		{"too large", []*PublicKey{a.Public()}, make([]byte, MaxPlaintextSize+1), "more than the 131069-byte limit"},
	}
	for _, tt := range tests {
		if _, err := SealTo(tt.pubs, testScope, tt.pt); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: SealTo = %v, want an error with %q", tt.name, err, tt.want)
		}
	}
}

// Every change of one byte of the text, header or payload, fails to open.
func TestMultiEveryByteMatters(t *testing.T) {
	a, b := mustKey(t), mustKey(t)
	env := mustSealTo(t, testScope, []byte("a value"), a, b)
	keys := keysOf(a, b)
	colon := strings.LastIndexByte(env, ':')
	payload, _ := base64.StdEncoding.DecodeString(env[colon+1:])
	// Each byte of the header text.
	for i := 0; i < colon; i++ {
		mutated := []byte(env)
		mutated[i] ^= 0x01
		if _, err := Open(keys, testScope, string(mutated)); err == nil {
			t.Fatalf("a change of header byte %d opened", i)
		}
	}
	// Each byte of the payload: nonce, both stanzas, body.
	for i := range payload {
		mutated := bytes.Clone(payload)
		mutated[i] ^= 0x80
		text := env[:colon+1] + base64.StdEncoding.EncodeToString(mutated)
		if _, err := Open(keys, testScope, text); !errors.Is(err, ErrTampered) {
			t.Fatalf("a change of payload byte %d of %d: Open = %v, want Tampered", i, len(payload), err)
		}
	}
}

func TestMultiStanzasCannotBeMoved(t *testing.T) {
	a, b, c := mustKey(t), mustKey(t), mustKey(t)
	env := mustSealTo(t, testScope, []byte("v"), a, b, c)
	m, err := parseMulti(strings.TrimPrefix(env, "v2:"))
	if err != nil {
		t.Fatal(err)
	}
	rebuild := func(order ...int) string {
		n := &multi{nonce: m.nonce, body: m.body}
		for _, i := range order {
			n.keyIDs = append(n.keyIDs, m.keyIDs[i])
			n.stanzas = append(n.stanzas, m.stanzas[i])
		}
		return n.String()
	}
	other := mustSealTo(t, testScope, []byte("another value"), a, b, c)
	om, _ := parseMulti(strings.TrimPrefix(other, "v2:"))
	swapped := &multi{keyIDs: m.keyIDs, nonce: m.nonce, body: m.body, stanzas: [][]byte{om.stanzas[0], m.stanzas[1], m.stanzas[2]}}
	tests := []struct {
		name string
		env  string
		keys keySet
	}{
		{"a stanza removed", rebuild(0, 1), keysOf(a)},
		{"stanzas reordered", rebuild(1, 0, 2), keysOf(a)},
		{"a stanza from another envelope", swapped.String(), keysOf(a)},
		{"the body of another envelope", (&multi{keyIDs: m.keyIDs, nonce: om.nonce, stanzas: m.stanzas, body: om.body}).String(), keysOf(a)},
	}
	for _, tt := range tests {
		if _, err := Open(tt.keys, testScope, tt.env); !errors.Is(err, ErrTampered) {
			t.Errorf("%s: Open = %v, want Tampered", tt.name, err)
		}
	}
	// A key ID twice is refused by the parser, before any open.
	dup := &multi{keyIDs: []string{m.keyIDs[0], m.keyIDs[0]}, nonce: m.nonce, stanzas: m.stanzas[:2], body: m.body}
	if _, err := Open(keysOf(a), testScope, dup.String()); !errors.Is(err, ErrMalformed) {
		t.Errorf("a stanza duplicated: Open = %v, want Malformed", err)
	}
	if got, err := Open(keysOf(a), testScope, rebuild(0, 1, 2)); err != nil || string(got) != "v" {
		t.Fatalf("the unchanged rebuild does not open: %v", err)
	}
}

func TestReseal(t *testing.T) {
	old, newest, otherCluster, recovery := mustKey(t), mustKey(t), mustKey(t), mustKey(t)
	cluster := keysOf(old, newest)
	tests := []struct {
		name    string
		env     string
		changed bool
		want    []string // key IDs after, in order
	}{
		{"v1 to the old key", mustSeal(t, old.Public(), testScope, []byte("v")), true, []string{newest.ID()}},
		{"v1 already to the newest", mustSeal(t, newest.Public(), testScope, []byte("v")), false, []string{newest.ID()}},
		{"v2 to the old key and a recovery key", mustSealTo(t, testScope, []byte("v"), old, recovery), true, []string{newest.ID(), recovery.ID()}},
		{"v2 to another cluster first, then the old key", mustSealTo(t, testScope, []byte("v"), otherCluster, old, recovery), true, []string{newest.ID(), otherCluster.ID(), recovery.ID()}},
		{"v2 already to the newest and a recovery key", mustSealTo(t, testScope, []byte("v"), newest, recovery), false, []string{newest.ID(), recovery.ID()}},
		{"v2 to both cluster keys", mustSealTo(t, testScope, []byte("v"), old, newest), true, []string{newest.ID()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, changed, err := Reseal(cluster, testScope, tt.env, newest.Public())
			if err != nil {
				t.Fatal(err)
			}
			if changed != tt.changed || (!changed && out != tt.env) {
				t.Errorf("changed = %v, want %v", changed, tt.changed)
			}
			env, err := ParseEnvelope(out)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(env.KeyIDs, tt.want) {
				t.Errorf("key IDs = %v, want %v", env.KeyIDs, tt.want)
			}
			// Every remaining recipient opens it alone, to the same value.
			for _, k := range []*PrivateKey{newest, otherCluster, recovery} {
				if !slices.Contains(tt.want, k.ID()) {
					continue
				}
				if got, err := Open(keysOf(k), testScope, out); err != nil || string(got) != "v" {
					t.Errorf("recipient %s: Open = %q, %v", k.ID(), got, err)
				}
			}
			if changed {
				if _, err := Open(keysOf(old), testScope, out); !errors.Is(err, ErrKeyNotFound) {
					t.Errorf("the old key still opens the re-sealed value: %v", err)
				}
			}
		})
	}
	altered := []byte(mustSeal(t, newest.Public(), testScope, []byte("v")))
	altered[len(altered)-5] ^= 0x01
	if _, _, err := Reseal(cluster, testScope, string(altered), newest.Public()); err == nil {
		t.Error("an altered value already sealed to the newest key was answered unchanged")
	}
	if _, _, err := Reseal(keysOf(newest), testScope, mustSeal(t, old.Public(), testScope, []byte("v")), newest.Public()); !errors.Is(err, ErrKeyNotFound) {
		t.Errorf("re-sealing what the keyring cannot open: %v, want KeyNotFound", err)
	}
	if _, _, err := Reseal(cluster, Scope{Namespace: "x", Name: "y"}, mustSealTo(t, testScope, []byte("v"), old), newest.Public()); !errors.Is(err, ErrTampered) {
		t.Errorf("re-sealing under another scope: %v, want Tampered", err)
	}
}

func TestOpeningKey(t *testing.T) {
	a, b := mustKey(t), mustKey(t)
	env, _ := ParseEnvelope(mustSealTo(t, testScope, []byte("v"), a, b))
	if got := OpeningKey(keysOf(b), env); got != b.ID() {
		t.Errorf("OpeningKey = %s, want the keyring's %s", got, b.ID())
	}
	if got := OpeningKey(keysOf(mustKey(t)), env); got != a.ID() {
		t.Errorf("OpeningKey with no key held = %s, want the first %s", got, a.ID())
	}
}

func FuzzOpenMulti(f *testing.F) {
	a, b := mustKey(f), mustKey(f)
	env := mustSealTo(f, testScope, []byte("fuzz"), a, b)
	f.Add(env)
	f.Add(strings.Replace(env, ",", ":", 1))
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Open(keysOf(a, b), testScope, s)
		if err != nil {
			if got != nil || Reason(err) == "" {
				t.Fatalf("Open = %q, %v", got, err)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error %q is not one line", err)
			}
			return
		}
		if string(got) != "fuzz" {
			t.Fatalf("opened something never sealed")
		}
	})
}

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
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

func mustVersionKey(t *testing.T) *VersionKey {
	t.Helper()
	vk, err := NewVersionKey(t0)
	if err != nil {
		t.Fatal(err)
	}
	return vk
}

func TestVersion(t *testing.T) {
	k1, k2 := mustVersionKey(t), mustVersionKey(t)
	db := sealing.Scope{Namespace: "team-a", Name: "db"}
	type input struct {
		key   *VersionKey
		scope sealing.Scope
		value string
	}
	base := input{k1, db, "hunter2"}
	tests := []struct {
		name  string
		other input
		equal bool
	}{
		{"equal values give equal versions", input{k1, db, "hunter2"}, true},
		{"a different value differs", input{k1, db, "hunter3"}, false},
		{"the empty value differs", input{k1, db, ""}, false},
		{"the key matters", input{k2, db, "hunter2"}, false},
		{"the name matters", input{k1, sealing.Scope{Namespace: "team-a", Name: "db2"}, "hunter2"}, false},
		{"the namespace matters", input{k1, sealing.Scope{Namespace: "team-b", Name: "db"}, "hunter2"}, false},
		{"field boundaries are not ambiguous", input{k1, sealing.Scope{Namespace: "team-ad", Name: "b"}, "hunter2"}, false},
	}
	want := base.key.Version(base.scope, []byte(base.value))
	if !regexp.MustCompile(fmt.Sprintf("^[0-9a-f]{%d}$", VersionLength)).MatchString(want) {
		t.Fatalf("Version = %q, want %d hex digits", want, VersionLength)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.other.key.Version(tt.other.scope, []byte(tt.other.value))
			if (got == want) != tt.equal {
				t.Errorf("Version = %s, base %s: equal = %v, want %v", got, want, got == want, tt.equal)
			}
		})
	}
}

func TestVersionIsNotAPlainHash(t *testing.T) {
	// Whoever reads a version and guesses a short value must not be able to
	// check the guess without the key.
	vk := mustVersionKey(t)
	value := []byte("1234")
	got := vk.Version(sealing.Scope{Namespace: "ns", Name: "pin"}, value)
	for _, plain := range []string{sha256Hex(value), sha256Hex([]byte("ns/pin/1234"))} {
		if strings.HasPrefix(plain, got) {
			t.Fatalf("Version %s is a plain SHA-256 of the value", got)
		}
	}
}

func TestKeyringVersionKey(t *testing.T) {
	kr := mustNew(t, t0)
	vk := kr.VersionKey()
	if vk == nil {
		t.Fatal("New made no version key")
	}
	if got := mustRotate(t, kr, t0.Add(day)).VersionKey(); got != vk {
		t.Error("Rotate changed the version key; every version, and so every app, would change")
	}
	if got, err := kr.WithVersionKey(t0.Add(day)); err != nil || got != kr {
		t.Errorf("WithVersionKey on a keyring that has one = %v, %v; want the same keyring", got, err)
	}

	// A keyring stored before value versions has none, and gets one.
	data := kr.Marshal()
	delete(data, VersionKeyEntry)
	old, err := Unmarshal(data)
	if err != nil {
		t.Fatalf("Unmarshal of a keyring without version key: %v", err)
	}
	if old.VersionKey() != nil {
		t.Fatal("a version key appeared from nowhere")
	}
	upgraded, err := old.WithVersionKey(t0.Add(day))
	if err != nil || upgraded.VersionKey() == nil {
		t.Fatalf("WithVersionKey = %v, %v", upgraded, err)
	}
	if old.VersionKey() != nil {
		t.Error("WithVersionKey changed its receiver")
	}
	if got, want := fmt.Sprint(upgraded.IDs()), fmt.Sprint(old.IDs()); got != want {
		t.Errorf("WithVersionKey changed the sealing keys: %s, want %s", got, want)
	}
	back, err := Unmarshal(upgraded.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if back.VersionKey().ID() != upgraded.VersionKey().ID() || !back.VersionKey().Created().Equal(t0.Add(day)) {
		t.Errorf("the version key did not survive Marshal and Unmarshal: %v", back.VersionKey())
	}
}

func TestFormattingHidesVersionKey(t *testing.T) {
	kr := mustNew(t, t0)
	vk := kr.VersionKey()
	out := fmt.Sprintf("%v %+v %#v %v %+v %#v %s", kr, kr, kr, vk, vk, vk, *vk)
	for _, secret := range []string{fmt.Sprint(vk.key), fmt.Sprintf("%x", vk.key[:8]), hex.EncodeToString(vk.key)[:12], base64.StdEncoding.EncodeToString(vk.key)[:12]} {
		if strings.Contains(out, secret) {
			t.Fatalf("formatting shows the version key: %s", out)
		}
	}
	if !strings.Contains(fmt.Sprint(kr), vk.ID()) {
		t.Errorf("%v does not name the version key's ID", kr)
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

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

	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

func mustNew(t *testing.T, now time.Time) *Keyring {
	t.Helper()
	kr, err := New(now)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func mustRotate(t *testing.T, kr *Keyring, now time.Time) *Keyring {
	t.Helper()
	next, err := kr.Rotate(now)
	if err != nil {
		t.Fatal(err)
	}
	return next
}

func created(kr *Keyring) []time.Time {
	var out []time.Time
	for _, k := range kr.Keys() {
		out = append(out, k.Created)
	}
	return out
}

func TestNew(t *testing.T) {
	kr := mustNew(t, t0.Add(500*time.Millisecond).In(time.FixedZone("CET", 3600)))
	if kr.Len() != 1 {
		t.Fatalf("Len = %d, want 1", kr.Len())
	}
	cur := kr.Current()
	if diff := cmp.Diff([]string{cur.Private.ID()}, kr.IDs()); diff != "" {
		t.Errorf("IDs (-want +got):\n%s", diff)
	}
	// Stored at second precision, in UTC.
	if !cur.Created.Equal(t0) || cur.Created.Location() != time.UTC {
		t.Errorf("Created = %v, want %v", cur.Created, t0)
	}
	if k, ok := kr.PrivateKey(cur.Private.ID()); !ok || k != cur.Private {
		t.Error("PrivateKey does not find the current key")
	}
	if _, ok := kr.PrivateKey("0000000000000000"); ok {
		t.Error("PrivateKey found an unknown key")
	}
}

func TestEmptyKeyring(t *testing.T) {
	for _, kr := range []*Keyring{nil, {}} {
		if kr.Current() != nil || kr.Len() != 0 || len(kr.IDs()) != 0 {
			t.Errorf("%v is not empty", kr)
		}
		if _, ok := kr.PrivateKey("0000000000000000"); ok {
			t.Error("PrivateKey found a key in an empty keyring")
		}
		if got := kr.PublicData(); len(got) != 0 {
			t.Errorf("PublicData = %v", got)
		}
		if got := kr.Marshal(); len(got) != 0 {
			t.Errorf("Marshal = %v", got)
		}
	}
}

func TestRotate(t *testing.T) {
	scope := sealing.Scope{Namespace: "team-a", Name: "db"}
	kr1 := mustNew(t, t0)
	env1, err := sealing.Seal(kr1.Current().Private.Public(), scope, []byte("old"))
	if err != nil {
		t.Fatal(err)
	}
	ids1 := kr1.IDs()

	kr2 := mustRotate(t, kr1, t0.Add(30*day))
	// The receiver is untouched, and a second rotation of it shares nothing.
	if diff := cmp.Diff(ids1, kr1.IDs()); diff != "" {
		t.Errorf("Rotate changed the receiver (-want +got):\n%s", diff)
	}
	kr2b := mustRotate(t, kr1, t0.Add(30*day))
	if kr2.IDs()[1] == kr2b.IDs()[1] {
		t.Error("two rotations made the same key")
	}
	if diff := cmp.Diff(kr2.IDs()[:1], kr2b.IDs()[:1]); diff != "" {
		t.Error(diff)
	}
	kr3 := mustRotate(t, kr2, t0.Add(60*day))
	if diff := cmp.Diff(kr2.IDs(), kr3.IDs()[:2]); diff != "" {
		t.Errorf("Rotate dropped or reordered keys (-want +got):\n%s", diff)
	}
	if kr3.Len() != 3 || kr3.Current().Private.ID() != kr3.IDs()[2] {
		t.Errorf("current is not the newest: %v", kr3)
	}
	if diff := cmp.Diff([]time.Time{t0, t0.Add(30 * day), t0.Add(60 * day)}, created(kr3)); diff != "" {
		t.Errorf("Created (-want +got):\n%s", diff)
	}

	// Old keys keep opening old values; a new value needs the new keyring.
	got, err := sealing.Open(kr3, scope, env1)
	if err != nil || string(got) != "old" {
		t.Errorf("Open(old value, rotated keyring) = %q, %v", got, err)
	}
	env3, err := sealing.Seal(kr3.Current().Private.Public(), scope, []byte("new"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sealing.Open(kr2, scope, env3); !errors.Is(err, sealing.ErrKeyNotFound) {
		t.Errorf("Open(new value, old keyring) = %v, want ErrKeyNotFound", err)
	}
	if got, err := sealing.Open(kr3, scope, env3); err != nil || string(got) != "new" {
		t.Errorf("Open(new value) = %q, %v", got, err)
	}
}

func TestRotateCreatedIncreases(t *testing.T) {
	tests := []struct {
		name string
		now  time.Time
		want time.Time
	}{
		{"later", t0.Add(time.Hour), t0.Add(time.Hour)},
		{"same instant", t0, t0.Add(time.Second)},
		{"same second", t0.Add(900 * time.Millisecond), t0.Add(time.Second)},
		{"clock went back", t0.Add(-day), t0.Add(time.Second)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kr := mustRotate(t, mustNew(t, t0), tt.now)
			if got := kr.Current().Created; !got.Equal(tt.want) {
				t.Errorf("Created = %v, want %v", got, tt.want)
			}
			// The order survives a round trip through the unordered Secret data.
			back, err := Unmarshal(kr.Marshal())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(kr.IDs(), back.IDs()); diff != "" {
				t.Errorf("order after round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNeedsRotation(t *testing.T) {
	kr := mustNew(t, t0)
	period := 30 * day
	tests := []struct {
		name   string
		kr     *Keyring
		now    time.Time
		period time.Duration
		cutoff time.Time
		want   bool
	}{
		{"nil keyring", nil, t0, period, time.Time{}, true},
		{"empty keyring", &Keyring{}, t0, period, time.Time{}, true},
		{"just made", kr, t0, period, time.Time{}, false},
		{"a second before period", kr, t0.Add(period - time.Second), period, time.Time{}, false},
		{"exactly at period", kr, t0.Add(period), period, time.Time{}, true},
		{"past period", kr, t0.Add(period + time.Nanosecond), period, time.Time{}, true},
		{"clock behind creation", kr, t0.Add(-day), period, time.Time{}, false},
		{"period off", kr, t0.Add(10 * 365 * day), 0, time.Time{}, false},
		{"negative period off", kr, t0.Add(10 * 365 * day), -time.Hour, time.Time{}, false},
		{"cutoff zero", kr, t0.Add(day), period, time.Time{}, false},
		{"cutoff before creation", kr, t0.Add(day), period, t0.Add(-time.Hour), false},
		{"cutoff at creation", kr, t0.Add(day), period, t0, false},
		{"cutoff in creation's second", kr, t0.Add(day), period, t0.Add(999 * time.Millisecond), false},
		{"cutoff after creation, passed", kr, t0.Add(day), period, t0.Add(time.Hour), true},
		{"cutoff after creation, now", kr, t0.Add(time.Hour), period, t0.Add(time.Hour), true},
		{"cutoff after creation, in the future", kr, t0.Add(time.Hour), period, t0.Add(2 * time.Hour), false},
		{"cutoff passed, period off", kr, t0.Add(day), 0, t0.Add(time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NeedsRotation(tt.kr, tt.now, tt.period, tt.cutoff); got != tt.want {
				t.Errorf("NeedsRotation = %v, want %v", got, tt.want)
			}
		})
	}

	// A cutoff forces exactly one rotation: the new key is not before it.
	cutoff := t0.Add(time.Hour + 300*time.Millisecond)
	now := t0.Add(time.Hour + 700*time.Millisecond)
	next := mustRotate(t, kr, now)
	if NeedsRotation(next, now, period, cutoff) {
		t.Error("the key made for a cutoff still needs rotation")
	}
}

func threeKeys(t *testing.T) *Keyring {
	t.Helper()
	return mustRotate(t, mustRotate(t, mustNew(t, t0), t0.Add(30*day)), t0.Add(60*day))
}

func TestMarshalRoundTrip(t *testing.T) {
	kr := threeKeys(t)
	data := kr.Marshal()
	var names []string
	for _, id := range kr.IDs() {
		names = append(names, "key-"+id)
	}
	names = append(names, "version-key")
	slices.Sort(names)
	if diff := cmp.Diff(names, slices.Sorted(maps.Keys(data))); diff != "" {
		t.Errorf("entry names (-want +got):\n%s", diff)
	}

	// The stored shape is the documented JSON.
	cur := kr.Current()
	var got map[string]any
	if err := json.Unmarshal(data["key-"+cur.Private.ID()], &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"version":    1.0,
		"id":         cur.Private.ID(),
		"suite":      sealing.Suite,
		"created":    "2026-04-30T12:00:00Z",
		"privateKey": base64.StdEncoding.EncodeToString(cur.Private.Bytes()),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entry (-want +got):\n%s", diff)
	}
	vk := kr.VersionKey()
	got = nil
	if err := json.Unmarshal(data["version-key"], &got); err != nil {
		t.Fatal(err)
	}
	wantVK := map[string]any{
		"version": 1.0,
		"id":      vk.ID(),
		"created": "2026-03-01T12:00:00Z",
		"key":     base64.StdEncoding.EncodeToString(vk.key),
	}
	if diff := cmp.Diff(wantVK, got); diff != "" {
		t.Errorf("version-key entry (-want +got):\n%s", diff)
	}

	back, err := Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(kr.IDs(), back.IDs()); diff != "" {
		t.Errorf("IDs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(created(kr), created(back)); diff != "" {
		t.Errorf("Created (-want +got):\n%s", diff)
	}
	for i, k := range back.Keys() {
		if !bytes.Equal(k.Private.Bytes(), kr.Keys()[i].Private.Bytes()) {
			t.Errorf("key %d differs", i)
		}
	}
	if diff := cmp.Diff(data, back.Marshal()); diff != "" {
		t.Errorf("Marshal(Unmarshal(data)) (-want +got):\n%s", diff)
	}
}

func TestUnmarshalOrder(t *testing.T) {
	kr := threeKeys(t)
	data := kr.Marshal()
	// Same created times: the order falls back to the ID, deterministically.
	for name, v := range data {
		var e map[string]any
		_ = json.Unmarshal(v, &e)
		e["created"] = "2026-01-01T00:00:00Z"
		data[name], _ = json.Marshal(e)
	}
	first, err := Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	ids := first.IDs()
	for i := 1; i < len(ids); i++ {
		if ids[i-1] > ids[i] {
			t.Errorf("tied keys not ordered by ID: %v", ids)
		}
	}
	// A non-UTC offset is read as the same instant.
	data = kr.Marshal()
	id := kr.IDs()[0]
	var e map[string]any
	_ = json.Unmarshal(data["key-"+id], &e)
	e["created"] = "2026-03-01T13:00:00+01:00"
	data["key-"+id], _ = json.Marshal(e)
	back, err := Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Keys()[0].Created; !got.Equal(t0) || back.IDs()[0] != id {
		t.Errorf("first key = %s at %v", back.IDs()[0], got)
	}
}

func TestUnmarshalErrors(t *testing.T) {
	kr := threeKeys(t)
	a, b := kr.Keys()[0].Private, kr.Keys()[1].Private
	good := kr.Marshal()
	nameA, nameB := "key-"+a.ID(), "key-"+b.ID()
	seedB64 := base64.StdEncoding.EncodeToString(a.Bytes())

	// edit returns good's data with entry nameA's JSON changed by f.
	edit := func(f func(e map[string]any)) map[string][]byte {
		var e map[string]any
		if err := json.Unmarshal(good[nameA], &e); err != nil {
			t.Fatal(err)
		}
		f(e)
		v, _ := json.Marshal(e)
		return with(good, nameA, v)
	}
	vkB64 := base64.StdEncoding.EncodeToString(kr.VersionKey().key)
	editVK := func(f func(e map[string]any)) map[string][]byte {
		var e map[string]any
		if err := json.Unmarshal(good[VersionKeyEntry], &e); err != nil {
			t.Fatal(err)
		}
		f(e)
		v, _ := json.Marshal(e)
		return with(good, VersionKeyEntry, v)
	}
	onlyVK := map[string][]byte{VersionKeyEntry: good[VersionKeyEntry]}
	tests := []struct {
		name      string
		data      map[string][]byte
		want      error
		wantEntry string
	}{
		{"nil", nil, ErrEmpty, ""},
		{"empty", map[string][]byte{}, ErrEmpty, ""},
		{"other entry", with(good, "notes", []byte("hi")), ErrCorrupt, "notes"},
		{"uppercase ID in name", with(good, "key-"+strings.ToUpper(a.ID()), good[nameA]), ErrCorrupt, "key-" + strings.ToUpper(a.ID())},
		{"short name", with(good, "key-", good[nameA]), ErrCorrupt, "key-"},
		{"entry under another key's name", with(without(good, nameA), nameB, good[nameA]), ErrCorrupt, nameB},
		{"unknown name ID", with(without(good, nameA), "key-0123456789abcdef", good[nameA]), ErrCorrupt, "key-0123456789abcdef"},
		{"not JSON", with(good, nameA, []byte("not json "+seedB64)), ErrCorrupt, nameA},
		{"empty value", with(good, nameA, nil), ErrCorrupt, nameA},
		{"JSON array", with(good, nameA, []byte(`[1]`)), ErrCorrupt, nameA},
		{"trailing data", with(good, nameA, append(bytes.Clone(good[nameA]), '}')), ErrCorrupt, nameA},
		{"two objects", with(good, nameA, append(bytes.Clone(good[nameA]), good[nameA]...)), ErrCorrupt, nameA},
		{"unknown field", edit(func(e map[string]any) { e["extra"] = 1 }), ErrCorrupt, nameA},
		{"version 2", edit(func(e map[string]any) { e["version"] = 2 }), ErrCorrupt, nameA},
		{"no version", edit(func(e map[string]any) { delete(e, "version") }), ErrCorrupt, nameA},
		{"version as string", edit(func(e map[string]any) { e["version"] = "1" }), ErrCorrupt, nameA},
		{"unknown suite", edit(func(e map[string]any) { e["suite"] = "DHKEM-X25519" }), ErrCorrupt, nameA},
		{"id field mismatched", edit(func(e map[string]any) { e["id"] = b.ID() }), ErrCorrupt, nameA},
		{"no created", edit(func(e map[string]any) { delete(e, "created") }), ErrCorrupt, nameA},
		{"created not RFC 3339", edit(func(e map[string]any) { e["created"] = "2026-03-01 12:00:00" }), ErrCorrupt, nameA},
		{"privateKey not base64", edit(func(e map[string]any) { e["privateKey"] = seedB64[:20] + "!" + seedB64[21:] }), ErrCorrupt, nameA},
		{"privateKey short", edit(func(e map[string]any) { e["privateKey"] = base64.StdEncoding.EncodeToString(a.Bytes()[:31]) }), ErrCorrupt, nameA},
		{"privateKey of another key", edit(func(e map[string]any) { e["privateKey"] = base64.StdEncoding.EncodeToString(b.Bytes()) }), ErrCorrupt, nameA},
		{"no privateKey", edit(func(e map[string]any) { delete(e, "privateKey") }), ErrCorrupt, nameA},
		{"a version key and no sealing key", onlyVK, ErrEmpty, ""},
		{"version key not JSON", with(good, VersionKeyEntry, []byte("not json "+vkB64)), ErrCorrupt, VersionKeyEntry},
		{"version key unknown field", editVK(func(e map[string]any) { e["extra"] = 1 }), ErrCorrupt, VersionKeyEntry},
		{"version key version 2", editVK(func(e map[string]any) { e["version"] = 2 }), ErrCorrupt, VersionKeyEntry},
		{"version key created not RFC 3339", editVK(func(e map[string]any) { e["created"] = "yesterday" }), ErrCorrupt, VersionKeyEntry},
		{"version key not base64", editVK(func(e map[string]any) { e["key"] = vkB64[:20] + "!" + vkB64[21:] }), ErrCorrupt, VersionKeyEntry},
		{"version key short", editVK(func(e map[string]any) { e["key"] = base64.StdEncoding.EncodeToString(kr.VersionKey().key[:31]) }), ErrCorrupt, VersionKeyEntry},
		{"version key id mismatched", editVK(func(e map[string]any) { e["id"] = "0123456789abcdef" }), ErrCorrupt, VersionKeyEntry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Unmarshal(tt.data)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Unmarshal = %v, want %v", err, tt.want)
			}
			if got != nil {
				t.Error("a keyring was returned with the error")
			}
			msg := err.Error()
			material := [][]byte{kr.VersionKey().key}
			for _, k := range kr.Keys() {
				material = append(material, k.Private.Bytes())
			}
			for _, seed := range material {
				for _, secret := range []string{base64.StdEncoding.EncodeToString(seed), base64.StdEncoding.EncodeToString(seed)[:12], hex.EncodeToString(seed)[:12], string(seed)} {
					if strings.Contains(msg, secret) {
						t.Fatalf("error %q holds key material", msg)
					}
				}
			}
			if strings.ContainsAny(msg, "\n\r") {
				t.Errorf("error %q is not one line", msg)
			}
			if tt.wantEntry == "" {
				return
			}
			var ce *CorruptError
			if !errors.As(err, &ce) || ce.Entry != tt.wantEntry {
				t.Errorf("error %v does not name entry %q", err, tt.wantEntry)
			}
			if !strings.Contains(msg, fmt.Sprintf("%q", tt.wantEntry)) {
				t.Errorf("message %q does not name entry %q", msg, tt.wantEntry)
			}
		})
	}
}

func with(data map[string][]byte, name string, value []byte) map[string][]byte {
	out := make(map[string][]byte, len(data)+1)
	for k, v := range data {
		out[k] = v
	}
	out[name] = value
	return out
}

func without(data map[string][]byte, name string) map[string][]byte {
	out := with(data, name, nil)
	delete(out, name)
	return out
}

func TestPublicData(t *testing.T) {
	kr := threeKeys(t)
	data := kr.PublicData()
	if diff := cmp.Diff([]string{"current", "current.pem", "keys.pem"}, slices.Sorted(maps.Keys(data))); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if data["current"] != kr.Current().Private.ID() {
		t.Errorf("current = %q", data["current"])
	}
	if strings.Contains(data["keys.pem"], "PRIVATE") {
		t.Error("keys.pem mentions a private key")
	}

	cur, all, err := ParsePublicData(data)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range all {
		ids = append(ids, k.ID())
	}
	if diff := cmp.Diff(kr.IDs(), ids); diff != "" {
		t.Errorf("keys.pem IDs (-want +got):\n%s", diff)
	}
	if !cur.Equal(kr.Current().Private.Public()) {
		t.Error("current is not the keyring's current key")
	}

	// What a user seals offline from the ConfigMap opens in the operator.
	scope := sealing.Scope{Namespace: "team-a", Name: "api"}
	env, err := sealing.Seal(cur, scope, []byte("offline"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := sealing.Open(kr, scope, env); err != nil || string(got) != "offline" {
		t.Errorf("Open = %q, %v", got, err)
	}
}

func TestParsePublicDataErrors(t *testing.T) {
	kr := threeKeys(t)
	good := kr.PublicData()
	older := mustNew(t, t0).PublicData()
	edit := func(name, value string) map[string]string {
		out := map[string]string{}
		for k, v := range good {
			out[k] = v
		}
		if value == "\x00delete" {
			delete(out, name)
		} else {
			out[name] = value
		}
		return out
	}
	tests := []struct {
		name      string
		data      map[string]string
		wantEntry string
	}{
		{"nil", nil, "keys.pem"},
		{"no keys.pem", edit("keys.pem", "\x00delete"), "keys.pem"},
		{"no current", edit("current", "\x00delete"), "current"},
		{"no current.pem", edit("current.pem", "\x00delete"), "current.pem"},
		{"keys.pem empty", edit("keys.pem", ""), "keys.pem"},
		{"keys.pem garbage", edit("keys.pem", "-----BEGIN LIGHTNING SEALING PUBLIC KEY-----\nAAAA\n-----END LIGHTNING SEALING PUBLIC KEY-----\n"), "keys.pem"},
		{"current.pem holds all", edit("current.pem", good["keys.pem"]), "current.pem"},
		{"current names another key", edit("current", kr.IDs()[0]), "current"},
		{"current.pem is another key", edit("current.pem", older["current.pem"]), "current"},
		{"keys.pem ends with another key", edit("keys.pem", good["keys.pem"]+older["keys.pem"]), "keys.pem"},
		{"keys.pem lacks the current key", edit("keys.pem", older["keys.pem"]), "keys.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParsePublicData(tt.data)
			var ce *CorruptError
			if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want a CorruptError", err)
			}
			if ce.Entry != tt.wantEntry {
				t.Errorf("entry = %q, want %q (%v)", ce.Entry, tt.wantEntry, err)
			}
		})
	}
	// A trailing newline on current, as an editor adds, is fine.
	if _, _, err := ParsePublicData(edit("current", good["current"]+"\n")); err != nil {
		t.Errorf("current with newline: %v", err)
	}
}

func TestFormattingHidesKeys(t *testing.T) {
	kr := threeKeys(t)
	k := kr.Current()
	seed := k.Private.Bytes()
	out := fmt.Sprintf("%v %+v %#v %v %+v %v %s %+v %#v", kr, kr, kr, *k, k, *k.Private, k.Private, kr.Keys(), *k.Private)
	for _, secret := range []string{fmt.Sprint(seed), fmt.Sprintf("%x", seed[:8]), base64.StdEncoding.EncodeToString(seed)[:12]} {
		if strings.Contains(out, secret) {
			t.Fatalf("formatting shows key material: %s", out)
		}
	}
}

func TestRetire(t *testing.T) {
	kr := threeKeys(t)
	ids := kr.IDs()
	tests := []struct {
		name    string
		id      string
		want    []string
		wantErr string
	}{
		{"the oldest", ids[0], ids[1:], ""},
		{"a middle one", ids[1], []string{ids[0], ids[2]}, ""},
		{"the current key", ids[2], nil, "is the current key"},
		{"an unknown key", "0123456789abcdef", nil, "is not in the keyring"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := kr.Retire(tt.id)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Retire = %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got.IDs()); diff != "" {
				t.Errorf("IDs (-want +got):\n%s", diff)
			}
			if _, ok := got.PrivateKey(tt.id); ok {
				t.Error("the retired key still opens")
			}
			if got.VersionKey() != kr.VersionKey() || got.Current().Private.ID() != ids[2] {
				t.Error("Retire changed the version key or the current key")
			}
			if kr.Len() != 3 {
				t.Error("Retire changed its receiver")
			}
		})
	}
}

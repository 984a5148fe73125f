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
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// keySet is the simplest KeyLookup.
type keySet map[string]*PrivateKey

func (s keySet) PrivateKey(id string) (*PrivateKey, bool) {
	k, ok := s[id]
	return k, ok
}

func keysOf(keys ...*PrivateKey) keySet {
	s := keySet{}
	for _, k := range keys {
		s[k.ID()] = k
	}
	return s
}

func mustKey(t testing.TB) *PrivateKey {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustSeal(t testing.TB, pub *PublicKey, scope Scope, pt []byte) string {
	t.Helper()
	env, err := Seal(pub, scope, pt)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return env
}

var testScope = Scope{Namespace: "team-a", Name: "db-password"}

// canary is a plaintext that must never show up in an error.
var canary = []byte("canary-7f3e9b1c-do-not-leak")

// checkErrorText asserts an error is one line and holds neither the value
// nor the envelope's ciphertext.
func checkErrorText(t *testing.T, err error, plaintext []byte, envelope string) {
	t.Helper()
	msg := err.Error()
	if strings.ContainsAny(msg, "\n\r") {
		t.Errorf("error is not one line: %q", msg)
	}
	if len(plaintext) > 0 && strings.Contains(msg, string(plaintext)) {
		t.Errorf("error %q contains the plaintext", msg)
	}
	if _, _, body, ok := cut3(envelope); ok && len(body) >= 8 && strings.Contains(msg, body[:8]) {
		t.Errorf("error %q contains ciphertext", msg)
	}
}

func cut3(s string) (a, b, c string, ok bool) {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) != 3 {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

func TestMaxEnvelopeLength(t *testing.T) {
	if MaxPlaintextSize != 131069 {
		t.Errorf("MaxPlaintextSize = %d, want 131069 (limits.MaxValue)", MaxPlaintextSize)
	}
	// v1: + 16 hex + : + base64 of (the limit + 1120 + 16) bytes.
	if want := 3 + 16 + 1 + base64.StdEncoding.EncodedLen(MaxPlaintextSize+1120+16); maxSingleEnvelopeLength != want {
		t.Errorf("maxSingleEnvelopeLength = %d, want %d", maxSingleEnvelopeLength, want)
	}
	// v2: + 8 IDs joined by ',' + : + base64 of (12 + 8 stanzas of 1120+32+16 + the limit + 16) bytes.
	if want := 3 + 8*16 + 7 + 1 + base64.StdEncoding.EncodedLen(12+8*(1120+32+16)+MaxPlaintextSize+16); maxMultiEnvelopeLength < want || maxMultiEnvelopeLength > want+1 {
		t.Errorf("maxMultiEnvelopeLength = %d, want %d (the header bound may count one separator more)", maxMultiEnvelopeLength, want)
	}
	if MaxEnvelopeLength != maxMultiEnvelopeLength {
		t.Errorf("MaxEnvelopeLength = %d, want the v2 bound %d", MaxEnvelopeLength, maxMultiEnvelopeLength)
	}
	if MaxEnvelopeLength != 187395 {
		t.Errorf("MaxEnvelopeLength = %d; the CRD's maxLength must change with it", MaxEnvelopeLength)
	}
	// Parsing reaches the envelope of a Kubernetes Secret's 1 MiB to 8
	// recipients, the limit before, so older values are named, not malformed.
	if want := 3 + 8*16 + 7 + 1 + base64.StdEncoding.EncodedLen(12+8*(1120+32+16)+1<<20+16); MaxOpenLength != want || MaxOpenLength != 1410739 {
		t.Errorf("MaxOpenLength = %d, want %d = 1410739", MaxOpenLength, want)
	}
}

// A value sealed before the limit was MaxPlaintextSize (up to 1 MiB) still
// parses and opens, so the operator can say how long it is.
func TestOpensAnOlderLongerValue(t *testing.T) {
	key := mustKey(t)
	for _, size := range []int{MaxPlaintextSize + 1, 1 << 20} {
		pt := bytes.Repeat([]byte{0x5a}, size)
		env := sealUnchecked(t, []*PublicKey{key.Public()}, pt)
		if size == 1<<20 && len(env) != 3+16+1+base64.StdEncoding.EncodedLen(12+1168+1<<20+16) {
			t.Fatalf("len(envelope) = %d", len(env))
		}
		got, err := Open(keysOf(key), testScope, env)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("Open(%d-byte value) = %d bytes, %v", size, len(got), err)
		}
	}
	if _, err := ParseEnvelope("v1:" + key.ID() + ":" + strings.Repeat("A", MaxOpenLength)); !errors.Is(err, ErrMalformed) {
		t.Errorf("ParseEnvelope(longer than MaxOpenLength) = %v, want ErrMalformed", err)
	}
}

// sealUnchecked seals a v2 envelope of any size, as an older CLI or
// another tool could: SealTo without the size check.
func sealUnchecked(t testing.TB, pubs []*PublicKey, plaintext []byte) string {
	t.Helper()
	dataKey := bytes.Repeat([]byte{7}, dataKeySize)
	m := &multi{}
	for _, pub := range pubs {
		stanza, err := wrap(pub, testScope, dataKey)
		if err != nil {
			t.Fatal(err)
		}
		m.keyIDs = append(m.keyIDs, pub.id)
		m.stanzas = append(m.stanzas, stanza)
	}
	if err := m.encryptBody(testScope, dataKey, plaintext); err != nil {
		t.Fatal(err)
	}
	return m.String()
}

func TestRoundTrip(t *testing.T) {
	key := mustKey(t)
	keys := keysOf(key)
	tests := []struct {
		name string
		size int
	}{
		{"empty", 0},
		{"one byte", 1},
		{"64 KiB", 64 << 10},
		{"max", MaxPlaintextSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pt := bytes.Repeat([]byte{0xa5}, tt.size)
			env := mustSeal(t, key.Public(), testScope, pt)
			if tt.size == MaxPlaintextSize && len(env) != maxSingleEnvelopeLength {
				t.Errorf("len(envelope) = %d, want maxSingleEnvelopeLength %d", len(env), maxSingleEnvelopeLength)
			}
			if len(env) > MaxEnvelopeLength {
				t.Errorf("len(envelope) = %d > MaxEnvelopeLength", len(env))
			}
			parsed, err := ParseEnvelope(env)
			if err != nil {
				t.Fatalf("ParseEnvelope: %v", err)
			}
			if parsed.Version != "v1" || len(parsed.KeyIDs) != 1 || parsed.KeyIDs[0] != key.ID() {
				t.Errorf("parsed header = %s:%v, want v1:%s", parsed.Version, parsed.KeyIDs, key.ID())
			}
			if parsed.String() != env {
				t.Error("Envelope.String does not give the envelope back")
			}
			got, err := Open(keys, testScope, env)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, pt) {
				t.Errorf("Open returned %d bytes, want the %d sealed", len(got), len(pt))
			}
		})
	}
}

func TestSealTooLarge(t *testing.T) {
	key := mustKey(t)
	_, err := Seal(key.Public(), testScope, make([]byte, MaxPlaintextSize+1))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Seal(MaxPlaintextSize+1) = %v, want ErrTooLarge", err)
	}
	want := "value is 131070 bytes, more than the 131069-byte limit of a value (what one environment variable can carry)"
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if Reason(err) != "TooLarge" {
		t.Errorf("Reason = %q", Reason(err))
	}
}

func TestSealInvalid(t *testing.T) {
	key := mustKey(t)
	if _, err := Seal(nil, testScope, canary); err == nil {
		t.Error("Seal with nil key succeeded")
	}
	for _, s := range []Scope{{}, {Namespace: "a"}, {Name: "b"}, {Namespace: "a\x00b", Name: "c"}, {Namespace: "a", Name: "b\x00"}} {
		if _, err := Seal(key.Public(), s, canary); !errors.Is(err, ErrInvalidScope) {
			t.Errorf("Seal(scope %q) = %v, want ErrInvalidScope", s, err)
		}
	}
}

func TestOpenScope(t *testing.T) {
	key := mustKey(t)
	keys := keysOf(key)
	env := mustSeal(t, key.Public(), testScope, canary)
	tests := []struct {
		name  string
		scope Scope
		want  error
	}{
		{"same", testScope, nil},
		{"other name", Scope{Namespace: "team-a", Name: "db-password2"}, ErrTampered},
		{"other namespace", Scope{Namespace: "team-b", Name: "db-password"}, ErrTampered},
		{"swapped", Scope{Namespace: "db-password", Name: "team-a"}, ErrTampered},
		// Without the separator these would collide.
		{"shifted boundary", Scope{Namespace: "team-adb", Name: "-password"}, ErrTampered},
		{"empty name", Scope{Namespace: "team-a"}, ErrInvalidScope},
		{"NUL in name", Scope{Namespace: "team-a", Name: "db\x00password"}, ErrInvalidScope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Open(keys, tt.scope, env)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Open = %v, want %v", err, tt.want)
			}
			if err != nil {
				if got != nil {
					t.Error("Open returned bytes with an error")
				}
				checkErrorText(t, err, canary, env)
				if tt.want == ErrTampered && !strings.Contains(err.Error(), key.ID()) {
					t.Errorf("error %q does not name the key", err)
				}
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	key, other := mustKey(t), mustKey(t)
	env := mustSeal(t, key.Public(), testScope, canary)
	_, _, body, _ := cut3(env)
	parsed, err := ParseEnvelope(env)
	if err != nil {
		t.Fatal(err)
	}
	parsed.Ciphertext = append(parsed.Ciphertext, 0)
	extended := parsed.String()
	tests := []struct {
		name       string
		keys       KeyLookup
		envelope   string
		want       error
		wantReason string
	}{
		{"unknown key", keysOf(other), env, ErrKeyNotFound, "KeyNotFound"},
		{"nil keyring", nil, env, ErrKeyNotFound, "KeyNotFound"},
		{"lookup returns wrong key", keySet{key.ID(): other}, env, ErrKeyNotFound, "KeyNotFound"},
		{"version v3", keysOf(key), "v3:" + key.ID() + ":" + body, ErrUnknownVersion, "UnknownVersion"},
		{"v2 too short for its stanza", keysOf(key), "v2:" + key.ID() + ":" + body, ErrMalformed, "Malformed"},
		{"version v0", keysOf(key), "v0:" + key.ID() + ":" + body, ErrUnknownVersion, "UnknownVersion"},
		{"no version", keysOf(key), key.ID() + ":" + body, ErrMalformed, "Malformed"},
		{"sealed to other key, named as ours", keysOf(key), "v1:" + key.ID() + ":" + bodyOf(t, mustSeal(t, other.Public(), testScope, canary)), ErrTampered, "Tampered"},
		{"truncated", keysOf(key), env[:len(env)-4], ErrTampered, "Tampered"},
		{"extended", keysOf(key), extended, ErrTampered, "Tampered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Open(tt.keys, testScope, tt.envelope)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open = %v, want %v", err, tt.want)
			}
			if got != nil {
				t.Error("Open returned bytes with an error")
			}
			if r := Reason(err); r != tt.wantReason {
				t.Errorf("Reason = %q, want %q", r, tt.wantReason)
			}
			checkErrorText(t, err, canary, tt.envelope)
			if tt.want == ErrKeyNotFound && !strings.Contains(err.Error(), key.ID()) {
				t.Errorf("error %q does not name the key", err)
			}
		})
	}
}

func bodyOf(t *testing.T, env string) string {
	t.Helper()
	_, _, body, ok := cut3(env)
	if !ok {
		t.Fatalf("not an envelope")
	}
	return body
}

// TestFlipEveryByte alters each byte of a small envelope, and each byte of
// its decoded ciphertext: none of it may open.
func TestFlipEveryByte(t *testing.T) {
	key := mustKey(t)
	keys := keysOf(key)
	env := mustSeal(t, key.Public(), testScope, canary)
	header := len(env) - len(bodyOf(t, env))

	check := func(t *testing.T, what string, s string, wantTampered bool) {
		t.Helper()
		got, err := Open(keys, testScope, s)
		if err == nil {
			t.Fatalf("%s: opened", what)
		}
		if got != nil {
			t.Fatalf("%s: returned bytes with error %v", what, err)
		}
		if wantTampered && !errors.Is(err, ErrTampered) {
			t.Fatalf("%s: err = %v, want ErrTampered", what, err)
		}
		switch Reason(err) {
		case "Malformed", "UnknownVersion", "KeyNotFound", "Tampered":
		default:
			t.Fatalf("%s: err = %v has reason %q", what, err, Reason(err))
		}
		// Past the header, a flip is either bad base64 or a failed open.
		if i := strings.IndexByte(what, '@'); i >= 0 && atoi(what[i+1:]) >= header &&
			!errors.Is(err, ErrTampered) && !errors.Is(err, ErrMalformed) {
			t.Fatalf("%s: err = %v, want ErrTampered or ErrMalformed", what, err)
		}
		checkErrorText(t, err, canary, env)
	}

	t.Run("text", func(t *testing.T) {
		b := []byte(env)
		for i := range b {
			for _, mask := range []byte{0x01, 0x20, 0x80} {
				orig := b[i]
				b[i] ^= mask
				check(t, "text byte @"+strconv.Itoa(i), string(b), false)
				b[i] = orig
			}
		}
	})
	t.Run("ciphertext", func(t *testing.T) {
		parsed, err := ParseEnvelope(env)
		if err != nil {
			t.Fatal(err)
		}
		ct := parsed.Ciphertext
		for i := range ct {
			for _, mask := range []byte{0x01, 0x80} {
				ct[i] ^= mask
				check(t, "ciphertext byte "+strconv.Itoa(i), parsed.String(), true)
				ct[i] ^= mask
			}
		}
	})
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func TestParseEnvelope(t *testing.T) {
	key := mustKey(t)
	env := mustSeal(t, key.Public(), testScope, nil)
	want, err := ParseEnvelope(env)
	if err != nil {
		t.Fatal(err)
	}
	body := bodyOf(t, env)
	id := key.ID()
	minBody := base64.StdEncoding.EncodeToString(make([]byte, 1136))
	shortBody := base64.StdEncoding.EncodeToString(make([]byte, 1135))
	// A body whose last character carries non-zero padding bits.
	loose := []byte(base64.StdEncoding.EncodeToString(make([]byte, 1138)))
	loose[len(loose)-3] = 'B'

	tests := []struct {
		name  string
		in    string
		want  Envelope
		error error
	}{
		{"valid", env, want, nil},
		{"minimum", "v1:" + id + ":" + minBody, Envelope{Version: "v1", KeyIDs: []string{id}, Ciphertext: make([]byte, 1136)}, nil},
		{"empty", "", Envelope{}, ErrMalformed},
		{"version only", "v1", Envelope{}, ErrMalformed},
		{"two parts", "v1:" + id, Envelope{}, ErrMalformed},
		{"empty parts", "v1::", Envelope{}, ErrMalformed},
		{"four parts", env + ":", Envelope{}, ErrMalformed},
		{"colon in body", "v1:" + id + ":" + body[:8] + ":" + body[8:], Envelope{}, ErrMalformed},
		{"v3", "v3:" + id + ":" + body, Envelope{Version: "v3"}, ErrUnknownVersion},
		{"v3 with any body", "v3:whatever", Envelope{Version: "v3"}, ErrUnknownVersion},
		{"v2 with one part", "v2:whatever", Envelope{}, ErrMalformed},
		{"v2 too short", "v2:" + id + ":" + body, Envelope{}, ErrMalformed},
		{"v10", "v10:" + id + ":" + body, Envelope{Version: "v10"}, ErrUnknownVersion},
		{"uppercase V", "V1:" + id + ":" + body, Envelope{}, ErrMalformed},
		{"v alone", "v:" + id + ":" + body, Envelope{}, ErrMalformed},
		{"v1a", "v1a:" + id + ":" + body, Envelope{}, ErrMalformed},
		{"v+1", "v+1:" + id + ":" + body, Envelope{}, ErrMalformed},
		{"version too long", "v1234567890:" + id + ":" + body, Envelope{}, ErrMalformed},
		{"leading space", " " + env, Envelope{}, ErrMalformed},
		{"trailing newline", env + "\n", Envelope{}, ErrMalformed},
		{"newline in body", "v1:" + id + ":" + body[:76] + "\n" + body[76:], Envelope{}, ErrMalformed},
		{"CRLF in body", "v1:" + id + ":" + body[:76] + "\r\n" + body[76:], Envelope{}, ErrMalformed},
		{"uppercase key ID", "v1:" + strings.ToUpper(id) + ":" + body, Envelope{}, ErrMalformed},
		{"short key ID", "v1:" + id[:15] + ":" + body, Envelope{}, ErrMalformed},
		{"long key ID", "v1:" + id + "0:" + body, Envelope{}, ErrMalformed},
		{"non-hex key ID", "v1:" + "g" + id[1:] + ":" + body, Envelope{}, ErrMalformed},
		{"unpadded", "v1:" + id + ":" + strings.TrimRight(base64.StdEncoding.EncodeToString(make([]byte, 1138)), "="), Envelope{}, ErrMalformed},
		{"non-canonical padding bits", "v1:" + id + ":" + string(loose), Envelope{}, ErrMalformed},
		{"URL alphabet", "v1:" + id + ":" + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 1137)), Envelope{}, ErrMalformed},
		{"short ciphertext", "v1:" + id + ":" + shortBody, Envelope{}, ErrMalformed},
		{"empty body", "v1:" + id + ":", Envelope{}, ErrMalformed},
		{"too long", "v1:" + id + ":" + strings.Repeat("A", MaxOpenLength), Envelope{}, ErrMalformed},
		{"not UTF-8", "v1:" + id + ":\xff" + body[1:], Envelope{}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseEnvelope(tt.in)
			if !errors.Is(err, tt.error) || (tt.error == nil) != (err == nil) {
				t.Fatalf("ParseEnvelope = %v, want %v", err, tt.error)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseEnvelope (-want +got):\n%s", diff)
			}
			if err != nil {
				checkErrorText(t, err, nil, tt.in)
				return
			}
			if got.String() != tt.in {
				t.Error("String does not give the input back")
			}
		})
	}
}

func TestReason(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{ErrMalformed, "Malformed"},
		{malformed("x"), "Malformed"},
		{ErrUnknownVersion, "UnknownVersion"},
		{ErrKeyNotFound, "KeyNotFound"},
		{ErrTampered, "Tampered"},
		{errors.Join(errors.New("context"), ErrTampered), "Tampered"},
		{ErrTooLarge, "TooLarge"},
		{ErrInvalidScope, "InvalidScope"},
		{errors.New("other"), ""},
	}
	for _, tt := range tests {
		if got := Reason(tt.err); got != tt.want {
			t.Errorf("Reason(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestKeys(t *testing.T) {
	key := mustKey(t)
	id := key.ID()

	// The ID is defined independently of the code under test.
	h := sha256.New()
	h.Write([]byte{0x64, 0x7a}) // MLKEM768-X25519
	h.Write(key.Public().Bytes())
	if want := hex.EncodeToString(h.Sum(nil)[:8]); id != want {
		t.Errorf("ID = %s, want %s", id, want)
	}
	if !ValidKeyID(id) {
		t.Errorf("ID %q is not 16 lowercase hex", id)
	}
	if key.Public().ID() != id {
		t.Error("public and private IDs differ")
	}
	if got := len(key.Bytes()); got != PrivateKeySize {
		t.Errorf("len(Bytes) = %d", got)
	}
	if got := len(key.Public().Bytes()); got != PublicKeySize {
		t.Errorf("len(Public().Bytes) = %d", got)
	}

	again, err := ParsePrivateKey(key.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if again.ID() != id || !bytes.Equal(again.Bytes(), key.Bytes()) {
		t.Error("ParsePrivateKey(Bytes) is another key")
	}
	pub, err := ParsePublicKey(key.Public().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if pub.ID() != id || !pub.Equal(key.Public()) {
		t.Error("ParsePublicKey(Bytes) is another key")
	}
	// Sealed to the parsed public key, opened with the parsed private key.
	got, err := Open(keysOf(again), testScope, mustSeal(t, pub, testScope, canary))
	if err != nil || !bytes.Equal(got, canary) {
		t.Errorf("Open = %q, %v", got, err)
	}

	// Bytes returns copies.
	b := key.Bytes()
	b[0] ^= 1
	if bytes.Equal(b, key.Bytes()) {
		t.Error("PrivateKey.Bytes returns its own slice")
	}

	for _, n := range []int{0, 31, 33, 64} {
		if _, err := ParsePrivateKey(make([]byte, n)); err == nil {
			t.Errorf("ParsePrivateKey(%d bytes) succeeded", n)
		}
	}
	for _, n := range []int{0, 32, PublicKeySize - 1, PublicKeySize + 1} {
		if _, err := ParsePublicKey(make([]byte, n)); err == nil {
			t.Errorf("ParsePublicKey(%d bytes) succeeded", n)
		}
	}
}

func TestPublicKeysPEM(t *testing.T) {
	k1, k2, k3 := mustKey(t), mustKey(t), mustKey(t)
	pubs := []*PublicKey{k1.Public(), k2.Public(), k3.Public()}
	data := EncodePublicKeysPEM(pubs)
	if !strings.Contains(string(data), "Key-Id: "+k1.ID()+"\n") || !strings.Contains(string(data), "Suite: "+Suite+"\n") {
		t.Errorf("PEM lacks headers:\n%s", data[:200])
	}
	one := string(EncodePublicKeysPEM(pubs[:1]))
	ids := func(keys []*PublicKey) []string {
		var out []string
		for _, k := range keys {
			out = append(out, k.ID())
		}
		return out
	}

	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{"three, in order", string(data), []string{k1.ID(), k2.ID(), k3.ID()}, ""},
		{"one", one, []string{k1.ID()}, ""},
		{"text around", "# public keys\n" + one + "\ntrailer\n", []string{k1.ID()}, ""},
		{"empty", "", nil, "no"},
		{"not PEM", "hello", nil, "no"},
		{"wrong type", strings.ReplaceAll(one, PEMBlockType, "PUBLIC KEY"), nil, "is a"},
		{"wrong Key-Id", strings.Replace(one, k1.ID(), k2.ID(), 1), nil, "Key-Id"},
		{"no Key-Id", strings.Replace(one, "Key-Id: "+k1.ID()+"\n", "", 1), nil, "Key-Id"},
		{"wrong suite", strings.Replace(one, Suite, "DHKEM-X25519", 1), nil, "suite"},
		{"no suite", strings.Replace(one, "Suite: "+Suite+"\n", "", 1), nil, "suite"},
		{"repeated", one + one, nil, "repeats"},
		{"short key", string(pem.EncodeToMemory(&pem.Block{Type: PEMBlockType, Headers: map[string]string{"Key-Id": k1.ID(), "Suite": Suite}, Bytes: k1.Public().Bytes()[:100]})), nil, "bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePublicKeysPEM([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, ids(got)); diff != "" {
				t.Errorf("IDs (-want +got):\n%s", diff)
			}
			for i, k := range got {
				if !k.Equal(pubs[i]) {
					t.Errorf("key %d differs", i)
				}
			}
		})
	}
}

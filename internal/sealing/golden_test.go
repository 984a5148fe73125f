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
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.json (go test -run TestGolden -update)")

const goldenPath = "testdata/golden.json"

// golden pins the envelope format: a fixed key and envelopes made by an
// earlier build must keep opening (or failing) the same way.
type golden struct {
	Comment string `json:"comment"`
	Suite   string `json:"suite"`
	// PrivateKeySeed is the hex seed of the key every vector is sealed to.
	PrivateKeySeed string `json:"privateKeySeed"`
	KeyID          string `json:"keyID"`
	// PublicKey pins the derivation of the public key from the seed.
	PublicKey string `json:"publicKey"`
	// SecondPrivateKeySeed is a second recipient of the v2 vectors.
	SecondPrivateKeySeed string         `json:"secondPrivateKeySeed"`
	SecondKeyID          string         `json:"secondKeyID"`
	Vectors              []goldenVector `json:"vectors"`
}

type goldenVector struct {
	Comment   string `json:"comment"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Envelope  string `json:"envelope"`
	// Plaintext is what Open returns when WantReason is empty.
	Plaintext []byte `json:"plaintext"`
	// WantReason is Reason(err) of Open, "" when the vector opens.
	WantReason string `json:"wantReason"`
	// Keyring lists the keys Open has: "first" (the default), "second".
	Keyring []string `json:"keyring,omitempty"`
}

// keyringOf is the keys a vector opens with.
func (v goldenVector) keyringOf(first, second *PrivateKey) keySet {
	if len(v.Keyring) == 0 {
		return keysOf(first)
	}
	s := keySet{}
	for _, name := range v.Keyring {
		k := first
		if name == "second" {
			k = second
		}
		s[k.ID()] = k
	}
	return s
}

func loadGolden(t testing.TB) (golden, *PrivateKey) {
	t.Helper()
	data, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	seed, err := hex.DecodeString(g.PrivateKeySeed)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ParsePrivateKey(seed)
	if err != nil {
		t.Fatal(err)
	}
	return g, key
}

func TestGolden(t *testing.T) {
	if *update {
		writeGolden(t)
	}
	g, key := loadGolden(t)
	if g.Suite != Suite {
		t.Errorf("suite = %q, want %q", g.Suite, Suite)
	}
	if key.ID() != g.KeyID {
		t.Errorf("key ID = %s, want %s", key.ID(), g.KeyID)
	}
	if got := hex.EncodeToString(key.Public().Bytes()); got != g.PublicKey {
		t.Error("the public key derived from the seed changed")
	}
	if len(g.Vectors) < 5 {
		t.Fatalf("only %d vectors", len(g.Vectors))
	}
	seed2, err := hex.DecodeString(g.SecondPrivateKeySeed)
	if err != nil {
		t.Fatal(err)
	}
	second, err := ParsePrivateKey(seed2)
	if err != nil || second.ID() != g.SecondKeyID {
		t.Fatalf("second key: %v, ID %v, want %s", err, second, g.SecondKeyID)
	}
	versions := map[string]int{}
	for _, v := range g.Vectors {
		versions[v.Envelope[:2]]++
		t.Run(v.Comment, func(t *testing.T) {
			got, err := Open(v.keyringOf(key, second), Scope{Namespace: v.Namespace, Name: v.Name}, v.Envelope)
			if r := Reason(err); r != v.WantReason {
				t.Fatalf("Open: reason %q (%v), want %q", r, err, v.WantReason)
			}
			if err == nil && !bytes.Equal(got, v.Plaintext) {
				t.Errorf("Open = %q, want %q", got, v.Plaintext)
			}
		})
	}
	if versions["v1"] < 5 || versions["v2"] < 5 {
		t.Errorf("vectors per version: %v, want at least 5 of v1 and of v2", versions)
	}
}

// addV2Vectors appends the v2 vectors: sealed to first and second.
func addV2Vectors(t *testing.T, g *golden, first, second *PrivateKey, other *PrivateKey) {
	seal := func(pubs []*PublicKey, ns, name string, pt []byte) string {
		env, err := SealTo(pubs, Scope{Namespace: ns, Name: name}, pt)
		if err != nil {
			t.Fatal(err)
		}
		return env
	}
	add := func(comment, ns, name, env string, pt []byte, reason string, keyring ...string) {
		g.Vectors = append(g.Vectors, goldenVector{Comment: comment, Namespace: ns, Name: name, Envelope: env, Plaintext: pt, WantReason: reason, Keyring: keyring})
	}
	both := []*PublicKey{first.Public(), second.Public()}
	shared := seal(both, "team-a", "shared", []byte("for two clusters"))
	add("v2 to two keys, opened by the first", "team-a", "shared", shared, []byte("for two clusters"), "", "first")
	add("v2 to two keys, opened by the second", "team-a", "shared", shared, []byte("for two clusters"), "", "second")
	add("v2 empty value", "default", "empty-v2", seal(both, "default", "empty-v2", nil), []byte{}, "")
	add("v2 to one key", "team-a", "one", seal([]*PublicKey{first.Public()}, "team-a", "one", []byte("one")), []byte("one"), "")
	add("v2 moved to another name", "team-a", "shared-copy", shared, nil, "Tampered")
	add("v2 moved to another namespace", "team-b", "shared", shared, nil, "Tampered", "second")
	add("v2 sealed to keys not in the keyring", "team-a", "lost-v2", seal([]*PublicKey{other.Public()}, "team-a", "lost-v2", []byte("lost")), nil, "KeyNotFound")
	env, err := ParseEnvelope(shared)
	if err != nil {
		t.Fatal(err)
	}
	env.KeyIDs[0], env.KeyIDs[1] = env.KeyIDs[1], env.KeyIDs[0]
	add("v2 with its key IDs swapped", "team-a", "shared", env.String(), nil, "Tampered", "first", "second")
}

// writeGolden seals fresh vectors to a key derived from a fixed label, so
// regenerating keeps the key and only the (randomized) envelopes change.
func writeGolden(t *testing.T) {
	seed := sha256.Sum256([]byte("lightning-operator sealing golden key v1"))
	key, err := ParsePrivateKey(seed[:])
	if err != nil {
		t.Fatal(err)
	}
	other := mustKey(t) // its seed is not kept: its vectors must not open.
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	seal := func(pub *PublicKey, ns, name string, pt []byte) string {
		return mustSeal(t, pub, Scope{Namespace: ns, Name: name}, pt)
	}
	g := golden{
		Comment:        "Golden vectors of the v1 and v2 sealed-value envelopes. Regenerate with: go test ./internal/sealing -run TestGolden -update",
		Suite:          Suite,
		PrivateKeySeed: hex.EncodeToString(seed[:]),
		KeyID:          key.ID(),
		PublicKey:      hex.EncodeToString(key.Public().Bytes()),
	}
	add := func(comment, ns, name, env string, pt []byte, reason string) {
		g.Vectors = append(g.Vectors, goldenVector{Comment: comment, Namespace: ns, Name: name, Envelope: env, Plaintext: pt, WantReason: reason})
	}
	add("empty value", "default", "empty", seal(key.Public(), "default", "empty", nil), []byte{}, "")
	add("text value", "team-a", "db-password", seal(key.Public(), "team-a", "db-password", []byte("hunter2")), []byte("hunter2"), "")
	add("multi-line value", "team-a", "tls-key", seal(key.Public(), "team-a", "tls-key", []byte("line 1\nline 2\n")), []byte("line 1\nline 2\n"), "")
	add("binary value", "ml-platform", "weights-token", seal(key.Public(), "ml-platform", "weights-token", binary), binary, "")
	moved := seal(key.Public(), "team-a", "api-token", []byte("moved"))
	add("sealed for api-token", "team-a", "api-token", moved, []byte("moved"), "")
	add("moved to another name", "team-a", "api-token-copy", moved, nil, "Tampered")
	add("moved to another namespace", "team-b", "api-token", moved, nil, "Tampered")
	add("sealed to a key not in the keyring", "team-a", "lost", seal(other.Public(), "team-a", "lost", []byte("lost")), nil, "KeyNotFound")
	add("future version", "team-a", "future", "v3:"+key.ID()+":"+bodyOf(t, moved), nil, "UnknownVersion")
	add("malformed", "team-a", "broken", "v1:"+key.ID()+":AAAA", nil, "Malformed")
	seed2 := sha256.Sum256([]byte("lightning-operator sealing golden key v2 second"))
	second, err := ParsePrivateKey(seed2[:])
	if err != nil {
		t.Fatal(err)
	}
	g.SecondPrivateKeySeed, g.SecondKeyID = hex.EncodeToString(seed2[:]), second.ID()
	addV2Vectors(t, &g, key, second, other)

	data, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(goldenPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(goldenPath, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", goldenPath)
}

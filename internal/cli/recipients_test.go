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

package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

// pubFile writes keys as a PEM file, as 'cert' and 'recovery-key generate' do.
func pubFile(t interface{ Fatal(...any) }, dir, name string, keys ...*sealing.PublicKey) string {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, sealing.EncodePublicKeysPEM(keys), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func newKey(t interface{ Fatal(...any) }) *sealing.PrivateKey {
	k, err := sealing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	registerSeed(k.Bytes())
	return k
}

// envelopeIDs are the recipients a printed manifest's envelope names.
func envelopeIDs(t *testing.T, out string) []string {
	t.Helper()
	env, err := sealing.ParseEnvelope(decodeSecret(t, out).Spec.EncryptedValue)
	if err != nil {
		t.Fatal(err)
	}
	return env.KeyIDs
}

// TestSecretCreateRecipients: which keys a value is sealed to offline, in
// which order, said on stderr; every recipient opens it.
func TestSecretCreateRecipients(t *testing.T) {
	dir := t.TempDir()
	a := newRing(t, 2) // the last key is current
	b := newRing(t, 1)
	aPEM := filepath.Join(dir, "a.pem")
	if err := os.WriteFile(aPEM, []byte(a.PublicData()[keyring.PublicKeysPEM]), 0o644); err != nil {
		t.Fatal(err)
	}
	bPEM := pubFile(t, dir, "b.pem", b.Current().Private.Public())
	rec := newKey(t)
	recPEM := pubFile(t, dir, "recovery.pub", rec.Public())
	extra1, extra2 := newKey(t), newKey(t)
	twoPEM := pubFile(t, dir, "two.pub", extra1.Public(), extra2.Public())
	aID, bID := a.Current().Private.ID(), b.Current().Private.ID()

	tests := []struct {
		name string
		args []string
		want []string
	}{
		{name: "one --cert: its current key", args: []string{"--cert", aPEM}, want: []string{aID}},
		{name: "two clusters", args: []string{"--cert", aPEM, "--cert", bPEM}, want: []string{aID, bID}},
		{name: "the order of the flags", args: []string{"--cert", bPEM, "--cert", aPEM}, want: []string{bID, aID}},
		{name: "a recovery key", args: []string{"--cert", aPEM, "--recipient", recPEM}, want: []string{aID, rec.ID()}},
		{name: "--recipient before --cert: certs come first", args: []string{"--recipient", recPEM, "--cert", aPEM}, want: []string{aID, rec.ID()}},
		{name: "every key of a --recipient file", args: []string{"--cert", aPEM, "--recipient", twoPEM}, want: []string{aID, extra1.ID(), extra2.ID()}},
		{name: "a key given twice is sealed to once", args: []string{"--cert", aPEM, "--cert", bPEM, "--cert", aPEM, "--recipient", bPEM},
			want: []string{aID, bID}},
	}
	const value = "canary-multi-7e1f-never-print"
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(invocation{stdin: value}, append([]string{"secret", "create", "shared", "-n", "alice"}, tc.args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if strings.Contains(r.stdout+r.stderr, value) {
				t.Fatal("the output holds the value")
			}
			if kr, leaked := leaksMaterial(r.stdout + r.stderr); leaked || leaksSeed(r.stdout+r.stderr) {
				t.Fatalf("the output holds key material (%s)", kr)
			}
			if diff := cmp.Diff(tc.want, envelopeIDs(t, r.stdout)); diff != "" {
				t.Errorf("recipients (-want +got):\n%s", diff)
			}
			word := "keys"
			if len(tc.want) == 1 {
				word = "key"
			}
			if want := "Sealed to " + word + " " + strings.Join(tc.want, ", ") + "\n"; r.stderr != want {
				t.Errorf("stderr = %q, want %q", r.stderr, want)
			}
			envelope := decodeSecret(t, r.stdout).Spec.EncryptedValue
			scope := sealing.Scope{Namespace: "alice", Name: "shared"}
			for _, lookup := range []sealing.KeyLookup{a, b, singleKey{rec}, singleKey{extra1}, singleKey{extra2}} {
				got, err := sealing.Open(lookup, scope, envelope)
				if !contains(tc.want, openerID(lookup)) {
					if err == nil {
						t.Errorf("opens with %s, which is not a recipient", openerID(lookup))
					}
					continue
				}
				if err != nil || string(got) != value {
					t.Errorf("does not open with %s: %v", openerID(lookup), err)
				}
			}
		})
	}

	t.Run("more than 8 recipients", func(t *testing.T) {
		args := []string{"secret", "create", "shared", "-n", "alice", "--cert", aPEM}
		var ids []string
		ids = append(ids, aID)
		for i := 0; i < 8; i++ {
			k := newKey(t)
			ids = append(ids, k.ID())
			args = append(args, "--recipient", pubFile(t, dir, "r"+string(rune('0'+i))+".pub", k.Public()))
		}
		r := runCLI(invocation{stdin: value}, args...)
		want := "error: the value would be sealed to 9 keys (" + strings.Join(ids, ", ") + "), more than the 8 a sealed value holds: give fewer --cert or --recipient files\n"
		if r.code != 1 || r.stdout != "" || r.stderr != want {
			t.Errorf("exit %d, stdout %q, stderr %q; want %q", r.code, r.stdout, r.stderr, want)
		}
	})

	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "recovery.key")
	if r := runCLI(invocation{}, "recovery-key", "generate", "-f", keyFile); r.code != 0 {
		t.Fatal(r.stderr)
	}
	readRecoveryFile(t, keyFile)
	errs := []struct {
		name, want string
		args       []string
	}{
		{name: "--recipient not PEM", args: []string{"--cert", aPEM, "--recipient", notPEM},
			want: `--recipient ` + notPEM + `: sealing: no "LIGHTNING SEALING PUBLIC KEY" PEM block found`},
		{name: "--recipient missing", args: []string{"--cert", aPEM, "--recipient", filepath.Join(dir, "nope.pub")},
			want: "reading --recipient: open " + filepath.Join(dir, "nope.pub") + ": no such file or directory"},
		{name: "the second --cert missing", args: []string{"--cert", aPEM, "--cert", filepath.Join(dir, "nope.pem")},
			want: "reading --cert: open " + filepath.Join(dir, "nope.pem") + ": no such file or directory"},
		{name: "a private key as --recipient", args: []string{"--cert", aPEM, "--recipient", keyFile},
			want: `--recipient ` + keyFile + `: sealing: PEM block 1 is a "LIGHTNING RECOVERY PRIVATE KEY", want "LIGHTNING SEALING PUBLIC KEY"`},
		{name: "--recipient against the cluster reaches for it", args: []string{"--recipient", recPEM},
			want: "reading the kubeconfig: no cluster in unit tests"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(invocation{stdin: value}, append([]string{"secret", "create", "shared", "-n", "alice"}, tc.args...)...)
			if r.code != 1 || r.stdout != "" {
				t.Errorf("exit %d, stdout %q", r.code, r.stdout)
			}
			if diff := cmp.Diff("error: "+tc.want+"\n", r.stderr); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
			if leaksSeed(r.stderr) {
				t.Error("the error holds the recovery key's seed")
			}
		})
	}
}

// singleKey opens with one key.
type singleKey struct{ k *sealing.PrivateKey }

func (s singleKey) PrivateKey(id string) (*sealing.PrivateKey, bool) {
	if id == s.k.ID() {
		return s.k, true
	}
	return nil, false
}

func openerID(l sealing.KeyLookup) string {
	switch l := l.(type) {
	case singleKey:
		return l.k.ID()
	case *keyring.Keyring:
		return l.Current().Private.ID()
	}
	return ""
}

func contains(ids []string, id string) bool {
	for _, i := range ids {
		if i == id {
			return true
		}
	}
	return false
}

var _ = Describe("secret create for several clusters", func() {
	It("seals once for the envtest cluster and a second, offline cluster; the value opens with each keyring", func() {
		const value = "CANARY-two-clusters-41c9-never-print"
		dir := GinkgoT().TempDir()
		// Cluster A is the envtest cluster: its public keys, saved by 'cert'.
		a := filepath.Join(dir, "cluster-a.pem")
		ok(klClean(invocation{}, nil, "cert", "-f", a))
		// Cluster B has no apiserver here: a keyring (two keys, the second current), offline.
		b := newRing(GinkgoT(), 2)
		bPEM := filepath.Join(dir, "cluster-b.pem")
		Expect(os.WriteFile(bPEM, []byte(b.PublicData()[keyring.PublicKeysPEM]), 0o644)).To(Succeed())

		ns := newNamespace()
		r := klClean(invocation{stdin: value}, []string{value}, "secret", "create", "shared", "-n", ns, "--cert", a, "--cert", bPEM, "--apply")
		Expect(ok(r)).To(Equal("lightningsecret.lightning.ai/shared created\n"))
		Expect(r.stderr).To(Equal("Sealed to keys " + ring.Current().Private.ID() + ", " + b.Current().Private.ID() + "\n"))
		env, err := sealing.ParseEnvelope(getSecret(ns, "shared").Spec.EncryptedValue)
		Expect(err).NotTo(HaveOccurred())
		Expect(env.Version).To(Equal(sealing.VersionMulti))
		Expect(env.KeyIDs).To(Equal([]string{ring.Current().Private.ID(), b.Current().Private.ID()}))
		expectClean(storedJSON(ns, "shared"), value)
		opens(ring, ns, "shared", value)
		opens(b, ns, "shared", value)

		By("B's older key is not a recipient: only each file's current key is")
		_, err = sealing.Open(keyringOf(b.Keys()[0].Private), sealing.Scope{Namespace: ns, Name: "shared"}, getSecret(ns, "shared").Spec.EncryptedValue)
		Expect(err).To(MatchError(sealing.ErrKeyNotFound))

		By("secret list -o wide shows both recipients")
		wide := rows(ok(klClean(invocation{}, nil, "secret", "list", "-n", ns, "-o", "wide")))
		Expect(wide[0][8]).To(Equal("RECIPIENTS")) // KEY ID and USED BY are two words each
		Expect(wide[1][6]).To(Equal(ring.Current().Private.ID() + "," + b.Current().Private.ID()))
	})
})

// keyringOf is a lookup of one key, as a keyring that holds only it.
func keyringOf(k *sealing.PrivateKey) sealing.KeyLookup { return singleKey{k} }

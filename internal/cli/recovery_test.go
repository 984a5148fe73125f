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
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
	"github.com/lightning-operator/lightning-operator/internal/cli/recovery"
	"github.com/lightning-operator/lightning-operator/internal/cli/secret"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

func TestRecoveryKeyGenerate(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "recovery.key")
	r := runCLI(invocation{}, "recovery-key", "generate", "-f", file)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	key := readRecoveryFile(t, file)
	want := "Wrote recovery key " + key.ID() + ": private key " + file + " (mode 0600; keep it offline), public key " + file +
		".pub (give it to the operator: --default-recipients-file)\n"
	if r.stdout != want {
		t.Errorf("stdout = %q, want %q", r.stdout, want)
	}
	if leaksSeed(r.stdout) {
		t.Fatal("the output holds the private key")
	}
	for path, mode := range map[string]os.FileMode{file: 0o600, file + ".pub": 0o644} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != mode {
			t.Errorf("%s has mode %04o, want %04o", path, info.Mode().Perm(), mode)
		}
	}
	b, _ := os.ReadFile(file)
	block, _ := pem.Decode(b)
	if block.Headers["Key-Id"] != key.ID() || block.Headers["Suite"] != sealing.Suite || len(block.Bytes) != sealing.PrivateKeySize {
		t.Errorf("private key block: headers %v, %d bytes", block.Headers, len(block.Bytes))
	}
	pubPEM, _ := os.ReadFile(file + ".pub")
	pubs, err := sealing.ParsePublicKeysPEM(pubPEM)
	if err != nil || len(pubs) != 1 || !pubs[0].Equal(key.Public()) {
		t.Fatalf("public key file: %v, %d keys", err, len(pubs))
	}

	other := filepath.Join(dir, "other.key")
	tests := []struct {
		name, want string
		args       []string
	}{
		{name: "no -f", want: "-f FILE is required: the file to write the recovery private key to (it is created with mode 0600)"},
		{name: "stdout", args: []string{"-f", "-"}, want: "the recovery private key is never written to stdout: give a file with -f FILE"},
		{name: "an existing private key", args: []string{"-f", file},
			want: file + " already exists: a recovery key is never overwritten; choose another file"},
		{name: "an existing public key", args: []string{"-f", other, "--public-file", file + ".pub"},
			want: file + ".pub already exists: a recovery key is never overwritten; choose another file"},
		{name: "the same file twice", args: []string{"-f", other, "--public-file", other},
			want: "--public-file must be another file than -f " + other},
		{name: "public key to stdout", args: []string{"-f", other, "--public-file", "-"},
			want: "--public-file: give a file; the public key is written beside the private key, never to stdout"},
		{name: "a folder that does not exist", args: []string{"-f", filepath.Join(dir, "no", "such.key")},
			want: "writing the recovery private key: open " + filepath.Join(dir, "no", "such.key") + ": no such file or directory"},
		{name: "a positional FILE", args: []string{"recovery.key"},
			want: "unknown command 'recovery.key' for 'kubectl lightning recovery-key generate' (see 'kubectl lightning recovery-key generate --help')"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(invocation{}, append([]string{"recovery-key", "generate"}, tc.args...)...)
			if r.code != 1 || r.stdout != "" {
				t.Errorf("exit %d, stdout %q", r.code, r.stdout)
			}
			if diff := cmp.Diff("error: "+tc.want+"\n", r.stderr); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := os.Stat(other); err == nil {
		t.Error("a refused generate left a file")
	}
	if b2, _ := os.ReadFile(file); string(b2) != string(b) {
		t.Error("the existing key was changed")
	}
}

// recoveryFixture is a recovery key and a manifest sealed to a cluster key
// and to it, as 'secret create' prints it with a default recipient.
type recoveryFixture struct {
	dir, keyFile, manifest string
	key                    *sealing.PrivateKey
}

const recoveredValue = "CANARY-recovered-0b5e-never-print"

func newRecoveryFixture(t *testing.T) recoveryFixture {
	dir := t.TempDir()
	f := recoveryFixture{dir: dir, keyFile: filepath.Join(dir, "recovery.key")}
	if r := runCLI(invocation{}, "recovery-key", "generate", "-f", f.keyFile); r.code != 0 {
		t.Fatal(r.stderr)
	}
	f.key = readRecoveryFile(t, f.keyFile)
	cluster := newRing(t, 1)
	f.manifest = f.write(t, "db-password.yaml", "alice", "db-password", func(scope sealing.Scope) string {
		env, err := sealing.SealTo([]*sealing.PublicKey{cluster.Current().Private.Public(), f.key.Public()}, scope, []byte(recoveredValue))
		if err != nil {
			t.Fatal(err)
		}
		return env
	})
	return f
}

// write writes a LightningSecret manifest of ns/name whose envelope seal
// makes for scope.
func (f recoveryFixture) write(t *testing.T, file, ns, name string, seal func(sealing.Scope) string) string {
	m, err := cmdutil.Manifest(secret.NewSecret(ns, name, seal(sealing.Scope{Namespace: ns, Name: name})))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := yaml.Marshal(m)
	p := filepath.Join(f.dir, file)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func (f recoveryFixture) raw(t *testing.T, file, content string, mode os.FileMode) string {
	p := filepath.Join(f.dir, file)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSecretRecover(t *testing.T) {
	f := newRecoveryFixture(t)
	out := filepath.Join(f.dir, "value.txt")
	r := runCLI(invocation{}, "secret", "recover", "-f", f.manifest, "--recovery-key", f.keyFile, "--output-file", out)
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	want := "Recovered the value of LightningSecret alice/db-password (33 bytes) with recovery key " + f.key.ID() + " to " + out + " (mode 0600)\n"
	if r.stderr != want {
		t.Errorf("stderr = %q, want %q", r.stderr, want)
	}
	if got, _ := os.ReadFile(out); string(got) != recoveredValue {
		t.Errorf("%s holds %q", out, got)
	}
	if info, _ := os.Stat(out); info.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %04o", out, info.Mode().Perm())
	}

	r = runCLI(invocation{}, "secret", "recover", "-f", f.manifest, "--recovery-key", f.keyFile, "--stdout")
	if r.code != 0 || r.stdout != recoveredValue {
		t.Fatalf("--stdout: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if r.stderr != "Recovered the value of LightningSecret alice/db-password (33 bytes) with recovery key "+f.key.ID()+" to stdout\n" {
		t.Errorf("--stdout: stderr = %q", r.stderr)
	}

	// Manifests and keys that must be refused.
	otherKey := filepath.Join(f.dir, "other.key")
	if r := runCLI(invocation{}, "recovery-key", "generate", "-f", otherKey); r.code != 0 {
		t.Fatal(r.stderr)
	}
	other := readRecoveryFile(t, otherKey)
	keyText, _ := os.ReadFile(f.keyFile)
	block, _ := pem.Decode(keyText)
	manifestText, _ := os.ReadFile(f.manifest)
	moved := f.raw(t, "moved.yaml", strings.Replace(string(manifestText), "namespace: alice", "namespace: bob", 1), 0o644)
	cluster := newRing(t, 1)
	onlyCluster := f.write(t, "only-cluster.yaml", "alice", "db-password", func(scope sealing.Scope) string {
		env, _ := sealing.SealTo([]*sealing.PublicKey{cluster.Current().Private.Public()}, scope, []byte(recoveredValue))
		return env
	})
	edited := pem.EncodeToMemory(&pem.Block{Type: recovery.KeyPEMType, Headers: map[string]string{"Key-Id": other.ID(), "Suite": sealing.Suite}, Bytes: block.Bytes})
	short := pem.EncodeToMemory(&pem.Block{Type: recovery.KeyPEMType, Headers: map[string]string{"Key-Id": f.key.ID(), "Suite": sealing.Suite}, Bytes: block.Bytes[:20]})
	existing := f.raw(t, "existing.txt", "keep me", 0o600)
	base := []string{"secret", "recover", "-f", f.manifest, "--recovery-key", f.keyFile}
	tests := []struct {
		name, want string
		args       []string
	}{
		{name: "no -f", args: []string{"secret", "recover", "--recovery-key", f.keyFile, "--stdout"},
			want: "-f MANIFEST is required: the LightningSecret manifest whose value to open"},
		{name: "no --recovery-key", args: []string{"secret", "recover", "-f", f.manifest, "--stdout"},
			want: "--recovery-key FILE is required: the recovery private key from 'kubectl lightning recovery-key generate'"},
		{name: "nowhere to write", args: base, want: "say where the value goes: --output-file FILE (created with mode 0600), or --stdout"},
		{name: "two places", args: append(base, "--stdout", "--output-file", filepath.Join(f.dir, "x")),
			want: "--output-file and --stdout are exclusive: the value goes to one place"},
		{name: "--output-file -", args: append(base, "--output-file", "-"), want: "--output-file -: to write the value to stdout, say --stdout"},
		{name: "an existing --output-file", args: append(base, "--output-file", existing),
			want: existing + " already exists: the value is never written over a file; choose another --output-file"},
		{name: "another recovery key", args: []string{"secret", "recover", "-f", f.manifest, "--recovery-key", otherKey, "--stdout"},
			want: "LightningSecret alice/db-password in " + f.manifest + " is sealed to keys " + strings.Join(idsOf(t, f.manifest), ", ") +
				", not to recovery key " + other.ID() + ": it was sealed before the cluster published the recovery key, or offline without --recipient"},
		{name: "not sealed to the recovery key", args: []string{"secret", "recover", "-f", onlyCluster, "--recovery-key", f.keyFile, "--stdout"},
			want: "LightningSecret alice/db-password in " + onlyCluster + " is sealed to key " + cluster.Current().Private.ID() +
				", not to recovery key " + f.key.ID() + ": it was sealed before the cluster published the recovery key, or offline without --recipient"},
		{name: "moved to another namespace", args: []string{"secret", "recover", "-f", moved, "--recovery-key", f.keyFile, "--stdout"},
			want: "LightningSecret bob/db-password in " + moved + " does not open with recovery key " + f.key.ID() + " (Tampered): sealed value for key " +
				f.key.ID() + " does not open as bob/db-password: it was altered, or sealed for another name or namespace"},
		{name: "a public key as --recovery-key", args: []string{"secret", "recover", "-f", f.manifest, "--recovery-key", f.keyFile + ".pub", "--stdout"},
			want: "--recovery-key " + f.keyFile + ".pub holds a public key: give the private key file that 'recovery-key generate' wrote beside it"},
		{name: "a Key-Id that is not the key's", args: []string{"secret", "recover", "-f", f.manifest, "--recovery-key", f.raw(t, "edited.key", string(edited), 0o600), "--stdout"},
			want: "--recovery-key " + f.dir + "/edited.key: its Key-Id header does not match its key (whose ID is " + f.key.ID() + "): the file was edited"},
		{name: "a cut seed", args: []string{"secret", "recover", "-f", f.manifest, "--recovery-key", f.raw(t, "short.key", string(short), 0o600), "--stdout"},
			want: "--recovery-key " + f.dir + "/short.key: sealing: private key is 20 bytes, want 32"},
		{name: "no PEM block", args: []string{"secret", "recover", "-f", f.manifest, "--recovery-key", f.raw(t, "seed.key", string(block.Bytes), 0o600), "--stdout"},
			want: "--recovery-key " + f.dir + "/seed.key holds no PEM block: it is not a recovery key (from 'kubectl lightning recovery-key generate')"},
		{name: "two keys in one file", args: []string{"secret", "recover", "-f", f.manifest, "--recovery-key", f.raw(t, "two.key", string(keyText)+string(keyText), 0o600), "--stdout"},
			want: "--recovery-key " + f.dir + "/two.key holds more than one PEM block: a recovery key file holds one"},
		{name: "another PEM type", args: []string{"secret", "recover", "-f", f.manifest, "--recovery-key",
			f.raw(t, "rsa.key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: block.Bytes})), 0o600), "--stdout"},
			want: "--recovery-key " + f.dir + "/rsa.key holds a PEM block of another type: want \"LIGHTNING RECOVERY PRIVATE KEY\""},
		{name: "a missing key file", args: []string{"secret", "recover", "-f", f.manifest, "--recovery-key", filepath.Join(f.dir, "nope.key"), "--stdout"},
			want: "reading --recovery-key: open " + filepath.Join(f.dir, "nope.key") + ": no such file or directory"},
		{name: "a manifest of another kind", args: []string{"secret", "recover", "-f", f.raw(t, "app.yaml", "apiVersion: lightning.ai/v1alpha1\nkind: LightningApp\nmetadata: {name: a, namespace: alice}\n", 0o644), "--recovery-key", f.keyFile, "--stdout"},
			want: f.dir + "/app.yaml holds apiVersion 'lightning.ai/v1alpha1', kind 'LightningApp': want a lightning.ai/v1alpha1 LightningSecret"},
		{name: "a manifest without namespace", args: []string{"secret", "recover", "-f", f.raw(t, "nons.yaml", strings.Replace(string(manifestText), "  namespace: alice\n", "", 1), 0o644), "--recovery-key", f.keyFile, "--stdout"},
			want: f.dir + "/nons.yaml: the LightningSecret has no metadata.namespace, which its value is bound to"},
		{name: "a manifest that is not YAML", args: []string{"secret", "recover", "-f", f.raw(t, "bad.yaml", "spec: [\n: :\n", 0o644), "--recovery-key", f.keyFile, "--stdout"}},
		{name: "two documents", args: []string{"secret", "recover", "-f", f.raw(t, "two.yaml", string(manifestText)+"---\n"+string(manifestText), 0o644), "--recovery-key", f.keyFile, "--stdout"},
			want: f.dir + "/two.yaml holds more than one YAML document: give the manifest of one LightningSecret"},
		{name: "a value that is no envelope", args: []string{"secret", "recover", "-f", f.raw(t, "plain.yaml", strings.Replace(string(manifestText), "encryptedValue: v2:", "encryptedValue: x2:", 1), 0o644), "--recovery-key", f.keyFile, "--stdout"},
			want: "LightningSecret alice/db-password in " + f.dir + "/plain.yaml does not hold a sealed value (Malformed): malformed sealed value: the version must be 'v' and digits, like v1"},
		{name: "a positional argument", args: append(base, "--stdout", "extra"),
			want: "unknown command 'extra' for 'kubectl lightning secret recover' (see 'kubectl lightning secret recover --help')"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(invocation{}, tc.args...)
			if r.code != 1 || r.stdout != "" {
				t.Errorf("exit %d, stdout %q", r.code, r.stdout)
			}
			if strings.Contains(r.stderr, recoveredValue) || leaksSeed(r.stderr) {
				t.Fatalf("the error holds the value or a key: %q", r.stderr)
			}
			if tc.want == "" {
				if !strings.HasPrefix(r.stderr, "error: "+f.dir+"/bad.yaml is not a YAML or JSON manifest of a LightningSecret (it does not parse") || strings.Count(r.stderr, "\n") != 1 {
					t.Errorf("stderr = %q", r.stderr)
				}
				return
			}
			if diff := cmp.Diff("error: "+tc.want+"\n", r.stderr); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Error("an existing --output-file was changed")
	}

	t.Run("a key file others can read is used, with a warning", func(t *testing.T) {
		open := f.raw(t, "open.key", string(keyText), 0o644)
		r := runCLI(invocation{}, "secret", "recover", "-f", f.manifest, "--recovery-key", open, "--stdout")
		if r.code != 0 || r.stdout != recoveredValue {
			t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
		}
		if !strings.HasPrefix(r.stderr, "Warning: recovery key "+open+" can be read by other users (mode 0644); make it 0600 (chmod 600 "+open+")\n") {
			t.Errorf("stderr = %q", r.stderr)
		}
	})
}

func idsOf(t *testing.T, manifest string) []string {
	b, _ := os.ReadFile(manifest)
	return envelopeIDs(t, string(b))
}

var _ = Describe("the recovery key, end to end", func() {
	It("seals every value to the published recovery key, and recovers one after the keyring is lost, for a fresh cluster", func() {
		const value = "CANARY-recovery-e2e-5a2d-never-print"
		dir := GinkgoT().TempDir()
		keyFile := filepath.Join(dir, "recovery.key")

		By("an admin makes the recovery key, offline")
		r := runCLI(invocation{}, "recovery-key", "generate", "-f", keyFile)
		transcript([]string{"recovery-key", "generate", "-f", keyFile}, r)
		recovery := readRecoveryFile(GinkgoT(), keyFile)
		expectClean(r.stdout + r.stderr)
		Expect(ok(r)).To(Equal("Wrote recovery key " + recovery.ID() + ": private key " + keyFile +
			" (mode 0600; keep it offline), public key " + keyFile + ".pub (give it to the operator: --default-recipients-file)\n"))
		pubs, err := sealing.ParsePublicKeysPEM(mustRead(keyFile + ".pub"))
		Expect(err).NotTo(HaveOccurred())

		By("the operator publishes it as a default recipient (as --default-recipients-file makes it; no operator runs here)")
		opNS, kr := operatorKeyring()
		cm := &corev1.ConfigMap{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: opNS, Name: cmdutil.PublicKeysConfigMap}, cm)).To(Succeed())
		cm.Data = kr.PublicData(pubs...)
		Expect(k8sClient.Update(ctx, cm)).To(Succeed())

		By("secret create against the cluster seals to the current key and the recovery key, and says so")
		ns := newNamespace()
		current := kr.Current().Private.ID()
		r = klClean(invocation{stdin: value}, []string{value}, "secret", "create", "db-password", "-n", ns, "--operator-namespace", opNS)
		manifest := ok(r)
		Expect(r.stderr).To(Equal("Also sealed to the default recipient(s) " + recovery.ID() + " that the cluster publishes\n" +
			"Sealed to keys " + current + ", " + recovery.ID() + "\n"))
		manifestFile := filepath.Join(dir, "db-password.yaml")
		Expect(os.WriteFile(manifestFile, []byte(manifest), 0o644)).To(Succeed())
		u := &unstructured.Unstructured{}
		Expect(yaml.Unmarshal([]byte(manifest), &u.Object)).To(Succeed())
		Expect(k8sClient.Create(ctx, u)).To(Succeed()) // as a GitOps tool applies it
		env, err := sealing.ParseEnvelope(getSecret(ns, "db-password").Spec.EncryptedValue)
		Expect(err).NotTo(HaveOccurred())
		Expect(env.KeyIDs).To(Equal([]string{current, recovery.ID()}))
		opens(kr, ns, "db-password", value)
		wide := rows(ok(klClean(invocation{}, nil, "secret", "list", "-n", ns, "-o", "wide")))
		Expect(wide[1][6]).To(Equal(current + "," + recovery.ID()))

		By("the keyring is lost")
		Expect(k8sClient.Delete(ctx, keyringSecret(opNS))).To(Succeed())

		By("secret recover opens the manifest with the recovery key alone, offline")
		out := filepath.Join(dir, "db-password.value")
		r = runClean(invocation{}, []string{value}, "secret", "recover", "-f", manifestFile, "--recovery-key", keyFile, "--output-file", out)
		Expect(ok(r)).To(BeEmpty())
		Expect(r.stderr).To(Equal("Recovered the value of LightningSecret " + ns + "/db-password (36 bytes) with recovery key " + recovery.ID() + " to " + out + " (mode 0600)\n"))
		Expect(string(mustRead(out))).To(Equal(value))
		info, err := os.Stat(out)
		Expect(err).NotTo(HaveOccurred())
		Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))

		By("a fresh cluster: a new keyring, a new key; the value is sealed again to it and opens there")
		opNS2, kr2 := operatorKeyring()
		ns2 := newNamespace()
		r = klClean(invocation{}, []string{value}, "secret", "create", "db-password", "-n", ns2, "--from-file", out, "--apply", "--operator-namespace", opNS2)
		Expect(ok(r)).To(Equal("lightningsecret.lightning.ai/db-password created\n"))
		Expect(r.stderr).To(Equal("Sealed to key " + kr2.Current().Private.ID() + "\n"))
		Expect(kr2.Current().Private.ID()).NotTo(Equal(current))
		opens(kr2, ns2, "db-password", value)
		expectClean(storedJSON(ns2, "db-password"), value)
	})
})

func mustRead(path string) []byte {
	GinkgoHelper()
	b, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	return b
}

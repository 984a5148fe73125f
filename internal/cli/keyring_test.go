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
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/keysecret"
)

// Every keyring the keyring tests make is registered here, and every output
// and error of every command they run is grepped for its key material.
var (
	ringsMu sync.Mutex
	rings   []*keyring.Keyring
)

// newRing makes a keyring of n keys and registers its material.
func newRing(t interface{ Fatal(...any) }, n int) *keyring.Keyring {
	kr, err := keyring.New(time.Now().Add(-time.Duration(n) * time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < n; i++ {
		if kr, err = kr.Rotate(time.Now().Add(-time.Duration(n-i) * time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	registerRing(kr)
	return kr
}

func registerRing(kr *keyring.Keyring) {
	ringsMu.Lock()
	defer ringsMu.Unlock()
	rings = append(rings, kr)
}

// material is every form a keyring's secrets could take in output: each
// seed and the version key as base64, hex, raw bytes and Go's %v of a
// []byte; each stored entry as base64 (the form of a Secret manifest's
// data) and as %v. Any 24 characters of these leak. Each entry's JSON text
// counts only whole: parts of it (the suite's name) are public, and its
// secret part is the seed's base64, already here.
func material(kr *keyring.Keyring) (windowed, whole []string) {
	for _, k := range kr.Keys() {
		seed := k.Private.Bytes()
		windowed = append(windowed, base64.StdEncoding.EncodeToString(seed), base64.RawURLEncoding.EncodeToString(seed),
			fmt.Sprintf("%x", seed), string(seed), fmt.Sprint(seed))
	}
	for name, v := range kr.Marshal() {
		windowed = append(windowed, base64.StdEncoding.EncodeToString(v), fmt.Sprint(v))
		whole = append(whole, string(v))
		if name == keyring.VersionKeyEntry {
			var e struct{ Key string }
			if err := json.Unmarshal(v, &e); err != nil {
				panic(err)
			}
			raw, _ := base64.StdEncoding.DecodeString(e.Key)
			windowed = append(windowed, e.Key, fmt.Sprintf("%x", raw), string(raw), fmt.Sprint(raw))
		}
	}
	return windowed, whole
}

// leaksMaterial names the first registered keyring whose material text holds.
func leaksMaterial(text string) (string, bool) {
	ringsMu.Lock()
	defer ringsMu.Unlock()
	for _, kr := range rings {
		windowed, whole := material(kr)
		for _, m := range whole {
			if strings.Contains(text, m) {
				return kr.String(), true
			}
		}
		for _, m := range windowed {
			for i := 0; i+24 <= len(m); i++ {
				if strings.Contains(text, m[i:i+24]) {
					return kr.String(), true
				}
			}
		}
	}
	return "", false
}

// runKeyring is runCLI that fails the test when stdout or stderr holds any
// registered key material.
func runKeyring(t *testing.T, inv invocation, args ...string) result {
	t.Helper()
	r := runCLI(inv, args...)
	if kr, leaked := leaksMaterial(r.stdout + r.stderr); leaked {
		t.Fatalf("%v: the output holds key material of %s", args, kr)
	}
	return r
}

// manifestOf is the backup manifest of kr as 'keyring backup' writes it.
func manifestOf(kr *keyring.Keyring, ns string) map[string]any {
	data := map[string]any{}
	for k, v := range kr.Marshal() {
		data[k] = base64.StdEncoding.EncodeToString(v)
	}
	return map[string]any{
		"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
		"metadata": map[string]any{"name": "lightning-operator-keyring", "namespace": ns,
			"labels": map[string]any{"app.kubernetes.io/managed-by": "lightning-operator"}},
		"data": data,
	}
}

func writeYAML(t *testing.T, path string, m any) string {
	t.Helper()
	b, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// edit returns a deep copy of m changed by f.
func edit(m map[string]any, f func(m map[string]any)) map[string]any {
	b, _ := json.Marshal(m)
	var c map[string]any
	_ = json.Unmarshal(b, &c)
	f(c)
	return c
}

func entryJSON(t *testing.T, kr *keyring.Keyring, i int, change func(e map[string]any)) string {
	t.Helper()
	id := kr.IDs()[i]
	var e map[string]any
	if err := json.Unmarshal(kr.Marshal()[keyring.EntryPrefix+id], &e); err != nil {
		t.Fatal(err)
	}
	change(e)
	b, _ := json.Marshal(e)
	return base64.StdEncoding.EncodeToString(b)
}

func TestKeyringRestoreRefusesBadFiles(t *testing.T) {
	kr := newRing(t, 2)
	other := newRing(t, 1)
	id0, id1 := kr.IDs()[0], kr.IDs()[1]
	good := manifestOf(kr, "lightning-system")
	dir := t.TempDir()
	file := func(name string, m any) string { return writeYAML(t, filepath.Join(dir, name), m) }
	raw := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	goodYAML, _ := yaml.Marshal(good)
	seed := base64.StdEncoding.EncodeToString(kr.Keys()[0].Private.Bytes())

	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "no -f", args: nil,
			wantErr: "-f FILE is required: the keyring backup to restore (from 'kubectl lightning keyring backup')"},
		{name: "missing file", args: []string{"-f", filepath.Join(dir, "nope.yaml")},
			wantErr: "reading the backup: open " + filepath.Join(dir, "nope.yaml") + ": no such file or directory"},
		{name: "empty file", args: []string{"-f", raw("empty.yaml", "\n# nothing\n")},
			wantErr: dir + "/empty.yaml is empty: it is not a keyring backup"},
		{name: "YAML that does not parse, quoting a seed", args: []string{"-f", raw("broken.yaml", string(goodYAML)+"extra: [\""+seed+"\n  : :\n")}},
		{name: "a list", args: []string{"-f", raw("list.json", `["`+seed+`"]`)},
			wantErr: dir + "/list.json is not a YAML or JSON manifest of a Secret"},
		{name: "data is not a map of strings", args: []string{"-f", file("typed.yaml", edit(good, func(m map[string]any) {
			m["data"].(map[string]any)[keyring.EntryPrefix+id0] = map[string]any{"privateKey": seed}
		}))}, wantErr: dir + "/typed.yaml is not a YAML or JSON manifest of a Secret (in data: a JSON object where a string belongs)"},
		{name: "a ConfigMap", args: []string{"-f", file("cm.yaml", edit(good, func(m map[string]any) { m["kind"] = "ConfigMap" }))},
			wantErr: dir + "/cm.yaml holds apiVersion 'v1', kind 'ConfigMap': a keyring backup is a v1 Secret"},
		{name: "another apiVersion", args: []string{"-f", file("v2.yaml", edit(good, func(m map[string]any) { m["apiVersion"] = "v2" }))},
			wantErr: dir + "/v2.yaml holds apiVersion 'v2', kind 'Secret': a keyring backup is a v1 Secret"},
		{name: "two documents", args: []string{"-f", raw("two.yaml", string(goodYAML)+"---\n"+string(goodYAML))},
			wantErr: dir + "/two.yaml holds more than one YAML document: a keyring backup is one Secret"},
		{name: "no name", args: []string{"-f", file("noname.yaml", edit(good, func(m map[string]any) {
			delete(m["metadata"].(map[string]any), "name")
		}))}, wantErr: dir + "/noname.yaml: the Secret has no metadata.name"},
		{name: "bad namespace", args: []string{"-f", file("badns.yaml", edit(good, func(m map[string]any) {
			m["metadata"].(map[string]any)["namespace"] = "Lightning_System"
		}))}, wantErr: dir + "/badns.yaml: Invalid namespace 'Lightning_System': a namespace name must contain only lowercase letters, digits and '-', start and end with a letter or digit, and be at most 63 characters."},
		{name: "bad --secret-name", args: []string{"-f", file("ok.yaml", good), "--secret-name", "Key Ring"},
			wantErr: "--secret-name: Invalid Secret name 'Key Ring': a Secret name must contain only lowercase letters, digits, '-' and '.', start and end with a letter or digit, and be at most 253 characters (RFC 1123)"},
		{name: "bad --operator-namespace", args: []string{"-f", file("ok.yaml", good), "--operator-namespace", "-"},
			wantErr: "--operator-namespace: Invalid namespace '-': a namespace name must contain only lowercase letters, digits and '-', start and end with a letter or digit, and be at most 63 characters."},
		{name: "TLS type", args: []string{"-f", file("tls.yaml", edit(good, func(m map[string]any) { m["type"] = "kubernetes.io/tls" }))},
			wantErr: dir + "/tls.yaml: the Secret's type is 'kubernetes.io/tls'; a keyring Secret is Opaque"},
		{name: "an entry not base64", args: []string{"-f", file("b64.yaml", edit(good, func(m map[string]any) {
			m["data"].(map[string]any)[keyring.EntryPrefix+id1] = "{" + seed + "}"
		}))}, wantErr: dir + "/b64.yaml: data entry 'key-" + id1 + "' is not standard base64"},
		{name: "an entry with another key's seed", args: []string{"-f", file("swapped.yaml", edit(good, func(m map[string]any) {
			m["data"].(map[string]any)[keyring.EntryPrefix+id1] = entryJSON(t, kr, 1, func(e map[string]any) {
				e["privateKey"] = base64.StdEncoding.EncodeToString(other.Keys()[0].Private.Bytes())
			})
		}))}, wantErr: dir + "/swapped.yaml does not hold a sound keyring, so nothing was restored: corrupt: entry 'key-" + id1 + "': the key's ID is " + other.IDs()[0] + ", not the ID in its name"},
		{name: "an entry with a seed in an unknown field", args: []string{"-f", file("extra.yaml", edit(good, func(m map[string]any) {
			m["data"].(map[string]any)[keyring.EntryPrefix+id0] = entryJSON(t, kr, 0, func(e map[string]any) { e["copy"] = e["privateKey"] })
		}))}, wantErr: dir + "/extra.yaml does not hold a sound keyring, so nothing was restored: corrupt: entry 'key-" + id0 + "': not a well-formed entry (JSON object with version, id, suite, created, privateKey)"},
		{name: "a seed in the suite field", args: []string{"-f", file("suite.yaml", edit(good, func(m map[string]any) {
			m["data"].(map[string]any)[keyring.EntryPrefix+id0] = entryJSON(t, kr, 0, func(e map[string]any) { e["suite"] = e["privateKey"] })
		}))}, wantErr: dir + "/suite.yaml does not hold a sound keyring, so nothing was restored: corrupt: entry 'key-" + id0 + "': unknown suite (want \"MLKEM768-X25519/HKDF-SHA256/AES-256-GCM\")"},
		{name: "a cut seed", args: []string{"-f", file("short.yaml", edit(good, func(m map[string]any) {
			m["data"].(map[string]any)[keyring.EntryPrefix+id0] = entryJSON(t, kr, 0, func(e map[string]any) { e["privateKey"] = seed[:40] })
		}))}, wantErr: dir + "/short.yaml does not hold a sound keyring, so nothing was restored: corrupt: entry 'key-" + id0 + "': privateKey is not a 32-byte sealing key seed"},
		{name: "no data", args: []string{"-f", file("nodata.yaml", edit(good, func(m map[string]any) { delete(m, "data") }))},
			wantErr: dir + "/nodata.yaml does not hold a sound keyring, so nothing was restored: empty: it holds no keys"},
		{name: "a version key alone", args: []string{"-f", file("vk.yaml", edit(good, func(m map[string]any) {
			m["data"] = map[string]any{keyring.VersionKeyEntry: m["data"].(map[string]any)[keyring.VersionKeyEntry]}
		}))}, wantErr: dir + "/vk.yaml does not hold a sound keyring, so nothing was restored: empty: it holds no keys"},
		{name: "positional argument", args: []string{"backup.yaml"},
			wantErr: "unknown command 'backup.yaml' for 'kubectl lightning keyring restore' (see 'kubectl lightning keyring restore --help')"},
		// A sound file gets as far as the cluster, which unit tests have none of.
		{name: "a sound file reaches for the cluster", args: []string{"-f", file("ok.yaml", good), "--yes"},
			wantErr: "reading the kubeconfig: no cluster in unit tests"},
		{name: "kubectl get -o yaml output, with what the cluster added", args: []string{"-f", file("kubectl.yaml", edit(good, func(m map[string]any) {
			md := m["metadata"].(map[string]any)
			md["resourceVersion"], md["uid"], md["creationTimestamp"] = "42", "0b6d", "2025-01-01T00:00:00Z"
			md["annotations"] = map[string]any{"kubectl.kubernetes.io/last-applied-configuration": string(goodYAML)}
			delete(md, "labels")
		}))}, wantErr: "reading the kubeconfig: no cluster in unit tests"},
		{name: "JSON, stringData over data", args: []string{"-f", raw("string.json", func() string {
			m := edit(good, func(m map[string]any) {
				m["data"].(map[string]any)[keyring.EntryPrefix+id0] = "e30=" // {}
				m["stringData"] = map[string]any{keyring.EntryPrefix + id0: string(kr.Marshal()[keyring.EntryPrefix+id0])}
			})
			b, _ := json.Marshal(m)
			return string(b)
		}())}, wantErr: "reading the kubeconfig: no cluster in unit tests"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runKeyring(t, invocation{stdin: "y\n"}, append([]string{"keyring", "restore"}, tc.args...)...)
			if r.code != 1 || r.stdout != "" {
				t.Errorf("exit %d, stdout %q; want 1 and nothing", r.code, r.stdout)
			}
			want := tc.wantErr
			if want == "" { // the parser's line, whatever it is
				if !strings.HasPrefix(r.stderr, "error: "+dir+"/broken.yaml is not a YAML or JSON manifest of a Secret (it does not parse at line ") {
					t.Errorf("stderr = %q", r.stderr)
				}
				return
			}
			if diff := cmp.Diff("error: "+want+"\n", r.stderr); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("an immutable backup is restored mutable, with a warning", func(t *testing.T) {
		path := file("immutable.yaml", edit(good, func(m map[string]any) { m["immutable"] = true }))
		r := runKeyring(t, invocation{}, "keyring", "restore", "-f", path)
		want := "Warning: " + path + " marks the Secret immutable; it is restored mutable, so the operator can rotate it.\n" +
			"error: reading the kubeconfig: no cluster in unit tests\n"
		if diff := cmp.Diff(want, r.stderr); diff != "" {
			t.Errorf("stderr (-want +got):\n%s", diff)
		}
	})

	t.Run("a file over the limit", func(t *testing.T) {
		big := raw("big.yaml", string(goodYAML)+"# "+strings.Repeat("x", 4<<20)+"\n")
		r := runKeyring(t, invocation{}, "keyring", "restore", "-f", big)
		if want := "error: " + big + " is larger than 4194304 bytes: it is not a keyring backup\n"; r.stderr != want {
			t.Errorf("stderr = %q, want %q", r.stderr, want)
		}
	})
}

func TestKeyringBackupFlags(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.yaml")
	if err := os.WriteFile(existing, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "no -f", args: nil,
			wantErr: "-f FILE is required: the file to write the backup to (it holds the private keys; it is created with mode 0600)"},
		{name: "stdout", args: []string{"-f", "-"},
			wantErr: "the backup holds the private keys, so it is never written to stdout: give a file with -f FILE"},
		{name: "existing file", args: []string{"-f", existing},
			wantErr: existing + " already exists: choose another file, or replace it with --overwrite"},
		{name: "bad --secret-name", args: []string{"-f", filepath.Join(dir, "b.yaml"), "--secret-name", "-x"},
			wantErr: "--secret-name: Invalid Secret name '-x': a Secret name must contain only lowercase letters, digits, '-' and '.', start and end with a letter or digit, and be at most 253 characters (RFC 1123)"},
		{name: "bad --operator-namespace", args: []string{"-f", filepath.Join(dir, "b.yaml"), "--operator-namespace", "a.b"},
			wantErr: "--operator-namespace: Invalid namespace 'a.b': a namespace name must contain only lowercase letters, digits and '-', start and end with a letter or digit, and be at most 63 characters."},
		{name: "positional FILE", args: []string{"backup.yaml"},
			wantErr: "unknown command 'backup.yaml' for 'kubectl lightning keyring backup' (see 'kubectl lightning keyring backup --help')"},
		{name: "the cluster is needed", args: []string{"-f", filepath.Join(dir, "b.yaml")},
			wantErr: "reading the kubeconfig: no cluster in unit tests"},
		{name: "--overwrite reaches for the cluster too", args: []string{"-f", existing, "--overwrite"},
			wantErr: "reading the kubeconfig: no cluster in unit tests"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runKeyring(t, invocation{}, append([]string{"keyring", "backup"}, tc.args...)...)
			if r.code != 1 || r.stdout != "" {
				t.Errorf("exit %d, stdout %q; want 1 and nothing", r.code, r.stdout)
			}
			if diff := cmp.Diff("error: "+tc.wantErr+"\n", r.stderr); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "old" {
		t.Errorf("the existing file was changed: %q", b)
	}
	entries, _ := os.ReadDir(dir)
	names := slices.Sorted(maps.Keys(func() map[string]bool {
		m := map[string]bool{}
		for _, e := range entries {
			m[e.Name()] = true
		}
		return m
	}()))
	if diff := cmp.Diff([]string{"existing.yaml"}, names); diff != "" {
		t.Errorf("files left behind (-want +got):\n%s", diff)
	}
}

func TestKeyringHelp(t *testing.T) {
	for _, args := range [][]string{{"keyring"}, {"keyring", "backup", "-h"}, {"keyring", "restore", "--help"}} {
		r := runCLI(invocation{}, args...)
		if r.code != 0 || r.stderr != "" {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
		if !strings.Contains(r.stdout, "kubectl lightning keyring") {
			t.Errorf("%v: help does not show 'kubectl lightning keyring': %q", args, r.stdout)
		}
		if len(args) > 1 && !strings.Contains(r.stdout, "Examples:\n  # ") {
			t.Errorf("%v: help has no kubectl-style examples", args)
		}
	}
}

// The envtest half: the commands against a real apiserver.

// klKeyring is kl that fails the spec when stdout or stderr holds any
// registered key material.
func klKeyring(stdin string, args ...string) result {
	GinkgoHelper()
	r := kl(stdin, args...)
	kr, leaked := leaksMaterial(r.stdout + r.stderr)
	Expect(leaked).To(BeFalse(), "%v: the output holds key material of %s", args, kr)
	return r
}

// operatorKeyring makes an operator namespace whose keyring the operator's
// writer created, as on first start, and returns it.
func operatorKeyring() (string, *keyring.Keyring) {
	GinkgoHelper()
	ns := newNamespace()
	kr, _, err := keysecret.NewWriter(k8sClient, k8sClient, keysecret.Options{Namespace: ns}, nil).
		Sync(ctx, func(context.Context) (bool, error) { return false, nil })
	Expect(err).NotTo(HaveOccurred())
	registerRing(kr)
	return ns, kr
}

func keyringSecret(ns string) *corev1.Secret {
	GinkgoHelper()
	s := &corev1.Secret{}
	Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: keysecret.DefaultSecretName}, s)).To(Succeed())
	return s
}

// describe is how the commands name a keyring: IDs only.
func describe(kr *keyring.Keyring) string {
	ids := kr.IDs()
	s := "s"
	if len(ids) == 1 {
		s = ""
	}
	return fmt.Sprintf("%d key%s (ID%s %s), version key %s", len(ids), s, s, strings.Join(ids, ", "), kr.VersionKey().ID())
}

var _ = Describe("keyring backup", func() {
	It("writes a 0600 manifest of exactly what restores the keyring, and keeps an existing file unless --overwrite", func() {
		ns, kr := operatorKeyring()
		s := keyringSecret(ns)
		// What kubectl apply and owners leave on a Secret: none of it belongs in a backup.
		b, err := json.Marshal(s)
		Expect(err).NotTo(HaveOccurred())
		s.Annotations = map[string]string{"kubectl.kubernetes.io/last-applied-configuration": string(b), "note": "x"}
		s.Labels["team"] = "platform"
		s.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "owner", UID: "0b6d7c5e-0000-4000-8000-000000000001"}}
		Expect(k8sClient.Update(ctx, s)).To(Succeed())

		file := filepath.Join(GinkgoT().TempDir(), "keyring-backup.yaml")
		r := klKeyring("", "keyring", "backup", "-f", file, "--operator-namespace", ns)
		Expect(ok(r)).To(Equal("Wrote keyring backup " + file + ": " + describe(kr) + "\n"))
		Expect(r.stderr).To(BeEmpty())

		info, err := os.Stat(file)
		Expect(err).NotTo(HaveOccurred())
		Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))
		content, err := os.ReadFile(file)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(content)).To(HavePrefix("# The keyring of lightning-operator"))
		var m map[string]any
		Expect(yaml.Unmarshal(content, &m)).To(Succeed())
		want := manifestOf(kr, ns)
		want["metadata"].(map[string]any)["labels"].(map[string]any)["team"] = "platform"
		Expect(cmp.Diff(want, m)).To(BeEmpty())

		By("the file is what the apiserver takes back, field for field")
		restored := &corev1.Secret{}
		Expect(yaml.UnmarshalStrict(content, restored)).To(Succeed())
		parsed, err := keyring.Unmarshal(restored.Data)
		Expect(err).NotTo(HaveOccurred())
		Expect(parsed.IDs()).To(Equal(kr.IDs()))

		By("an existing file is kept")
		fails(klKeyring("", "keyring", "backup", "-f", file, "--operator-namespace", ns),
			file+" already exists: choose another file, or replace it with --overwrite")

		By("after a rotation, --overwrite replaces it, still 0600 though the old file was 0644")
		Expect(os.Chmod(file, 0o644)).To(Succeed())
		later := func() time.Time { return time.Now().Add(2 * time.Second) }
		rotated, _ := syncKeyring(keysecret.NewWriter(k8sClient, k8sClient, keysecret.Options{Namespace: ns, Cutoff: time.Now().Add(time.Second)}, later))
		registerRing(rotated)
		Expect(rotated.Len()).To(Equal(2))
		Expect(ok(klKeyring("", "keyring", "backup", "-f", file, "--operator-namespace", ns, "--overwrite"))).
			To(Equal("Wrote keyring backup " + file + ": " + describe(rotated) + "\n"))
		info, err = os.Stat(file)
		Expect(err).NotTo(HaveOccurred())
		Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))
		entries, err := os.ReadDir(filepath.Dir(file))
		Expect(err).NotTo(HaveOccurred())
		Expect(entries).To(HaveLen(1), "a temporary file was left behind")
	})

	It("refuses a corrupt, empty or missing keyring, naming the entry and writing nothing", func() {
		ns, kr := operatorKeyring()
		other := newRing(GinkgoT(), 1)
		s := keyringSecret(ns)
		id := kr.IDs()[0]
		// The entry holds a sound seed, of another key: its ID says so, its seed must not show.
		s.Data[keyring.EntryPrefix+id] = other.Marshal()[keyring.EntryPrefix+other.IDs()[0]]
		Expect(k8sClient.Update(ctx, s)).To(Succeed())

		file := filepath.Join(GinkgoT().TempDir(), "backup.yaml")
		fails(klKeyring("", "keyring", "backup", "-f", file, "--operator-namespace", ns),
			"keyring Secret "+ns+"/lightning-operator-keyring is not a sound keyring, so no backup was written: corrupt: entry 'key-"+id+
				"': its id field does not match the ID in its name (restore an earlier backup with 'kubectl lightning keyring restore')")
		Expect(file).NotTo(BeAnExistingFile())

		s.Data = map[string][]byte{"version-key": s.Data["version-key"]}
		Expect(k8sClient.Update(ctx, s)).To(Succeed())
		fails(klKeyring("", "keyring", "backup", "-f", file, "--operator-namespace", ns),
			"keyring Secret "+ns+"/lightning-operator-keyring is not a sound keyring, so no backup was written: empty: it holds no keys (restore an earlier backup with 'kubectl lightning keyring restore')")

		fails(klKeyring("", "keyring", "backup", "-f", file, "--operator-namespace", ns, "--secret-name", "other-keyring"),
			"keyring Secret "+ns+"/other-keyring not found: is lightning-operator installed in namespace '"+ns+"'? (use --operator-namespace and --secret-name)")
		Expect(file).NotTo(BeAnExistingFile())
	})
})

var _ = Describe("keyring restore", func() {
	// backupOf runs 'keyring backup' of ns into a new file.
	backupOf := func(ns string) string {
		GinkgoHelper()
		file := filepath.Join(GinkgoT().TempDir(), "keyring-backup.yaml")
		ok(klKeyring("", "keyring", "backup", "-f", file, "--operator-namespace", ns))
		return file
	}
	holds := func(ns string, kr *keyring.Keyring) {
		GinkgoHelper()
		s := keyringSecret(ns)
		Expect(s.Data).To(Equal(kr.Marshal()))
		Expect(s.Labels).To(HaveKeyWithValue(lightningv1alpha1.LabelManagedBy, lightningv1alpha1.ManagedByValue))
		Expect(s.Type).To(Equal(corev1.SecretTypeOpaque))
	}
	prefix := func(ns string) string { return "Restored keyring Secret " + ns + "/lightning-operator-keyring from " }

	It("creates a missing Secret without asking, then finds nothing to change", func() {
		ns, kr := operatorKeyring()
		file := backupOf(ns)
		Expect(k8sClient.Delete(ctx, keyringSecret(ns))).To(Succeed())

		r := klKeyring("", "keyring", "restore", "-f", file)
		Expect(ok(r)).To(Equal(prefix(ns) + file + ": " + describe(kr) + " (created)\n"))
		Expect(r.stderr).To(BeEmpty())
		holds(ns, kr)

		r = klKeyring("", "keyring", "restore", "-f", file)
		Expect(ok(r)).To(Equal(prefix(ns) + file + ": " + describe(kr) + " (unchanged)\n"))
		Expect(r.stderr).To(BeEmpty())
	})

	It("needs the namespace to exist", func() {
		ns, _ := operatorKeyring()
		file := backupOf(ns)
		fails(klKeyring("", "keyring", "restore", "-f", file, "--operator-namespace", "no-such-namespace"),
			"namespace 'no-such-namespace' not found: create it first (kubectl create namespace no-such-namespace), then restore again; nothing was restored")
	})

	It("replaces a corrupt keyring after confirmation, and aborts on anything else", func() {
		ns, kr := operatorKeyring()
		file := backupOf(ns)
		s := keyringSecret(ns)
		id := kr.IDs()[0]
		s.Data[keyring.EntryPrefix+id] = []byte(`{"privateKey":"` + base64.StdEncoding.EncodeToString(kr.Keys()[0].Private.Bytes()) + `"}`)
		// kubectl apply's copy of the old data must not outlive the restore.
		s.Annotations = map[string]string{"kubectl.kubernetes.io/last-applied-configuration": `{"data":"old"}`, "note": "kept"}
		delete(s.Labels, lightningv1alpha1.LabelManagedBy)
		Expect(k8sClient.Update(ctx, s)).To(Succeed())
		corruptRV := s.ResourceVersion

		prompt := "Replace keyring Secret " + ns + "/lightning-operator-keyring (corrupt: entry 'key-" + id +
			"': entry version 0 is not supported (want 1)) with the backup (" + describe(kr) + ")? [y/N] "
		for _, answer := range []string{"n\n", "N\n", "\n", "nope\n", "yy\n"} {
			r := klKeyring(answer, "keyring", "restore", "-f", file)
			Expect(r.code).To(Equal(1), "answer %q", answer)
			Expect(r.stdout).To(BeEmpty())
			Expect(r.stderr).To(Equal(prompt + "error: restore aborted: keyring Secret " + ns + "/lightning-operator-keyring is unchanged\n"))
		}
		r := klKeyring("", "keyring", "restore", "-f", file)
		Expect(r.code).To(Equal(1))
		Expect(r.stderr).To(Equal(prompt + "\nerror: restore aborted: no answer on stdin; keyring Secret " + ns +
			"/lightning-operator-keyring is unchanged (use --yes to replace it without asking)\n"))
		Expect(keyringSecret(ns).ResourceVersion).To(Equal(corruptRV))

		for i, answer := range []string{"y\n", "YES\n"} {
			if i == 1 {
				s := keyringSecret(ns)
				s.Data[keyring.EntryPrefix+id] = []byte("garbage")
				Expect(k8sClient.Update(ctx, s)).To(Succeed())
			}
			r = klKeyring(answer, "keyring", "restore", "-f", file)
			Expect(ok(r)).To(HavePrefix(prefix(ns) + file + ": " + describe(kr) + " (replaced corrupt: entry 'key-" + id + "': "))
			Expect(r.stderr).To(HavePrefix("Replace keyring Secret " + ns + "/lightning-operator-keyring (corrupt: entry 'key-" + id + "'"))
			holds(ns, kr)
		}
		after := keyringSecret(ns)
		Expect(after.Annotations).To(Equal(map[string]string{"note": "kept"}))
		Expect(after.UID).To(Equal(s.UID), "replaced in place, by an update")
	})

	It("replaces a different keyring with --yes without asking", func() {
		ns, kr := operatorKeyring()
		file := backupOf(ns)
		newer := newRing(GinkgoT(), 2)
		s := keyringSecret(ns)
		s.Data = newer.Marshal()
		Expect(k8sClient.Update(ctx, s)).To(Succeed())

		r := klKeyring("", "keyring", "restore", "-f", file, "--yes")
		Expect(ok(r)).To(Equal(prefix(ns) + file + ": " + describe(kr) + " (replaced " + describe(newer) + ")\n"))
		Expect(r.stderr).To(BeEmpty())
		holds(ns, kr)
	})

	It("replaces an immutable Secret by deleting and creating it", func() {
		ns, kr := operatorKeyring()
		file := backupOf(ns)
		old := keyringSecret(ns)
		Expect(k8sClient.Delete(ctx, old)).To(Succeed())
		other := newRing(GinkgoT(), 1)
		immutable := true
		frozen := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: keysecret.DefaultSecretName},
			Immutable:  &immutable, Data: other.Marshal(),
		}
		Expect(k8sClient.Create(ctx, frozen)).To(Succeed())

		r := klKeyring("y\n", "keyring", "restore", "-f", file)
		Expect(ok(r)).To(Equal(prefix(ns) + file + ": " + describe(kr) + " (replaced " + describe(other) + ")\n"))
		holds(ns, kr)
		s := keyringSecret(ns)
		Expect(s.Immutable).To(BeNil())
		Expect(s.UID).NotTo(Equal(frozen.UID))
	})

	It("restores a hand-written JSON backup without our label under our label, where a label-selected cache sees it", func() {
		ns, kr := operatorKeyring()
		Expect(k8sClient.Delete(ctx, keyringSecret(ns))).To(Succeed())
		m := manifestOf(kr, ns)
		md := m["metadata"].(map[string]any)
		delete(md, "labels")
		delete(m, "type")
		b, err := json.Marshal(m)
		Expect(err).NotTo(HaveOccurred())
		file := filepath.Join(GinkgoT().TempDir(), "old-backup.json")
		Expect(os.WriteFile(file, b, 0o600)).To(Succeed())

		Expect(ok(klKeyring("", "keyring", "restore", "-f", file))).To(Equal(prefix(ns) + file + ": " + describe(kr) + " (created)\n"))
		holds(ns, kr)

		By("the operator's view: a cache of Secrets with our label only")
		cacheCtx, stop := context.WithCancel(ctx)
		defer stop()
		c, err := cache.New(restConfig, cache.Options{
			Scheme: k8sClient.Scheme(),
			ByObject: map[client.Object]cache.ByObject{&corev1.Secret{}: {Label: labels.SelectorFromSet(labels.Set{
				lightningv1alpha1.LabelManagedBy: lightningv1alpha1.ManagedByValue,
			})}},
		})
		Expect(err).NotTo(HaveOccurred())
		go func() { _ = c.Start(cacheCtx) }()
		source := keysecret.NewSource(c, keysecret.Options{Namespace: ns})
		Eventually(func() ([]string, error) {
			got, err := source.Keyring(cacheCtx)
			if err != nil {
				return nil, err
			}
			return got.IDs(), nil
		}, 10*time.Second).Should(Equal(kr.IDs()))
	})

	It("never shows the keys, even when the apiserver's refusal quotes them", func() {
		ns, kr := operatorKeyring()
		file := backupOf(ns)
		s := keyringSecret(ns)
		s.Data = newRing(GinkgoT(), 1).Marshal()
		Expect(k8sClient.Update(ctx, s)).To(Succeed())

		// A policy that refuses every write of the keyring, quoting its version key.
		policy := &admissionregistrationv1.ValidatingAdmissionPolicy{
			ObjectMeta: metav1.ObjectMeta{Name: "quote-keyring-" + ns},
			Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
				MatchConstraints: &admissionregistrationv1.MatchResources{
					ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{RuleWithOperations: admissionregistrationv1.RuleWithOperations{
						Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
						Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"secrets"}},
					}}},
				},
				Validations: []admissionregistrationv1.Validation{{
					Expression:        "false",
					MessageExpression: `"refused: " + string(object.data["version-key"])`,
				}},
			},
		}
		Expect(k8sClient.Create(ctx, policy)).To(Succeed())
		DeferCleanup(func() { Expect(k8sClient.Delete(ctx, policy)).To(Succeed()) })
		binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
			ObjectMeta: metav1.ObjectMeta{Name: policy.Name},
			Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
				PolicyName:        policy.Name,
				ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
				MatchResources: &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{
					MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns},
				}},
			},
		}
		Expect(k8sClient.Create(ctx, binding)).To(Succeed())
		DeferCleanup(func() { Expect(k8sClient.Delete(ctx, binding)).To(Succeed()) })

		By("the apiserver's own error quotes the version key: the test is real")
		// Until the policy is in force the probe's writes go through: with a
		// third keyring, so the Secret never comes to equal the backup.
		third := newRing(GinkgoT(), 1)
		Eventually(func() string {
			probe := keyringSecret(ns)
			probe.Data = third.Marshal()
			err := k8sClient.Update(ctx, probe)
			if err == nil {
				return ""
			}
			return err.Error()
		}, 20*time.Second, 200*time.Millisecond).Should(ContainSubstring(base64.StdEncoding.EncodeToString(third.Marshal()[keyring.VersionKeyEntry])))

		r := klKeyring("", "keyring", "restore", "-f", file, "--yes")
		Expect(r.code).To(Equal(1))
		Expect(r.stdout).To(BeEmpty())
		Expect(r.stderr).To(Equal("error: updating keyring Secret " + ns + "/lightning-operator-keyring: the apiserver refused it as Invalid (its message is not shown: it may quote the keys)\n"))
		Expect(keyringSecret(ns).Data).NotTo(Equal(kr.Marshal()))

		By("the same on create, into a missing Secret")
		Expect(k8sClient.Delete(ctx, keyringSecret(ns))).To(Succeed())
		fails(klKeyring("", "keyring", "restore", "-f", file),
			"creating keyring Secret "+ns+"/lightning-operator-keyring: the apiserver refused it as Invalid (its message is not shown: it may quote the keys)")
	})
})

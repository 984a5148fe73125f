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
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/keysecret"
	"github.com/lightning-operator/lightning-operator/internal/kms/kmstest"
)

// The keyring commands on a keyring wrapped by a KMS plugin, which the CLI
// never has: it backs it up and restores it as it is, and retires nothing.

// wrap is kr's Secret data wrapped by fake for keyring Secret ns/(default
// name), as the operator writes it with --kms-endpoint.
func wrap(t interface{ Fatal(...any) }, kr *keyring.Keyring, fake *kmstest.Fake, ns string) map[string][]byte {
	data, err := kr.MarshalWrapped(context.Background(), fake, keyring.SecretRef{Namespace: ns, Name: keysecret.DefaultSecretName})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// manifestOfData is the backup manifest of keyring Secret data.
func manifestOfData(data map[string][]byte, ns string) map[string]any {
	m := map[string]any{}
	for k, v := range data {
		m[k] = base64.StdEncoding.EncodeToString(v)
	}
	return map[string]any{
		"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
		"metadata": map[string]any{"name": keysecret.DefaultSecretName, "namespace": ns,
			"labels": map[string]any{lightningv1alpha1.LabelManagedBy: lightningv1alpha1.ManagedByValue}},
		"data": m,
	}
}

// privateParts are kr's secrets as its plain entries hold them (base64):
// each seed and the version key.
func privateParts(kr *keyring.Keyring) []string {
	var out []string
	for _, k := range kr.Keys() {
		out = append(out, base64.StdEncoding.EncodeToString(k.Private.Bytes()))
	}
	var vk struct{ Key string }
	if err := json.Unmarshal(kr.Marshal()[keyring.VersionKeyEntry], &vk); err != nil || vk.Key == "" {
		panic("the version key entry has no key")
	}
	return append(out, vk.Key)
}

// describeWrapped is how the commands name a wrapped keyring: IDs only.
func describeWrapped(kr *keyring.Keyring, kmsKeyID string) string {
	return describe(kr) + ", wrapped under KMS key ID " + kmsKeyID
}

func TestKeyringRestoreWrappedFiles(t *testing.T) {
	kr := newRing(t, 2)
	data := wrap(t, kr, kmstest.NewFake(), "lightning-system")
	good := manifestOfData(data, "lightning-system")
	dir := t.TempDir()
	file := func(name string, m any) string { return writeYAML(t, filepath.Join(dir, name), m) }
	seed := base64.StdEncoding.EncodeToString(kr.Keys()[0].Private.Bytes())
	elsewhere := func(to string) string {
		return dir + "/ok.yaml holds a keyring wrapped by a KMS (KMS key ID fake-key-1), which opens only as keyring Secret lightning-system/lightning-operator-keyring, where it was wrapped: it is not restored to " +
			to + " (leave out --operator-namespace and --secret-name); nothing was restored"
	}

	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "into another namespace", args: []string{"-f", file("ok.yaml", good), "--operator-namespace", "lightning"},
			wantErr: elsewhere("lightning/lightning-operator-keyring")},
		{name: "under another name", args: []string{"-f", file("ok.yaml", good), "--secret-name", "keyring-copy"},
			wantErr: elsewhere("lightning-system/keyring-copy")},
		{name: "a data key whose format quotes a seed", args: []string{"-f", file("format.yaml", edit(good, func(m map[string]any) {
			m["data"].(map[string]any)[keyring.DataKeyEntry] = base64.StdEncoding.EncodeToString([]byte(`{"format":"` + seed + `","keyID":"k","ciphertext":"eA=="}`))
		}))}, wantErr: dir + `/format.yaml does not hold a sound keyring, so nothing was restored: corrupt: entry 'kms-data-key': format is not supported (want "lightning-operator/keyring-kms/v1")`},
		{name: "the data key alone", args: []string{"-f", file("alone.yaml", edit(good, func(m map[string]any) {
			m["data"] = map[string]any{keyring.DataKeyEntry: m["data"].(map[string]any)[keyring.DataKeyEntry]}
		}))}, wantErr: dir + "/alone.yaml does not hold a sound keyring, so nothing was restored: empty: it holds no keys"},
		// A sound file gets as far as the cluster, which unit tests have none of.
		{name: "a sound wrapped file reaches for the cluster", args: []string{"-f", file("ok.yaml", good), "--yes"},
			wantErr: "reading the kubeconfig: no cluster in unit tests"},
		{name: "its own namespace and name, given", args: []string{"-f", file("ok.yaml", good), "--operator-namespace", "lightning-system", "--secret-name", "lightning-operator-keyring"},
			wantErr: "reading the kubeconfig: no cluster in unit tests"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runKeyring(t, invocation{stdin: "y\n"}, append([]string{"keyring", "restore"}, tc.args...)...)
			if r.code != 1 || r.stdout != "" {
				t.Errorf("exit %d, stdout %q; want 1 and nothing", r.code, r.stdout)
			}
			if diff := cmp.Diff("error: "+tc.wantErr+"\n", r.stderr); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

// wrappedKeyring makes an operator namespace whose keyring of n keys is
// wrapped by a fresh fake KMS plugin, as the operator writes it.
func wrappedKeyring(n int) (string, *keyring.Keyring, *kmstest.Fake) {
	GinkgoHelper()
	ns := newNamespace()
	kr := newRing(GinkgoT(), n)
	fake := kmstest.NewFake()
	Expect(k8sClient.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: keysecret.DefaultSecretName,
			Labels:      map[string]string{lightningv1alpha1.LabelManagedBy: lightningv1alpha1.ManagedByValue},
			Annotations: map[string]string{lightningv1alpha1.AnnotationKMSKeyID: "fake-key-1"}},
		Type: corev1.SecretTypeOpaque,
		Data: wrap(GinkgoT(), kr, fake, ns),
	})).To(Succeed())
	return ns, kr, fake
}

// opensTo expects data to open with fake, as keyring Secret ns's, to kr's keys.
func opensTo(data map[string][]byte, fake *kmstest.Fake, ns string, kr *keyring.Keyring) {
	GinkgoHelper()
	opened, err := keyring.UnmarshalWrapped(ctx, fake, keyring.SecretRef{Namespace: ns, Name: keysecret.DefaultSecretName}, data)
	Expect(err).NotTo(HaveOccurred())
	Expect(opened.IDs()).To(Equal(kr.IDs()))
	Expect(opened.VersionKey().ID()).To(Equal(kr.VersionKey().ID()))
}

var _ = Describe("keyring commands on a KMS-wrapped keyring", func() {
	It("backs it up as it is, still wrapped, naming the KMS key ID", func() {
		ns, kr, fake := wrappedKeyring(1)
		live := keyringSecret(ns)
		file := filepath.Join(GinkgoT().TempDir(), "keyring-backup.yaml")

		r := klKeyring("", "keyring", "backup", "-f", file, "--operator-namespace", ns)
		Expect(ok(r)).To(Equal("Wrote keyring backup " + file + ": " + describeWrapped(kr, "fake-key-1") +
			": restoring it needs that KMS plugin's key (never disable or destroy it)\n"))
		Expect(r.stderr).To(BeEmpty())

		info, err := os.Stat(file)
		Expect(err).NotTo(HaveOccurred())
		Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))
		content, err := os.ReadFile(file)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(content)).To(HavePrefix("# The keyring of lightning-operator, wrapped by a KMS"))
		saved := &corev1.Secret{}
		Expect(yaml.UnmarshalStrict(content, saved)).To(Succeed())
		// The file's entries share their readable prefix with the plain
		// ones, so leaksMaterial would find that; the secrets are what must
		// not be there.
		for _, secret := range privateParts(kr) {
			Expect(string(content)).NotTo(ContainSubstring(secret))
			for name, v := range saved.Data {
				Expect(string(v)).NotTo(ContainSubstring(secret), "entry %s holds a secret in the clear", name)
			}
		}
		Expect(saved.Data).To(HaveKey(keyring.DataKeyEntry))
		Expect(saved.Data).To(Equal(live.Data), "written as it is")
		Expect(saved.Annotations).To(BeEmpty())
		opensTo(saved.Data, fake, ns, kr)

		By("a wrapped keyring that does not read is refused, naming the entry, never its content")
		seed := base64.StdEncoding.EncodeToString(kr.Keys()[0].Private.Bytes())
		live.Data[keyring.DataKeyEntry] = []byte(`{"format":"` + seed + `","keyID":"k","ciphertext":"eA=="}`)
		Expect(k8sClient.Update(ctx, live)).To(Succeed())
		other := filepath.Join(GinkgoT().TempDir(), "other.yaml")
		fails(klKeyring("", "keyring", "backup", "-f", other, "--operator-namespace", ns),
			"keyring Secret "+ns+`/lightning-operator-keyring is not a sound keyring, so no backup was written: corrupt: entry 'kms-data-key': format is not supported (want "lightning-operator/keyring-kms/v1") (restore an earlier backup with 'kubectl lightning keyring restore')`)
		Expect(other).NotTo(BeAnExistingFile())
	})

	It("restores a wrapped backup as it is, saying the operator needs the KMS plugin's key to open it", func() {
		ns, kr, fake := wrappedKeyring(2)
		wrapped := keyringSecret(ns).Data
		file := filepath.Join(GinkgoT().TempDir(), "keyring-backup.yaml")
		ok(klKeyring("", "keyring", "backup", "-f", file, "--operator-namespace", ns))
		prefix := "Restored keyring Secret " + ns + "/lightning-operator-keyring from " + file + ": " + describeWrapped(kr, "fake-key-1")
		note := "The operator opens it only with a KMS plugin (--kms-endpoint) that holds KMS key ID fake-key-1."

		By("into a missing Secret")
		Expect(k8sClient.Delete(ctx, keyringSecret(ns))).To(Succeed())
		r := klKeyring("", "keyring", "restore", "-f", file)
		Expect(ok(r)).To(Equal(prefix + " (created). " + note + "\n"))
		Expect(r.stderr).To(BeEmpty())
		s := keyringSecret(ns)
		Expect(s.Data).To(Equal(wrapped))
		Expect(s.Annotations).To(HaveKeyWithValue(lightningv1alpha1.AnnotationKMSKeyID, "fake-key-1"))
		opensTo(s.Data, fake, ns, kr)
		Expect(ok(klKeyring("", "keyring", "restore", "-f", file))).To(Equal(prefix + " (unchanged). " + note + "\n"))

		By("over a plain keyring, after a confirmation that names both")
		plain := newRing(GinkgoT(), 1)
		s.Data = plain.Marshal()
		delete(s.Annotations, lightningv1alpha1.AnnotationKMSKeyID)
		Expect(k8sClient.Update(ctx, s)).To(Succeed())
		r = klKeyring("y\n", "keyring", "restore", "-f", file)
		Expect(ok(r)).To(Equal(prefix + " (replaced " + describe(plain) + "). " + note + "\n"))
		Expect(r.stderr).To(Equal("Replace keyring Secret " + ns + "/lightning-operator-keyring (" + describe(plain) + ") with the backup (" +
			describeWrapped(kr, "fake-key-1") + ")? " + note + " [y/N] "))
		s = keyringSecret(ns)
		Expect(s.Data).To(Equal(wrapped))
		Expect(s.Annotations).To(HaveKeyWithValue(lightningv1alpha1.AnnotationKMSKeyID, "fake-key-1"))
		opensTo(s.Data, fake, ns, kr)

		By("a plain backup over the wrapped keyring: the confirmation names the KMS key ID it replaces")
		plainFile := filepath.Join(GinkgoT().TempDir(), "plain.yaml")
		b, err := yaml.Marshal(manifestOf(plain, ns))
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(plainFile, b, 0o600)).To(Succeed())
		r = klKeyring("y\n", "keyring", "restore", "-f", plainFile)
		Expect(ok(r)).To(Equal("Restored keyring Secret " + ns + "/lightning-operator-keyring from " + plainFile + ": " + describe(plain) +
			" (replaced " + describeWrapped(kr, "fake-key-1") + ")\n"))
		Expect(r.stderr).To(Equal("Replace keyring Secret " + ns + "/lightning-operator-keyring (" + describeWrapped(kr, "fake-key-1") +
			") with the backup (" + describe(plain) + ")? [y/N] "))
		s = keyringSecret(ns)
		Expect(s.Data).To(Equal(plain.Marshal()))
		Expect(s.Annotations).NotTo(HaveKey(lightningv1alpha1.AnnotationKMSKeyID), "a plain keyring names no KMS key")
	})

	It("refuses to retire a key of a wrapped keyring, naming its KMS key ID, and changes nothing", func() {
		ns, kr, _ := wrappedKeyring(2)
		before := keyringSecret(ns)
		dir := inDir()
		for _, args := range [][]string{{}, {"--yes"}, {"--force", "--yes"}} {
			fails(klKeyring("y\n", append([]string{"keyring", "retire", kr.IDs()[0], "--operator-namespace", ns}, args...)...),
				"keyring Secret "+ns+"/lightning-operator-keyring is wrapped by a KMS (KMS key ID fake-key-1), and this CLI holds no KMS plugin to open it and wrap it again, so nothing was retired: the key stays, sealed under that KMS key (to retire it anyway, see 'keyring retire' in docs/cli.md)")
		}
		Expect(keyringSecret(ns).ResourceVersion).To(Equal(before.ResourceVersion))
		Expect(os.ReadDir(dir)).To(BeEmpty(), "--force wrote no backup")
	})
})

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
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/yaml"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
	"github.com/lightning-operator/lightning-operator/internal/cli/secret"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

func TestSecretResealFlags(t *testing.T) {
	tests := []struct {
		name, want string
		args       []string
	}{
		{name: "nothing to re-seal", want: "say which secrets to re-seal: NAME..., or --all (those sealed to an older key)"},
		{name: "NAME and --all", args: []string{"token", "--all"}, want: "give NAMEs or --all, not both"},
		{name: "-A without --all", args: []string{"token", "-A"}, want: "-A needs --all: secrets are re-sealed by NAME in one namespace (-n)"},
		{name: "no timeout", args: []string{"--all", "--timeout", "0s"}, want: "--timeout must be positive, like 60s or 5m"},
		{name: "a bad timeout", args: []string{"--all", "--timeout", "soon"},
			want: `invalid argument "soon" for "--timeout" flag: time: invalid duration "soon" (see 'kubectl lightning secret reseal --help')`},
		{name: "a bad NAME", args: []string{"GitHub_Token"},
			want: `Invalid secret name 'GitHub_Token': a secret name must start with a lowercase letter, contain only lowercase letters, digits, '-' and '.', end with a letter or digit, and be at most 253 characters (RFC 1123); did you mean "github-token"?`},
		{name: "a bad -o", args: []string{"--all", "-o", "table"},
			want: "unknown output format 'table': use yaml, json, name, jsonpath=…, go-template=… or custom-columns=…"},
		{name: "the cluster is needed", args: []string{"--all", "-A"}, want: "reading the kubeconfig: no cluster in unit tests"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(invocation{}, append([]string{"secret", "reseal"}, tc.args...)...)
			if r.code != 1 || r.stdout != "" {
				t.Errorf("exit %d, stdout %q", r.code, r.stdout)
			}
			if diff := cmp.Diff("error: "+tc.want+"\n", r.stderr); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

// printedSecrets decodes the YAML documents reseal prints.
func printedSecrets(out string) []*lightningv1alpha1.LightningSecret {
	GinkgoHelper()
	var secrets []*lightningv1alpha1.LightningSecret
	for _, doc := range strings.Split(out, "---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		s := &lightningv1alpha1.LightningSecret{}
		Expect(yaml.UnmarshalStrict([]byte(doc), s)).To(Succeed())
		// The manifest for git: what 'secret create' prints, nothing more.
		Expect(doc).NotTo(ContainSubstring("status"))
		Expect(doc).NotTo(ContainSubstring("annotations"))
		Expect(doc).NotTo(ContainSubstring("resourceVersion"))
		secrets = append(secrets, s)
	}
	return secrets
}

var _ = Describe("secret reseal", func() {
	// The real operator runs here (runOperator: operator.Setup, as main.go
	// calls it), so each re-seal request is answered by the LightningSecret
	// controller itself.
	It("--all moves every secret sealed to an older key to the current one, keeps the recovery key, and prints the manifests for git", func() {
		opNS, kr := operatorKeyring()
		recovery := newKey(GinkgoT())
		ns := newNamespace()
		runOperator(opNS, []*sealing.PublicKey{recovery.Public()}, ns)
		Eventually(func() string { return publicKeysConfigMap(opNS)[keyring.PublicDefaultRecipients] }, 20*time.Second).
			ShouldNot(BeEmpty(), "the operator publishes the recovery key")
		old, rid := kr.Current().Private.ID(), recovery.ID()

		values := map[string]string{
			"a-token":    "CANARY-reseal-a-3c1d",
			"b-password": "CANARY-reseal-b-77e0",
			"c-ssh-key":  "CANARY-reseal-c-9f42",
		}
		all := []string{values["a-token"], values["b-password"], values["c-ssh-key"], "CANARY-reseal-legacy-1b7a"}
		for name, v := range values {
			r := klClean(invocation{stdin: v}, all, "secret", "create", name, "-n", ns, "--apply", "--operator-namespace", opNS)
			Expect(ok(r)).To(ContainSubstring("created"))
			Expect(r.stderr).To(HaveSuffix("Sealed to keys " + old + ", " + rid + "\n"))
		}
		By("a v1 value, as the CLI sealed before v2")
		v1, err := sealing.Seal(kr.Current().Private.Public(), sealing.Scope{Namespace: ns, Name: "d-legacy"}, []byte("CANARY-reseal-legacy-1b7a"))
		Expect(err).NotTo(HaveOccurred())
		Expect(k8sClient.Create(ctx, secret.NewSecret(ns, "d-legacy", v1))).To(Succeed())
		By("a copy of another secret's envelope: sealed to the old key, but it does not open")
		Expect(k8sClient.Create(ctx, secret.NewSecret(ns, "e-copied", getSecret(ns, "a-token").Spec.EncryptedValue))).To(Succeed())

		for _, name := range []string{"a-token", "b-password", "c-ssh-key", "d-legacy"} {
			Eventually(secretStatus(ns, name), 20*time.Second).Should(readyWith(old))
		}
		Eventually(secretStatus(ns, "e-copied"), 20*time.Second).Should(HaveField("KeyID", old))

		By("a key rotation; a secret sealed after it needs nothing")
		rotated := rotate(opNS, recovery.Public())
		current := rotated.Current().Private.ID()
		r := klClean(invocation{stdin: "CANARY-fresh"}, []string{"CANARY-fresh"}, "secret", "create", "f-fresh", "-n", ns, "--apply", "--operator-namespace", opNS)
		Expect(r.stderr).To(HaveSuffix("Sealed to keys " + current + ", " + rid + "\n"))
		// It opens once the operator reads the rotated keyring: from then on it re-seals to the new key.
		Eventually(secretStatus(ns, "f-fresh"), 20*time.Second).Should(readyWith(current))

		r = klClean(invocation{}, all, "secret", "reseal", "--all", "-n", ns, "--operator-namespace", opNS)
		Expect(r.code).To(Equal(1))
		lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		Expect(lines).To(HaveLen(7), r.stderr)
		Expect(lines[0]).To(Equal(ns + "/a-token: resealed, now sealed to keys " + current + ", " + rid))
		Expect(lines[1]).To(Equal(ns + "/b-password: resealed, now sealed to keys " + current + ", " + rid))
		Expect(lines[2]).To(Equal(ns + "/c-ssh-key: resealed, now sealed to keys " + current + ", " + rid))
		Expect(lines[3]).To(Equal(ns + "/d-legacy: resealed, now sealed to key " + current))
		Expect(lines[4]).To(Equal(ns + "/e-copied: failed: The value does not open, so it cannot be sealed again (Tampered): sealed value for key " +
			old + " does not open as " + ns + "/e-copied: it was altered, or sealed for another name or namespace"))
		Expect(lines[5]).To(Equal("4 resealed, 0 unchanged, 1 failed, of 5 LightningSecret(s); the current key is " + current +
			". Commit the printed manifest(s) to git, or a GitOps tool will put the old envelope back."))
		Expect(lines[6]).To(Equal("error: 1 of 5 LightningSecret(s) were not re-sealed (see above)"))

		printed := printedSecrets(r.stdout)
		Expect(printed).To(HaveLen(4))
		for i, name := range []string{"a-token", "b-password", "c-ssh-key", "d-legacy"} {
			s := printed[i]
			Expect(s.Namespace + "/" + s.Name).To(Equal(ns + "/" + name))
			live := getSecret(ns, name)
			Expect(s.Spec.EncryptedValue).To(Equal(live.Spec.EncryptedValue), "the printed manifest is what the operator wrote")
			env, err := sealing.ParseEnvelope(s.Spec.EncryptedValue)
			Expect(err).NotTo(HaveOccurred())
			want := values[name]
			if name == "d-legacy" {
				Expect(env.KeyIDs).To(Equal([]string{current}))
				want = "CANARY-reseal-legacy-1b7a"
			} else {
				Expect(env.KeyIDs).To(Equal([]string{current, rid}))
				got, err := sealing.Open(singleKey{recovery}, sealing.Scope{Namespace: ns, Name: name}, s.Spec.EncryptedValue)
				Expect(err).NotTo(HaveOccurred())
				Expect(string(got)).To(Equal(want), "the recovery key still opens it")
			}
			got, err := sealing.Open(keyringOf(rotated.Current().Private), sealing.Scope{Namespace: ns, Name: name}, s.Spec.EncryptedValue)
			Expect(err).NotTo(HaveOccurred())
			Expect(string(got)).To(Equal(want), "the new key alone opens it")
			// Not checked here: status.keyID moving to the new key. The
			// controller can answer a request twice (its spec update comes
			// back before its answer is cached), and the second answer
			// leaves keyID, keyIDs and version as they were until the next
			// keyring change re-checks every secret.
		}
		Expect(getSecret(ns, "f-fresh").Status.Reseal).To(BeNil(), "a secret on the current key is not asked")

		By("again: only the copy is left on the old key; without it, nothing to re-seal")
		Expect(k8sClient.Delete(ctx, getSecret(ns, "e-copied"))).To(Succeed())
		r = klClean(invocation{}, all, "secret", "reseal", "--all", "-n", ns, "--operator-namespace", opNS)
		Expect(ok(r)).To(BeEmpty())
		Expect(r.stderr).To(Equal("Nothing to re-seal: no LightningSecret in namespace '" + ns + "' is sealed to an older key than the current key " + current + "\n"))

		By("one NAME already on the current key: unchanged, and its manifest for git")
		r = klClean(invocation{}, all, "secret", "reseal", "a-token", "-n", ns, "--operator-namespace", opNS)
		Expect(r.stderr).To(Equal(ns + "/a-token: unchanged, sealed to keys " + current + ", " + rid + "\n" +
			"0 resealed, 1 unchanged, 0 failed, of 1 LightningSecret(s); the current key is " + current +
			". Commit the printed manifest(s) to git, or a GitOps tool will put the old envelope back.\n"))
		printed = printedSecrets(ok(r))
		Expect(printed).To(HaveLen(1))
		Expect(printed[0].Spec.EncryptedValue).To(Equal(getSecret(ns, "a-token").Spec.EncryptedValue))

		By("-o name, and a NAME that is not there")
		r = klClean(invocation{}, all, "secret", "reseal", "a-token", "b-password", "-n", ns, "--operator-namespace", opNS, "-o", "name")
		Expect(ok(r)).To(Equal("lightningsecret.lightning.ai/a-token\nlightningsecret.lightning.ai/b-password\n"))
		fails(klClean(invocation{}, nil, "secret", "reseal", "a-token", "nope", "-n", ns, "--operator-namespace", opNS),
			"Secret with name 'nope' not found in namespace '"+ns+"'")
	})

	It("says when the operator gives no answer within --timeout, and exits 1", func() {
		ns := newNamespace()
		createSecret(ns, "lonely", "CANARY-lonely-2c4e") // sealed against the suite's cluster, where no operator runs
		r := klClean(invocation{}, []string{"CANARY-lonely-2c4e"}, "secret", "reseal", "lonely", "-n", ns, "--timeout", "1s")
		Expect(r.code).To(Equal(1))
		Expect(r.stdout).To(BeEmpty())
		Expect(r.stderr).To(Equal(ns + "/lonely: failed: no answer from the operator within 1s (is it running? 'kubectl -n lightning-system get pods'); the request stays, and is answered when it runs\n" +
			"0 resealed, 0 unchanged, 1 failed, of 1 LightningSecret(s); the current key is " + ring.Current().Private.ID() + ".\n" +
			"error: 1 of 1 LightningSecret(s) were not re-sealed (see above)\n"))
		Expect(getSecret(ns, "lonely").Annotations).To(HaveKeyWithValue(lightningv1alpha1.AnnotationResealRequest, MatchRegexp(`^\d{8}T\d{6}Z-[0-9a-f]{8}$`)))
		Expect(getSecret(ns, "lonely").ManagedFields).To(ContainElement(HaveField("Manager", cmdutil.FieldManager)))
	})
})

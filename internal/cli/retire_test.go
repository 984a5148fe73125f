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
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/lightning-operator/lightning-operator/internal/cli"
	"github.com/lightning-operator/lightning-operator/internal/cli/secret"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

func TestKeyringRetireFlags(t *testing.T) {
	tests := []struct {
		name, want string
		args       []string
	}{
		{name: "no KEY_ID", want: "the KEY_ID to retire is required: kubectl lightning keyring retire KEY_ID [--force [--backup-file FILE]] [--yes] [flags]"},
		{name: "not a key ID", args: []string{"35F01DEEAB9522BB"},
			want: "Invalid key ID '35F01DEEAB9522BB': a key ID is 16 lowercase hex characters, as 'kubectl lightning cert -o yaml' lists them"},
		{name: "two key IDs", args: []string{"35f01deeab9522bb", "8e1f0c2a9b3d4e5f"},
			want: "unexpected argument '8e1f0c2a9b3d4e5f': kubectl lightning keyring retire KEY_ID [--force [--backup-file FILE]] [--yes] [flags]"},
		{name: "--backup-file without --force", args: []string{"35f01deeab9522bb", "--backup-file", "b.yaml"},
			want: "--backup-file goes with --force: a forced retire writes a backup first (back up any time with 'kubectl lightning keyring backup')"},
		{name: "bad --secret-name", args: []string{"35f01deeab9522bb", "--secret-name", "Key_Ring"},
			want: "--secret-name: Invalid Secret name 'Key_Ring': a Secret name must contain only lowercase letters, digits, '-' and '.', start and end with a letter or digit, and be at most 253 characters (RFC 1123)"},
		{name: "the cluster is needed", args: []string{"35f01deeab9522bb"}, want: "reading the kubeconfig: no cluster in unit tests"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(invocation{stdin: "y\n"}, append([]string{"keyring", "retire"}, tc.args...)...)
			if r.code != 1 || r.stdout != "" {
				t.Errorf("exit %d, stdout %q", r.code, r.stdout)
			}
			if diff := cmp.Diff("error: "+tc.want+"\n", r.stderr); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

// sealDirect creates a LightningSecret sealed to pubs, as an older
// 'secret create' did, without the CLI.
func sealDirect(ns, name, value string, pubs ...*sealing.PublicKey) {
	GinkgoHelper()
	env, err := sealing.SealTo(pubs, sealing.Scope{Namespace: ns, Name: name}, []byte(value))
	Expect(err).NotTo(HaveOccurred())
	Expect(k8sClient.Create(ctx, secret.NewSecret(ns, name, env))).To(Succeed())
}

func keyringIDs(opNS string) []string {
	GinkgoHelper()
	kr, err := keyring.Unmarshal(keyringSecret(opNS).Data)
	Expect(err).NotTo(HaveOccurred())
	return kr.IDs()
}

// inDir runs the rest of the spec in a new temporary directory.
func inDir() string {
	GinkgoHelper()
	dir := GinkgoT().TempDir()
	wd, err := os.Getwd()
	Expect(err).NotTo(HaveOccurred())
	Expect(os.Chdir(dir)).To(Succeed())
	DeferCleanup(func() { Expect(os.Chdir(wd)).To(Succeed()) })
	return dir
}

var _ = Describe("keyring retire", func() {
	It("refuses the current key and a key anything is sealed to, naming the secrets; retires it once all are re-sealed", func() {
		opNS, kr := operatorKeyring()
		ns := newNamespace()
		old := kr.Current().Private.ID()
		var values []string
		for i := range 11 {
			v := fmt.Sprintf("CANARY-retire-%02d-8d3e", i)
			values = append(values, v)
			sealDirect(ns, fmt.Sprintf("s-%02d", i), v, kr.Current().Private.Public())
		}
		runOperator(opNS, nil, ns)
		rotated := rotate(opNS)
		current := rotated.Current().Private.ID()
		args := func(id string, more ...string) []string {
			return append([]string{"keyring", "retire", id, "--operator-namespace", opNS}, more...)
		}

		By("the current key")
		fails(klClean(invocation{stdin: "y\n"}, values, args(current)...),
			"key "+current+" is the current key, which new values are sealed to; rotate first (--key-cutoff), then retire it")
		By("a key eleven secrets are sealed to: ten are named")
		var named []string
		for i := range 10 {
			named = append(named, fmt.Sprintf("%s/s-%02d", ns, i))
		}
		refusal := "key " + old + " is still in use: 11 LightningSecret(s) are sealed to it: " + strings.Join(named, ", ") +
			" and 1 more; re-seal them to the current key first ('kubectl lightning secret reseal --all -A'), or retire it anyway with --force"
		fails(klClean(invocation{stdin: "y\n"}, values, args(old)...), refusal)
		By("the status is not trusted: a secret whose status says the current key, but whose envelope names the old one")
		s := getSecret(ns, "s-10")
		s.Status.KeyID, s.Status.KeyIDs = current, []string{current}
		Expect(k8sClient.Status().Update(ctx, s)).To(Succeed())
		fails(klClean(invocation{stdin: "y\n"}, values, args(old)...), refusal)
		By("a key that is not in the keyring")
		fails(klClean(invocation{stdin: "y\n"}, values, args("0123456789abcdef")...),
			"key 0123456789abcdef is not in the keyring (its keys: "+old+", "+current+")")
		Expect(keyringIDs(opNS)).To(Equal([]string{old, current}))

		By("re-sealing every secret to the current key, by the operator")
		// The operator reads the rotated keyring before it is asked.
		sealDirect(ns, "probe", "probe-value", rotated.Current().Private.Public())
		Eventually(secretStatus(ns, "probe"), 20*time.Second).Should(readyWith(current))
		r := klClean(invocation{}, values, "secret", "reseal", "--all", "-n", ns, "--operator-namespace", opNS, "-o", "name")
		Expect(ok(r)).To(HaveLen(11 * len("lightningsecret.lightning.ai/s-00\n")))
		Expect(r.stderr).To(HaveSuffix("11 resealed, 0 unchanged, 0 failed, of 11 LightningSecret(s); the current key is " + current +
			". Commit the printed manifest(s) to git, or a GitOps tool will put the old envelope back.\n"))

		By("asked, and not confirmed")
		prompt := "Retire key " + old + " from keyring Secret " + opNS + "/lightning-operator-keyring (" + describe(rotated) +
			")? Values sealed only to it will not open any more. [y/N] "
		r = klClean(invocation{stdin: "n\n"}, values, args(old)...)
		Expect(r.code).To(Equal(1))
		Expect(r.stderr).To(Equal(prompt + "error: aborted: keyring Secret " + opNS + "/lightning-operator-keyring is unchanged\n"))
		r = klClean(invocation{}, values, args(old)...)
		Expect(r.stderr).To(Equal(prompt + "\nerror: aborted: no answer on stdin; keyring Secret " + opNS +
			"/lightning-operator-keyring is unchanged (use --yes to go on without asking)\n"))
		Expect(keyringIDs(opNS)).To(Equal([]string{old, current}))

		By("confirmed: retired")
		r = klClean(invocation{stdin: "y\n"}, values, args(old)...)
		Expect(ok(r)).To(Equal("Retired key " + old + " from keyring Secret " + opNS + "/lightning-operator-keyring: 1 key (ID " + current +
			"), version key " + rotated.VersionKey().ID() + " left. The operator's leader republishes ConfigMap " + opNS +
			"/lightning-operator-public-keys without it at its next key check (every minute by default).\n"))
		Expect(r.stderr).To(Equal(prompt))
		Expect(keyringIDs(opNS)).To(Equal([]string{current}))
		Expect(keyringSecret(opNS).Data[keyring.VersionKeyEntry]).To(Equal(rotated.Marshal()[keyring.VersionKeyEntry]), "the version key is kept")

		By("the operator republishes the public keys without it, and every secret still opens")
		Eventually(func() string { return publicKeysConfigMap(opNS)[keyring.PublicKeysPEM] }, 20*time.Second).
			Should(Equal(string(sealing.EncodePublicKeysPEM([]*sealing.PublicKey{rotated.Current().Private.Public()}))))
		out := ok(klClean(invocation{}, nil, "cert", "-o", "yaml", "--operator-namespace", opNS))
		Expect(out).NotTo(ContainSubstring(old))
		for i := range 11 {
			Eventually(secretStatus(ns, fmt.Sprintf("s-%02d", i)), 20*time.Second).Should(readyWith(current))
		}
		fails(klClean(invocation{stdin: "y\n"}, values, args(old, "--yes")...),
			"key "+old+" is not in the keyring (its keys: "+current+")")
	})

	It("--force retires a key in use, with a warning, after writing a backup; the backup puts it back", func() {
		opNS, kr := operatorKeyring()
		ns := newNamespace()
		old := kr.Current().Private.ID()
		const value = "CANARY-forced-51aa"
		sealDirect(ns, "stuck", value, kr.Current().Private.Public())
		rotated := rotate(opNS)
		current := rotated.Current().Private.ID()
		dir := inDir()
		now := func() time.Time { return time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC) }
		inv := func(stdin string) invocation { return invocation{stdin: stdin, opts: cli.Options{Now: now}} }
		args := []string{"keyring", "retire", old, "--force", "--operator-namespace", opNS}
		warning := "Warning: retiring key " + old + " although 1 LightningSecret(s) are sealed to it (" + ns +
			"/stuck): those sealed to no other key of this cluster will not open any more (KeyNotFound).\n"

		By("not confirmed: no backup, nothing retired")
		r := klClean(inv("no\n"), []string{value}, args...)
		Expect(r.code).To(Equal(1))
		Expect(r.stderr).To(HavePrefix(warning))
		Expect(os.ReadDir(dir)).To(BeEmpty())
		Expect(keyringIDs(opNS)).To(Equal([]string{old, current}))

		By("--yes: the backup first, then the retire")
		r = klClean(inv(""), []string{value}, append(args, "--yes")...)
		backup := "keyring-backup-20260304T050607Z.yaml"
		Expect(ok(r)).To(Equal("Wrote keyring backup " + backup + " (mode 0600) before retiring: " + describe(rotated) + "\n" +
			"Retired key " + old + " from keyring Secret " + opNS + "/lightning-operator-keyring: 1 key (ID " + current + "), version key " +
			rotated.VersionKey().ID() + " left. The operator's leader republishes ConfigMap " + opNS +
			"/lightning-operator-public-keys without it at its next key check (every minute by default).\n"))
		Expect(r.stderr).To(Equal(warning))
		Expect(keyringIDs(opNS)).To(Equal([]string{current}))
		info, err := os.Stat(filepath.Join(dir, backup))
		Expect(err).NotTo(HaveOccurred())
		Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))
		saved := &corev1.Secret{}
		Expect(yaml.UnmarshalStrict(mustRead(filepath.Join(dir, backup)), saved)).To(Succeed())
		savedRing, err := keyring.Unmarshal(saved.Data)
		Expect(err).NotTo(HaveOccurred())
		Expect(savedRing.IDs()).To(Equal([]string{old, current}), "the backup is the keyring before the retire")
		_, err = sealing.Open(savedRing, sealing.Scope{Namespace: ns, Name: "stuck"}, getSecret(ns, "stuck").Spec.EncryptedValue)
		Expect(err).NotTo(HaveOccurred())

		By("a --backup-file that exists is never overwritten, and nothing is retired")
		rotated2 := rotate(opNS)
		fails(klClean(inv(""), []string{value}, "keyring", "retire", current, "--force", "--yes", "--backup-file", backup, "--operator-namespace", opNS),
			backup+" already exists: a backup is never written over a file; choose another --backup-file; nothing was retired")
		Expect(keyringIDs(opNS)).To(Equal(rotated2.IDs()))

		By("keyring restore puts the retired key back")
		r = klClean(inv(""), []string{value}, "keyring", "restore", "-f", backup, "--yes")
		Expect(ok(r)).To(HavePrefix("Restored keyring Secret " + opNS + "/lightning-operator-keyring from " + backup + ": " + describe(rotated)))
		Expect(keyringIDs(opNS)).To(Equal([]string{old, current}))
	})
})

func TestNewCommandsHelp(t *testing.T) {
	for _, args := range [][]string{
		{"recovery-key"}, {"recovery-key", "generate", "-h"}, {"secret", "recover", "-h"},
		{"secret", "reseal", "--help"}, {"keyring", "retire", "-h"},
	} {
		r := runCLI(invocation{}, args...)
		if r.code != 0 || r.stderr != "" {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
		words := args
		if strings.HasPrefix(words[len(words)-1], "-") {
			words = words[:len(words)-1]
		}
		if !strings.Contains(r.stdout, "kubectl lightning "+strings.Join(words, " ")) {
			t.Errorf("%v: help does not show its command: %q", args, r.stdout)
		}
		if len(args) > 1 && !strings.Contains(r.stdout, "Examples:\n  # ") {
			t.Errorf("%v: help has no kubectl-style examples", args)
		}
	}
}

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
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/cli"
	"github.com/lightning-operator/lightning-operator/internal/cli/cert"
	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
	"github.com/lightning-operator/lightning-operator/internal/cli/secret"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

const image = "registry.example/my-app:1.0"

// ok expects exit 0 and returns stdout.
func ok(r result) string {
	GinkgoHelper()
	Expect(r.code).To(Equal(0), "stderr: %s", r.stderr)
	return r.stdout
}

// fails expects exit 1 with exactly one error line, and nothing on stdout.
func fails(r result, msg string) {
	GinkgoHelper()
	Expect(r.code).To(Equal(1))
	Expect(r.stdout).To(BeEmpty())
	Expect(r.stderr).To(Equal("error: " + msg + "\n"))
}

func getApp(ns, name string) *lightningv1alpha1.LightningApp {
	GinkgoHelper()
	a := &lightningv1alpha1.LightningApp{}
	Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, a)).To(Succeed())
	return a
}

func getSecret(ns, name string) *lightningv1alpha1.LightningSecret {
	GinkgoHelper()
	s := &lightningv1alpha1.LightningSecret{}
	Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, s)).To(Succeed())
	return s
}

// storedJSON is the object as the apiserver stores and serves it.
func storedJSON(ns, name string) string {
	GinkgoHelper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(lightningv1alpha1.GroupVersion.WithKind("LightningSecret"))
	Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, u)).To(Succeed())
	b, err := json.Marshal(u.Object)
	Expect(err).NotTo(HaveOccurred())
	return string(b)
}

func opens(kr *keyring.Keyring, ns, name, want string) {
	GinkgoHelper()
	got, err := sealing.Open(kr, sealing.Scope{Namespace: ns, Name: name}, getSecret(ns, name).Spec.EncryptedValue)
	Expect(err).NotTo(HaveOccurred())
	Expect(string(got)).To(Equal(want))
}

func appliedBy(managed []metav1.ManagedFieldsEntry) []string {
	var managers []string
	for _, m := range managed {
		if m.Operation == metav1.ManagedFieldsOperationApply {
			managers = append(managers, m.Manager)
		}
	}
	return managers
}

func createSecret(ns, name, value string) {
	GinkgoHelper()
	Expect(ok(kl(value, "secret", "create", name, "-n", ns, "--apply"))).
		To(Equal("lightningsecret.lightning.ai/" + name + " created\n"))
}

func setSecretStatus(ns, name string, status metav1.ConditionStatus, reason string, usedBy ...string) {
	GinkgoHelper()
	s := getSecret(ns, name)
	meta.SetStatusCondition(&s.Status.Conditions, metav1.Condition{
		Type: lightningv1alpha1.ConditionReady, Status: status, Reason: reason,
		Message: "set by the test", ObservedGeneration: s.Generation,
	})
	s.Status.KeyID = ring.Current().Private.ID()
	s.Status.UsedBy = usedBy
	Expect(k8sClient.Status().Update(ctx, s)).To(Succeed())
}

var _ = Describe("run app", func() {
	It("prints manifests the apiserver accepts (every golden file, created for real)", func() {
		for _, tc := range goldenCases {
			data, err := os.ReadFile(goldenPath(tc.name))
			Expect(err).NotTo(HaveOccurred())
			u := &unstructured.Unstructured{}
			Expect(yaml.Unmarshal(data, &u.Object)).To(Succeed(), tc.name)
			u.SetNamespace(newNamespace())
			Expect(k8sClient.Create(ctx, u)).To(Succeed(), tc.name)
			Expect(u.GetUID()).NotTo(BeEmpty())
		}
	})

	It("applies with server-side apply, idempotently", func() {
		ns := newNamespace()
		createSecret(ns, "my-secret", "s3cr3t")
		args := []string{"run", "app", appFile, "--cloud", "--image", image, "-n", ns,
			"--env", "FOO=bar", "--secret", "MY_APP_SECRET=my-secret", "--apply"}

		Expect(ok(kl("", args...))).To(Equal("lightningapp.lightning.ai/my-app created\n"))
		first := getApp(ns, "my-app")
		Expect(appliedBy(first.ManagedFields)).To(Equal([]string{cmdutil.FieldManager}))
		Expect(first.Spec.Secrets).To(Equal([]lightningv1alpha1.SecretEnvVar{{Name: "MY_APP_SECRET", SecretRef: "my-secret"}}))

		By("applying the same command again")
		Expect(ok(kl("", args...))).To(Equal("lightningapp.lightning.ai/my-app unchanged\n"))
		second := getApp(ns, "my-app")
		Expect(second.ResourceVersion).To(Equal(first.ResourceVersion))
		Expect(second.Generation).To(Equal(first.Generation))

		By("changing a value")
		changed := append(append([]string{}, args[:len(args)-1]...), "--env", "NEW=1", "--apply")
		Expect(ok(kl("", changed...))).To(Equal("lightningapp.lightning.ai/my-app configured\n"))
		third := getApp(ns, "my-app")
		Expect(third.Generation).To(Equal(first.Generation + 1))
		Expect(third.Spec.Env).To(ContainElement(lightningv1alpha1.EnvVar{Name: "NEW", Value: "1"}))

		By("dropping a flag removes the field it set (server-side apply owns what it sent)")
		Expect(ok(kl("", args...))).To(Equal("lightningapp.lightning.ai/my-app configured\n"))
		Expect(getApp(ns, "my-app").Spec.Env).To(Equal([]lightningv1alpha1.EnvVar{{Name: "FOO", Value: "bar"}}))

		By("printing the applied object with -o")
		out := ok(kl("", append(args, "-o", "yaml")...))
		Expect(out).To(ContainSubstring("resourceVersion:"))
		Expect(out).NotTo(ContainSubstring("managedFields"))
	})

	It("refuses a secret that does not exist, with --apply and with --dry-run=server", func() {
		ns := newNamespace()
		createSecret(ns, "present", "v")
		for _, mode := range []string{"--apply", "--dry-run=server"} {
			fails(kl("", "run", "app", appFile, "--cloud", "--image", image, "-n", ns,
				"--secret", "A=present", "--secret", "B=missing-secret", mode),
				"Secret with name 'missing-secret' not found")
		}
		err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "my-app"}, &lightningv1alpha1.LightningApp{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the app was created: %v", err)
	})

	It("--dry-run=server prints the manifest after a server dry run, and warns about a secret that does not open", func() {
		ns := newNamespace()
		createSecret(ns, "my-secret", "v")
		args := []string{"run", "app", appFile, "--cloud", "--image", image, "-n", ns, "--secret", "S=my-secret"}
		plain := ok(kl("", args...))
		r := kl("", append(args, "--dry-run=server")...)
		Expect(ok(r)).To(Equal(plain))
		Expect(r.stderr).To(BeEmpty())
		err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "my-app"}, &lightningv1alpha1.LightningApp{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "--dry-run=server created the app: %v", err)

		By("--check, deprecated, is --dry-run=server")
		r = kl("", append(args, "--check")...)
		Expect(ok(r)).To(Equal(plain))
		Expect(r.stderr).To(Equal("Flag --check has been deprecated, use --dry-run=server instead\n"))

		By("with --apply, the line of a server dry run; nothing is created")
		r = kl("", append(args, "--apply", "--dry-run=server")...)
		Expect(ok(r)).To(Equal("lightningapp.lightning.ai/my-app created (server dry run)\n"))
		err = k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "my-app"}, &lightningv1alpha1.LightningApp{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "--apply --dry-run=server created the app: %v", err)
		ok(kl("", append(args, "--apply")...))
		Expect(ok(kl("", append(args, "--apply", "--dry-run=server", "--env", "X=1")...))).
			To(Equal("lightningapp.lightning.ai/my-app configured (server dry run)\n"))
		Expect(getApp(ns, "my-app").Spec.Env).To(BeEmpty())

		setSecretStatus(ns, "my-secret", metav1.ConditionFalse, lightningv1alpha1.ReasonKeyNotFound)
		r = kl("", append(args, "--dry-run=server")...)
		Expect(ok(r)).To(Equal(plain))
		Expect(r.stderr).To(Equal("Warning: secret 'my-secret' is not ready (KeyNotFound): set by the test\n"))
	})

	It("takes the namespace from the kubeconfig context when -n is not given", func() {
		ns := newNamespace()
		cfg, err := clientcmd.LoadFromFile(kubeconfig)
		Expect(err).NotTo(HaveOccurred())
		cfg.Contexts[cfg.CurrentContext].Namespace = ns
		path := filepath.Join(GinkgoT().TempDir(), "kubeconfig")
		Expect(clientcmd.WriteToFile(*cfg, path)).To(Succeed())
		r := runCLI(invocation{kubeconfigFlags: true}, "run", "app", appFile, "--image", image, "--kubeconfig", path, "--apply")
		Expect(ok(r)).To(Equal("lightningapp.lightning.ai/my-app created\n"))
		Expect(getApp(ns, "my-app").Spec.Image).To(Equal(image))
	})

	It("uses an injected rest.Config", func() {
		ns := newNamespace()
		r := runCLI(invocation{opts: cli.Options{RESTConfig: func() (*rest.Config, error) { return restConfig, nil }}},
			"run", "app", appFile, "--image", image, "-n", ns, "--apply")
		Expect(ok(r)).To(Equal("lightningapp.lightning.ai/my-app created\n"))
	})
})

var _ = Describe("secret create", func() {
	const canary = "CANARY-value-7d41b0c9-must-never-appear"

	It("seals stdin to the cluster's published key; the stored value opens and the canary is nowhere", func() {
		ns := newNamespace()
		r := kl(canary+"\n", "secret", "create", "db-password", "-n", ns, "--apply")
		Expect(ok(r)).To(Equal("lightningsecret.lightning.ai/db-password created\n"))
		Expect(r.stderr).To(Equal("Sealed to key " + ring.Current().Private.ID() + "\n"))
		stored := storedJSON(ns, "db-password")
		Expect(stored).NotTo(ContainSubstring(canary))
		Expect(stored).To(ContainSubstring(`"v2:` + ring.Current().Private.ID() + `:`))
		Expect(appliedBy(getSecret(ns, "db-password").ManagedFields)).To(Equal([]string{cmdutil.FieldManager}))
		opens(ring, ns, "db-password", canary)

		By("printing instead of applying: the manifest is accepted and opens")
		r = kl(canary, "secret", "create", "printed", "-n", ns)
		out := ok(r)
		Expect(out + r.stderr).NotTo(ContainSubstring(canary))
		u := &unstructured.Unstructured{}
		Expect(yaml.Unmarshal([]byte(out), &u.Object)).To(Succeed())
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		Expect(storedJSON(ns, "printed")).NotTo(ContainSubstring(canary))
		opens(ring, ns, "printed", canary)
	})

	It("seals offline with --cert, without contacting the cluster; the value opens", func() {
		ns := newNamespace()
		cert := filepath.Join(GinkgoT().TempDir(), "lightning.pem")
		Expect(os.WriteFile(cert, []byte(ring.PublicData()[keyring.PublicKeysPEM]), 0o644)).To(Succeed())

		// No kubeconfig: any cluster access would fail.
		r := runCLI(invocation{stdin: canary}, "secret", "create", "offline", "-n", ns, "--cert", cert, "-o", "json")
		out := ok(r)
		Expect(out + r.stderr).NotTo(ContainSubstring(canary))
		u := &unstructured.Unstructured{}
		Expect(json.Unmarshal([]byte(out), &u.Object)).To(Succeed())
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		Expect(storedJSON(ns, "offline")).NotTo(ContainSubstring(canary))
		opens(ring, ns, "offline", canary)

		By("--cert with --apply")
		r = kl(canary, "secret", "create", "offline-applied", "-n", ns, "--cert", cert, "--apply")
		Expect(ok(r) + r.stderr).NotTo(ContainSubstring(canary))
		opens(ring, ns, "offline-applied", canary)
	})

	It("does not replace an existing value unless --overwrite", func() {
		ns := newNamespace()
		createSecret(ns, "token", "first")
		fails(kl("second", "secret", "create", "token", "-n", ns, "--apply"),
			"secret 'token' already exists in namespace '"+ns+"'; use --overwrite to replace its value")
		opens(ring, ns, "token", "first")
		Expect(ok(kl("second", "secret", "create", "token", "-n", ns, "--apply", "--overwrite"))).
			To(Equal("lightningsecret.lightning.ai/token configured\n"))
		opens(ring, ns, "token", "second")

		By("overwriting a secret another tool created")
		s := secret.NewSecret(ns, "from-kubectl", getSecret(ns, "token").Spec.EncryptedValue)
		Expect(k8sClient.Create(ctx, s)).To(Succeed())
		Expect(ok(kl("third", "secret", "create", "from-kubectl", "-n", ns, "--apply", "--overwrite"))).
			To(Equal("lightningsecret.lightning.ai/from-kubectl configured\n"))
		opens(ring, ns, "from-kubectl", "third")
	})

	It("seals to the newest key after a rotation, and cert lists every key", func() {
		opNS := newNamespace()
		kr, err := keyring.New(time.Now().Add(-time.Hour))
		Expect(err).NotTo(HaveOccurred())
		rotated, err := kr.Rotate(time.Now())
		Expect(err).NotTo(HaveOccurred())
		publishKeys(opNS, rotated)

		out := ok(kl("", "cert", "--operator-namespace", opNS))
		Expect(out).To(Equal(rotated.PublicData()[keyring.PublicKeysPEM]))
		keys, err := sealing.ParsePublicKeysPEM([]byte(out))
		Expect(err).NotTo(HaveOccurred())
		Expect(keys).To(HaveLen(2))

		ns := newNamespace()
		Expect(ok(kl("v", "secret", "create", "rotated", "-n", ns, "--apply", "--operator-namespace", opNS))).
			To(ContainSubstring("created"))
		Expect(getSecret(ns, "rotated").Spec.EncryptedValue).To(HavePrefix("v2:" + rotated.Current().Private.ID() + ":"))
		opens(rotated, ns, "rotated", "v")
	})

	It("explains a missing or broken public-key ConfigMap", func() {
		fails(kl("v", "secret", "create", "x", "-n", "default", "--operator-namespace", "nowhere"),
			"the operator's public keys are not published: ConfigMap nowhere/lightning-operator-public-keys not found; is lightning-operator installed there? (use --operator-namespace, or seal offline with --cert FILE)")
		opNS := newNamespace()
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: opNS, Name: cmdutil.PublicKeysConfigMap},
			Data: map[string]string{"keys.pem": "garbage"}}
		Expect(k8sClient.Create(ctx, cm)).To(Succeed())
		r := kl("v", "secret", "create", "x", "-n", "default", "--operator-namespace", opNS)
		Expect(r.code).To(Equal(1))
		Expect(r.stderr).To(HavePrefix("error: ConfigMap " + opNS + "/lightning-operator-public-keys does not hold valid public keys: "))
		Expect(strings.Count(r.stderr, "\n")).To(Equal(1))
	})
})

var _ = Describe("secret list", func() {
	It("shows readiness, key and users, never a value", func() {
		ns := newNamespace()
		for _, name := range []string{"a-ready", "b-new", "c-referenced"} {
			createSecret(ns, name, "value-of-"+name)
		}
		setSecretStatus(ns, "a-ready", metav1.ConditionTrue, lightningv1alpha1.ReasonSealed, "app-1")
		ok(kl("", "run", "app", appFile, "--cloud", "--image", image, "-n", ns, "--name", "app-2",
			"--secret", "X=c-referenced", "--secret", "Y=a-ready", "--apply"))

		created := getSecret(ns, "c-referenced").CreationTimestamp.Time
		now := func() time.Time { return created.Add(3*time.Hour + 20*time.Second) }
		r := klWith(invocation{opts: cli.Options{Now: now}}, "secret", "list", "-n", ns)
		out := ok(r)
		Expect(out).NotTo(ContainSubstring("v2:"))
		id := ring.Current().Private.ID()
		Expect(rows(out)).To(Equal([][]string{
			{"NAME", "READY", "REASON", "KEY", "ID", "USED", "BY", "AGE"},
			{"a-ready", "True", "Sealed", id, "app-1,app-2", "3h"},
			{"b-new", "Unknown", "<none>", "<none>", "<none>", "3h"},
			{"c-referenced", "Unknown", "<none>", "<none>", "app-2", "3h"},
		}))
		lines := strings.Split(out, "\n")
		Expect(strings.Index(lines[0], "AGE")).To(Equal(strings.Index(lines[1], "3h")), "columns are aligned:\n%s", out)

		By("listing every namespace")
		other := newNamespace()
		createSecret(other, "elsewhere", "v")
		out = ok(klWith(invocation{opts: cli.Options{Now: now}}, "secret", "list", "-A"))
		all := rows(out)
		Expect(all[0][0]).To(Equal("NAMESPACE"))
		Expect(all).To(ContainElement([]string{ns, "b-new", "Unknown", "<none>", "<none>", "<none>", "3h"}))
		Expect(all).To(ContainElement(HaveExactElements(other, "elsewhere", "Unknown", "<none>", "<none>", "<none>", Not(BeEmpty()))))

		By("an empty namespace")
		empty := newNamespace()
		r = kl("", "secret", "list", "-n", empty)
		Expect(ok(r)).To(BeEmpty())
		Expect(r.stderr).To(Equal("No resources found in " + empty + " namespace.\n"))
	})
})

// rows splits a table into its whitespace-separated cells.
func rows(table string) [][]string {
	var out [][]string
	for _, line := range strings.Split(strings.TrimSuffix(table, "\n"), "\n") {
		out = append(out, strings.Fields(line))
	}
	return out
}

var _ = Describe("secret delete", func() {
	It("refuses while apps use the secret, unless --force", func() {
		ns := newNamespace()
		createSecret(ns, "by-status", "v")
		createSecret(ns, "by-spec", "v")
		createSecret(ns, "unused", "v")
		setSecretStatus(ns, "by-status", metav1.ConditionTrue, lightningv1alpha1.ReasonSealed, "old-app")
		ok(kl("", "run", "app", appFile, "--cloud", "--image", image, "-n", ns, "--name", "app-a",
			"--secret", "X=by-spec", "--apply"))
		ok(kl("", "run", "app", appFile, "--cloud", "--image", image, "-n", ns, "--name", "app-b",
			"--secret", "X=by-spec", "--secret", "Y=by-status", "--apply"))

		fails(kl("", "secret", "delete", "by-spec", "-n", ns),
			"secret 'by-spec' is used by apps 'app-a', 'app-b'; remove the reference from the apps first, or delete it anyway with --force")
		fails(kl("", "secret", "delete", "by-status", "-n", ns),
			"secret 'by-status' is used by apps 'app-b', 'old-app'; remove the reference from the apps first, or delete it anyway with --force")
		getSecret(ns, "by-spec")
		getSecret(ns, "by-status")

		r := kl("", "secret", "delete", "by-spec", "-n", ns, "--force")
		Expect(ok(r)).To(Equal(`lightningsecret.lightning.ai "by-spec" deleted` + "\n"))
		Expect(r.stderr).To(Equal("Warning: secret 'by-spec' is still used by apps 'app-a', 'app-b'; they will report SecretNotFound.\n"))
		err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "by-spec"}, &lightningv1alpha1.LightningSecret{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue())

		r = kl("", "secret", "delete", "unused", "-n", ns)
		Expect(ok(r)).To(Equal(`lightningsecret.lightning.ai "unused" deleted` + "\n"))
		Expect(r.stderr).To(BeEmpty())

		fails(kl("", "secret", "delete", "unused", "-n", ns), "Secret with name 'unused' not found in namespace '"+ns+"'")
		fails(kl("", "secret", "delete", "Bad_Name", "-n", ns),
			`Invalid secret name 'Bad_Name': a secret name must start with a lowercase letter, contain only lowercase letters, digits, '-' and '.', end with a letter or digit, and be at most 253 characters (RFC 1123); did you mean "bad-name"?`)
	})
})

var _ = Describe("cert", func() {
	It("prints the published public keys, or writes them to a file", func() {
		want := ring.PublicData()[keyring.PublicKeysPEM]
		Expect(ok(kl("", "cert"))).To(Equal(want))

		file := filepath.Join(GinkgoT().TempDir(), "lightning.pem")
		r := kl("", "cert", "-f", file)
		Expect(ok(r)).To(BeEmpty())
		Expect(r.stderr).To(Equal("Wrote 1 public key(s) to " + file + "; the current key is " + ring.Current().Private.ID() + ".\n"))
		got, err := os.ReadFile(file)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(got)).To(Equal(want))

		By("the old -o FILE, with a warning")
		old := filepath.Join(GinkgoT().TempDir(), "old.pem")
		r = kl("", "cert", "-o", old)
		Expect(ok(r)).To(BeEmpty())
		Expect(r.stderr).To(Equal("Warning: 'cert -o FILE' is deprecated: -o is the output format now; use 'cert -f " + old + "'.\n" +
			"Wrote 1 public key(s) to " + old + "; the current key is " + ring.Current().Private.ID() + ".\n"))
		got, err = os.ReadFile(old)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(got)).To(Equal(want))
		Expect(ok(kl("", "cert", "-o", "-"))).To(Equal(want))

		By("-o json and -o yaml: the key IDs and the PEM")
		id := ring.Current().Private.ID()
		for _, format := range []string{"json", "yaml"} {
			var c cert.Output
			Expect(yaml.UnmarshalStrict([]byte(ok(kl("", "cert", "-o", format))), &c)).To(Succeed(), format)
			Expect(c).To(Equal(cert.Output{CurrentKeyID: id, Keys: []cert.Key{
				{KeyID: id, Suite: sealing.Suite, PEM: want},
			}}), format)
		}
		jsonFile := filepath.Join(GinkgoT().TempDir(), "keys.json")
		ok(kl("", "cert", "-o", "json", "-f", jsonFile))
		got, err = os.ReadFile(jsonFile)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(got)).To(Equal(ok(kl("", "cert", "-o", "json"))))
	})
})

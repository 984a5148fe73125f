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
	"bytes"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/limits"
)

// The issue's own command, at the limit and one byte over: what the CLI
// seals, the apiserver stores, the operator opens and an app's Secret holds.
var _ = Describe("secret create at the value limit", func() {
	It("applies the largest value from a file, which opens and reaches an app's Secret byte for byte; one byte more and a NUL are refused in one line, and nothing is written", func() {
		opNS, _ := operatorKeyring()
		ns := newNamespace()
		runOperator(opNS, nil, ns)
		dir := GinkgoT().TempDir()
		write := func(name string, b []byte) string {
			path := filepath.Join(dir, name)
			Expect(os.WriteFile(path, b, 0o600)).To(Succeed())
			return path
		}
		// Every byte value but NUL, and a trailing newline, as a PEM file has.
		value := make([]byte, limits.MaxValue)
		for i := range value {
			value[i] = byte(1 + i%255)
		}
		value[len(value)-1] = '\n'
		atLimit := write("at-limit", value)
		create := func(name, file string) result {
			return kl("", "secret", "create", name, "-n", ns, "--from-file", file, "--apply", "--operator-namespace", opNS)
		}

		Expect(ok(create("s-max", atLimit))).To(Equal("lightningsecret.lightning.ai/s-max created\n"))
		Eventually(secretStatus(ns, "s-max"), 20*time.Second).Should(WithTransform(func(s lightningv1alpha1.LightningSecretStatus) string {
			c := meta.FindStatusCondition(s.Conditions, lightningv1alpha1.ConditionReady)
			if c == nil {
				return ""
			}
			return string(c.Status) + "/" + c.Reason
		}, Equal("True/Sealed")))

		By("an app maps it under a one-character name: its Secret holds the file's bytes")
		r := kl("", "run", "app", appFile, "--cloud", "--image", image, "--name", "limit-app", "-n", ns, "--secret", "V=s-max", "--apply")
		ok(r)
		var secret *corev1.Secret
		Eventually(func() []byte {
			a := &lightningv1alpha1.LightningApp{}
			if err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "limit-app"}, a); err != nil || a.Status.SecretName == "" {
				return nil
			}
			secret = &corev1.Secret{}
			if err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: a.Status.SecretName}, secret); err != nil {
				return nil
			}
			return secret.Data["V"]
		}, 20*time.Second).ShouldNot(BeNil())
		Expect(bytes.Equal(secret.Data["V"], value)).To(BeTrue(), "the app's Secret does not hold the file's bytes")

		By("one byte more, and a NUL: one line each, and no LightningSecret")
		fails(create("s-over", write("over", append(bytes.Clone(value), 'x'))),
			"the value is 131070 bytes, more than the 131069 an environment variable can carry: "+
				"Linux passes at most 131072 bytes (MAX_ARG_STRLEN) for NAME=value and its NUL, so 131069 under a one-character name")
		fails(create("s-nul", write("nul", []byte("before\x00after"))),
			"the 12-byte value holds a NUL byte, which an environment variable cannot carry: each NAME=value string ends at its first NUL")
		for _, name := range []string{"s-over", "s-nul"} {
			err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &lightningv1alpha1.LightningSecret{})
			Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%s was written: %v", name, err)
		}
	})
})

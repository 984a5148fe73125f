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

package controllers_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/limits"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
	"github.com/lightning-operator/lightning-operator/test/builders"
)

// envValue is size random bytes with no NUL: every other byte value, as a
// binary key or a PEM file could hold.
func envValue(size int) []byte {
	b := make([]byte, size)
	_, _ = rand.Read(b)
	for i, c := range b {
		if c == 0 {
			b[i] = 1
		}
	}
	return b
}

// sealedValue seals value for ns/name to the cluster's key and others.
func sealedValue(pubs []*sealing.PublicKey, ns, name string, value []byte) *lightningv1alpha1.LightningSecret {
	env, err := sealing.SealTo(pubs, sealing.Scope{Namespace: ns, Name: name}, value)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return builders.SealedSecret(ns, name, env).Obj()
}

// appSecrets are the Secrets the operator made for app.
func appSecrets(ctx context.Context, ns, app string) []corev1.Secret {
	list := &corev1.SecretList{}
	ExpectWithOffset(1, k8sClient.List(ctx, list, client.InNamespace(ns), client.MatchingLabels{lightningv1alpha1.LabelApp: app})).To(Succeed())
	return list.Items
}

func appConditions(ctx context.Context, ns, name string) func() []metav1.Condition {
	return func() []metav1.Condition { return getApp(ctx, ns, name)().Status.Conditions }
}

var _ = Describe("Value limits", Ordered, func() {
	var (
		ctx context.Context
		mgr *runningManager
		pub *sealing.PublicKey
	)
	BeforeAll(func() {
		ctx = context.Background()
		mgr = startManager(managerOptions{})
		pub = currentPublicKey(ctx)
	})
	AfterAll(func() { mgr.Stop() })

	It("stores, opens and materializes the largest value byte for byte; the apiserver refuses one byte more, naming its size", func() {
		const ns = "limits-max"
		newNamespace(ctx, ns)
		// The longest envelope: the largest value, to the cluster's key and
		// seven others (other clusters, a recovery key).
		pubs := []*sealing.PublicKey{pub}
		for len(pubs) < sealing.MaxRecipients {
			k, err := sealing.GenerateKey()
			Expect(err).NotTo(HaveOccurred())
			pubs = append(pubs, k.Public())
		}
		value := envValue(limits.MaxValue)
		lsec := sealedValue(pubs, ns, "largest", value)
		Expect(lsec.Spec.EncryptedValue).To(HaveLen(sealing.MaxEnvelopeLength))
		Expect(k8sClient.Create(ctx, lsec)).To(Succeed())
		Eventually(func() []metav1.Condition { return getSecretStatus(ctx, ns, "largest")().Conditions }).
			Should(Satisfy(haveCondition("Ready", "True", "Sealed")))
		Expect(getSecretStatus(ctx, ns, "largest")().KeyIDs).To(HaveLen(8))

		By("an app maps it under a one-character name: the Secret holds it byte for byte")
		Expect(k8sClient.Create(ctx, builders.App("largest", ns).Image("registry.example/app:1.0").Secret("V", "largest").Obj())).To(Succeed())
		a := resolvedApp(ctx, ns, "largest")
		Expect(bytes.Equal(appSecret(ctx, a).Data["V"], value)).To(BeTrue(), "the materialized value differs")

		By("one byte more, sealed elsewhere (no sealer here makes it): refused at apply, naming the size, without quoting the envelope")
		ids := make([]string, sealing.MaxRecipients)
		for i := range ids {
			ids[i] = fmt.Sprintf("%016x", i+1)
		}
		over := "v2:" + strings.Join(ids, ",") + ":" + base64.StdEncoding.EncodeToString(envValue(12+8*1168+limits.MaxValue+1+16))
		err := k8sClient.Create(ctx, builders.SealedSecret(ns, "one-over", over).Obj())
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want 422 Invalid, got %v", err)
		Expect(err.Error()).To(ContainSubstring("spec.encryptedValue: Forbidden: the sealed value is 131070 bytes, more than the 131069 one environment variable can carry"))
		Expect(err.Error()).NotTo(ContainSubstring(over[len(over)-64:]))
	})

	It("reports a value with a NUL byte, sealed by another tool: ValueHasNUL and Stalled; an app keeps its last good Secret; the value is in no status or Event", func() {
		const ns = "limits-nul"
		const canary = "canary-nul-c0ffee"
		newNamespace(ctx, ns)
		Expect(k8sClient.Create(ctx, sealedSecret(pub, ns, "s", "good"))).To(Succeed())
		Expect(k8sClient.Create(ctx, builders.App("keeper", ns).Image("registry.example/app:1.0").Secret("NUL_VAR", "s").Obj())).To(Succeed())
		good := resolvedApp(ctx, ns, "keeper")

		// sealing carries any bytes: it is what another tool would make.
		reseal(ctx, pub, ns, "s", canary+"\x00"+canary)
		Eventually(func() []metav1.Condition { return getSecretStatus(ctx, ns, "s")().Conditions }, 20*time.Second).Should(And(
			Satisfy(haveCondition("Ready", "False", "ValueHasNUL")),
			Satisfy(haveCondition("Stalled", "True", "ValueHasNUL"))))
		Expect(readyCondition(getSecretStatus(ctx, ns, "s")().Conditions, "Ready").Message).To(Equal(
			"The value opens with sealing key " + pub.ID() + ", but the 35-byte value holds a NUL byte, which an environment variable cannot carry: " +
				"each NAME=value string ends at its first NUL; seal one an environment variable can carry"))

		By("the app gets no new Secret, and keeps running on its last good one")
		Eventually(appConditions(ctx, ns, "keeper"), 20*time.Second).Should(And(
			Satisfy(haveCondition("SecretsResolved", "False", "ValueHasNUL")),
			Satisfy(haveCondition("Ready", "False", "LastGoodSecrets")),
			Satisfy(haveCondition("Stalled", "True", "LastGoodSecrets"))))
		a := getApp(ctx, ns, "keeper")()
		Expect(readyCondition(a.Status.Conditions, "SecretsResolved").Message).To(Equal(
			"The app's env cannot reach its processes: env var NUL_VAR (from LightningSecret 's'): the 35-byte value holds a NUL byte, " +
				"which an environment variable cannot carry: each NAME=value string ends at its first NUL"))
		Expect(a.Status.SecretName).To(Equal(good.Status.SecretName))
		Consistently(func(g Gomega) {
			g.Expect(appSecrets(ctx, ns, "keeper")).To(HaveLen(1))
			g.Expect(templateHashes(ctx, ns, "keeper")).To(HaveEach(good.Status.SecretsHash))
			g.Expect(appSecret(ctx, good).Data["NUL_VAR"]).To(Equal([]byte("good")))
		}, 2*time.Second).Should(Succeed())

		assertNoCanary(ctx, ns, canary)
		encoded := base64.StdEncoding.EncodeToString([]byte(canary + "\x00" + canary))
		Expect(logBuffer.String()).NotTo(ContainSubstring(encoded[:12]), "the value reached the logs")
		Expect(toJSON(getSecretStatus(ctx, ns, "s")())).NotTo(ContainSubstring(encoded[:12]))
		Expect(toJSON(getApp(ctx, ns, "keeper")().Status)).NotTo(ContainSubstring(encoded[:12]))
		events := &corev1.EventList{}
		Expect(k8sClient.List(ctx, events, client.InNamespace(ns))).To(Succeed())
		for _, e := range events.Items {
			Expect(e.Message).NotTo(ContainSubstring(encoded[:12]), "the value reached an Event")
		}

		By("a value env can carry heals both")
		reseal(ctx, pub, ns, "s", "good again")
		Eventually(func() []metav1.Condition { return getSecretStatus(ctx, ns, "s")().Conditions }, 20*time.Second).
			Should(Satisfy(haveCondition("Ready", "True", "Sealed")))
		Eventually(appConditions(ctx, ns, "keeper"), 20*time.Second).Should(Satisfy(haveCondition("SecretsResolved", "True", "Resolved")))
	})

	It("refuses an app whose variable is too long under its name, or whose env is more than a container's, naming the sizes", func() {
		const ns = "limits-env"
		newNamespace(ctx, ns)
		// Eight values at the limit: together they fill one Secret (8 x
		// 131069 = 1048552 of 1048576 bytes).
		for i := range 8 {
			Expect(k8sClient.Create(ctx, sealedValue([]*sealing.PublicKey{pub}, ns, fmt.Sprintf("big-%d", i), envValue(limits.MaxValue)))).To(Succeed())
		}

		By("a value at the limit, under a longer name than one character")
		Expect(k8sClient.Create(ctx, builders.App("long-name", ns).Image("registry.example/app:1.0").Secret("BIG_VALUE", "big-0").Obj())).To(Succeed())
		Eventually(appConditions(ctx, ns, "long-name"), 20*time.Second).Should(And(
			Satisfy(haveCondition("SecretsResolved", "False", "ValueTooLong")),
			Satisfy(haveCondition("Stalled", "True", "ValueTooLong"))))
		Expect(readyCondition(getApp(ctx, ns, "long-name")().Status.Conditions, "SecretsResolved").Message).To(Equal(
			"The app's env cannot reach its processes: env var BIG_VALUE (from LightningSecret 'big-0'): BIG_VALUE=value is 131080 bytes with its NUL, " +
				"more than the 131072 Linux passes in one environment string (MAX_ARG_STRLEN); under this name the value may be at most 131061 bytes, it is 131069"))
		Expect(appSecrets(ctx, ns, "long-name")).To(BeEmpty())

		// The eight values under A…H, and plain values up to the budget:
		// 1024 + 8 x (131072 + 8) + 16 x (3 + 1 + 32687 + 1 + 8) = 1572864.
		app := func(name string, extra int) *lightningv1alpha1.LightningApp {
			w := builders.App(name, ns).Image("registry.example/app:1.0")
			for i := range 8 {
				w.Secret(string(rune('A'+i)), fmt.Sprintf("big-%d", i))
			}
			for i := range 16 {
				n := 32687
				if i == 0 {
					n += extra
				}
				w.Env(fmt.Sprintf("P%02d", i), strings.Repeat("p", n))
			}
			return w.Obj()
		}
		By("an env of exactly the budget runs")
		Expect(k8sClient.Create(ctx, app("full", 0))).To(Succeed())
		full := resolvedApp(ctx, ns, "full")
		total := 0
		for _, v := range appSecret(ctx, full).Data {
			total += len(v)
		}
		Expect(total).To(Equal(8 * limits.MaxValue))

		By("one byte more is refused, naming the size and the limit")
		Expect(k8sClient.Create(ctx, app("over", 1))).To(Succeed())
		Eventually(appConditions(ctx, ns, "over"), 20*time.Second).Should(And(
			Satisfy(haveCondition("SecretsResolved", "False", "EnvTooLarge")),
			Satisfy(haveCondition("Stalled", "True", "EnvTooLarge"))))
		Expect(readyCondition(getApp(ctx, ns, "over")().Status.Conditions, "SecretsResolved").Message).To(Equal(
			"The app's env cannot reach its processes: the app's environment takes 1572865 bytes (24 variables as NAME=value, NUL and pointer, " +
				"and 1024 for the identity variables), more than the 1572864 a container's env may take here: execve takes 2097152 for env and " +
				"arguments with an 8 MiB stack, 524288 of it kept for the image's env, the command and Kubernetes' service variables"))
		Expect(appSecrets(ctx, ns, "over")).To(BeEmpty())
	})
})

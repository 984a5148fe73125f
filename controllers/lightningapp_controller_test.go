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
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/app"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
	"github.com/lightning-operator/lightning-operator/internal/testenv"
	"github.com/lightning-operator/lightning-operator/test/builders"
)

// newApp is an app with one GPU Work, FOO=bar, and the env name / secret
// ref pairs in order.
func newApp(ns, name string, secretPairs ...string) *lightningv1alpha1.LightningApp {
	a := builders.App(name, ns).Image("registry.example/app:1.0").Work("root.work_a", "gpu").Env("FOO", "bar")
	for i := 0; i+1 < len(secretPairs); i += 2 {
		a.Secret(secretPairs[i], secretPairs[i+1])
	}
	return a.Obj()
}

func appSecret(ctx context.Context, a *lightningv1alpha1.LightningApp) *corev1.Secret {
	s := &corev1.Secret{}
	ExpectWithOffset(1, k8sClient.Get(ctx, types.NamespacedName{Namespace: a.Namespace, Name: a.Status.SecretName}, s)).To(Succeed())
	return s
}

func deploymentsOf(ctx context.Context, ns, app string) []appsv1.Deployment {
	list := &appsv1.DeploymentList{}
	ExpectWithOffset(1, k8sClient.List(ctx, list, client.InNamespace(ns), client.MatchingLabels{lightningv1alpha1.LabelApp: app})).To(Succeed())
	return list.Items
}

func templateHashes(ctx context.Context, ns, app string) []string {
	var out []string
	for _, d := range deploymentsOf(ctx, ns, app) {
		out = append(out, d.Spec.Template.Annotations[lightningv1alpha1.AnnotationSecretsHash])
	}
	return out
}

func resolvedApp(ctx context.Context, ns, name string) *lightningv1alpha1.LightningApp {
	EventuallyWithOffset(1, func() []metav1.Condition { return getApp(ctx, ns, name)().Status.Conditions }, 20*time.Second).
		Should(Satisfy(haveCondition("SecretsResolved", "True", "Resolved")))
	return getApp(ctx, ns, name)()
}

var _ = Describe("LightningApp controller", Ordered, func() {
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

	It("materializes one immutable owned Secret and one owned Deployment per component", func() {
		const ns = "app-path"
		newNamespace(ctx, ns)
		Expect(k8sClient.Create(ctx, sealedSecret(pub, ns, "my-secret", "canary-path-value"))).To(Succeed())
		Expect(k8sClient.Create(ctx, newApp(ns, "my-app", "MY_APP_SECRET", "my-secret"))).To(Succeed())

		a := resolvedApp(ctx, ns, "my-app")
		Expect(a.Status.SecretName).To(HavePrefix("my-app-env-"))
		Expect(a.Status.SecretCount).To(Equal(int32(1)))
		s := appSecret(ctx, a)
		Expect(s.Data).To(Equal(map[string][]byte{"MY_APP_SECRET": []byte("canary-path-value")}))
		Expect(*s.Immutable).To(BeTrue())
		Expect(metav1.IsControlledBy(s, a)).To(BeTrue())

		Eventually(func() int { return len(deploymentsOf(ctx, ns, "my-app")) }).Should(Equal(2))
		for _, d := range deploymentsOf(ctx, ns, "my-app") {
			Expect(metav1.IsControlledBy(&d, a)).To(BeTrue(), d.Name)
			Expect(d.Spec.Template.Annotations[lightningv1alpha1.AnnotationSecretsHash]).To(Equal(a.Status.SecretsHash))
			Expect(d.Spec.Template.Spec.Containers[0].Env).To(BeEmpty(), "env is the webhook's job")
		}
		Eventually(func() []lightningv1alpha1.ComponentStatus { return getApp(ctx, ns, "my-app")().Status.Components }).
			Should(ConsistOf(
				lightningv1alpha1.ComponentStatus{Name: "root", Deployment: "my-app-root"},
				HaveField("Name", "root.work_a"),
			))
		// envtest runs no controller-manager, so no pod becomes available.
		Expect(getApp(ctx, ns, "my-app")().Status.Phase).To(Equal(lightningv1alpha1.PhasePending))

		By("a Deployment turning available makes the app Ready")
		for _, d := range deploymentsOf(ctx, ns, "my-app") {
			d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: 1, UpdatedReplicas: 1, ReadyReplicas: 1, AvailableReplicas: 1}
			Expect(k8sClient.Status().Update(ctx, &d)).To(Succeed())
		}
		Eventually(func() []metav1.Condition { return getApp(ctx, ns, "my-app")().Status.Conditions }).
			Should(Satisfy(haveCondition("Ready", "True", "ComponentsReady")))
		Expect(getApp(ctx, ns, "my-app")().Status.Phase).To(Equal(lightningv1alpha1.PhaseRunning))
		assertNoCanary(ctx, ns, "canary-path")
	})

	It("reports a missing secret with Lightning's message and recovers once it exists", func() {
		const ns = "app-missing"
		newNamespace(ctx, ns)
		Expect(k8sClient.Create(ctx, newApp(ns, "waits", "TOKEN", "later"))).To(Succeed())
		Eventually(func() []metav1.Condition { return getApp(ctx, ns, "waits")().Status.Conditions }, 20*time.Second).
			Should(Satisfy(haveCondition("SecretsResolved", "False", "SecretNotFound")))
		a := getApp(ctx, ns, "waits")()
		Expect(readyCondition(a.Status.Conditions, "SecretsResolved").Message).To(Equal("Secret with name 'later' not found"))
		Expect(readyCondition(a.Status.Conditions, "Ready").Status).To(Equal(metav1.ConditionFalse))
		// Waited for, not a failure: GitOps applies the app and its secret together.
		Expect(readyCondition(a.Status.Conditions, "Reconciling").Status).To(Equal(metav1.ConditionTrue))
		Expect(readyCondition(a.Status.Conditions, "Stalled").Status).To(BeEmpty())
		Expect(a.Status.Phase).To(Equal(lightningv1alpha1.PhasePending))

		Expect(k8sClient.Create(ctx, sealedSecret(pub, ns, "later", "v"))).To(Succeed())
		a = resolvedApp(ctx, ns, "waits")
		Expect(a.Status.SecretName).NotTo(BeEmpty())
	})

	It("refuses a tampered secret and writes no Secret", func() {
		const ns = "app-tampered"
		newNamespace(ctx, ns)
		bad := sealedSecret(pub, ns, "bad", "v")
		bad.Spec.EncryptedValue = tamper(bad.Spec.EncryptedValue)
		Expect(k8sClient.Create(ctx, bad)).To(Succeed())
		Expect(k8sClient.Create(ctx, newApp(ns, "victim", "TOKEN", "bad"))).To(Succeed())
		Eventually(func() []metav1.Condition { return getApp(ctx, ns, "victim")().Status.Conditions }, 20*time.Second).
			Should(Satisfy(haveCondition("SecretsResolved", "False", "SecretNotReady")))
		Expect(readyCondition(getApp(ctx, ns, "victim")().Status.Conditions, "SecretsResolved").Message).
			To(Equal("Secret with name 'bad' is not ready: Tampered"))
		secrets := &corev1.SecretList{}
		Expect(k8sClient.List(ctx, secrets, client.InNamespace(ns), client.MatchingLabels{lightningv1alpha1.LabelApp: "victim"})).To(Succeed())
		Expect(secrets.Items).To(BeEmpty())
	})

	It("re-materializes and rolls exactly the apps that use a changed secret", func() {
		const ns = "app-rotate"
		newNamespace(ctx, ns)
		Expect(k8sClient.Create(ctx, sealedSecret(pub, ns, "shared", "one"))).To(Succeed())
		Expect(k8sClient.Create(ctx, sealedSecret(pub, ns, "other", "x"))).To(Succeed())
		Expect(k8sClient.Create(ctx, newApp(ns, "user-a", "S", "shared"))).To(Succeed())
		Expect(k8sClient.Create(ctx, newApp(ns, "user-b", "S", "shared", "O", "other"))).To(Succeed())
		Expect(k8sClient.Create(ctx, newApp(ns, "bystander", "O", "other"))).To(Succeed())
		before := map[string]*lightningv1alpha1.LightningApp{}
		for _, name := range []string{"user-a", "user-b", "bystander"} {
			before[name] = resolvedApp(ctx, ns, name)
			Eventually(func() []string { return templateHashes(ctx, ns, name) }).Should(HaveEach(before[name].Status.SecretsHash))
		}

		reseal(ctx, pub, ns, "shared", "two")

		for _, name := range []string{"user-a", "user-b"} {
			Eventually(func() string { return getApp(ctx, ns, name)().Status.SecretName }, 20*time.Second).
				ShouldNot(Equal(before[name].Status.SecretName))
			a := getApp(ctx, ns, name)()
			Expect(appSecret(ctx, a).Data["S"]).To(Equal([]byte("two")))
			Eventually(func() []string { return templateHashes(ctx, ns, name) }).Should(HaveEach(a.Status.SecretsHash))
			// No pod uses the old Secret (envtest runs none), so it is gone.
			Eventually(func() bool {
				return client.IgnoreNotFound(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: before[name].Status.SecretName}, &corev1.Secret{})) == nil &&
					k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: before[name].Status.SecretName}, &corev1.Secret{}) != nil
			}).Should(BeTrue())
		}
		Consistently(func() string { return getApp(ctx, ns, "bystander")().Status.SecretsHash }, 2*time.Second).
			Should(Equal(before["bystander"].Status.SecretsHash))
		Expect(templateHashes(ctx, ns, "bystander")).To(HaveEach(before["bystander"].Status.SecretsHash))
	})

	It("follows value versions: re-sealing the same value, to the same or a newer key, restarts nothing", func() {
		const ns = "app-versions"
		newNamespace(ctx, ns)
		Expect(k8sClient.Create(ctx, sealedSecret(pub, ns, "s", "same"))).To(Succeed())
		Expect(k8sClient.Create(ctx, newApp(ns, "stable", "S", "s"))).To(Succeed())
		first := resolvedApp(ctx, ns, "stable")
		Eventually(func() []string { return templateHashes(ctx, ns, "stable") }).Should(HaveEach(first.Status.SecretsHash))
		Eventually(getSecretStatus(ctx, ns, "s")).Should(HaveField("Version", MatchRegexp("^[0-9a-f]{16}$")))
		version := getSecretStatus(ctx, ns, "s")().Version
		Expect(first.Status.Secrets).To(Equal([]lightningv1alpha1.SecretVersion{{Name: "S", SecretRef: "s", Version: version}}))

		// unchanged waits until the LightningSecret's status describes its
		// newest spec, then holds that nothing about the app moved.
		unchanged := func(keyID string) {
			GinkgoHelper()
			lsec := &lightningv1alpha1.LightningSecret{}
			Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "s"}, lsec)).To(Succeed())
			Eventually(getSecretStatus(ctx, ns, "s")).Should(And(
				HaveField("ObservedGeneration", lsec.Generation), HaveField("KeyID", keyID), HaveField("Version", version)))
			Consistently(func(g Gomega) {
				a := getApp(ctx, ns, "stable")()
				g.Expect(a.Status.SecretsHash).To(Equal(first.Status.SecretsHash))
				g.Expect(a.Status.Secrets).To(Equal(first.Status.Secrets))
				g.Expect(a.Status.LastRolloutTime).To(Equal(first.Status.LastRolloutTime))
				g.Expect(templateHashes(ctx, ns, "stable")).To(HaveEach(first.Status.SecretsHash))
			}, 2*time.Second).Should(Succeed())
		}
		By("re-sealing the same value to the same key")
		reseal(ctx, pub, ns, "s", "same")
		unchanged(pub.ID())

		By("re-sealing the same value to a newer key")
		newer := rotateKeyring(ctx).Current().Private.Public()
		reseal(ctx, newer, ns, "s", "same")
		unchanged(newer.ID())

		By("a new value rolls, and its version is what the app runs")
		reseal(ctx, newer, ns, "s", "different")
		Eventually(func() string { return getApp(ctx, ns, "stable")().Status.SecretsHash }, 20*time.Second).
			ShouldNot(Equal(first.Status.SecretsHash))
		next := getSecretStatus(ctx, ns, "s")().Version
		Expect(next).NotTo(Equal(version))
		a := getApp(ctx, ns, "stable")()
		Expect(a.Status.Secrets).To(Equal([]lightningv1alpha1.SecretVersion{{Name: "S", SecretRef: "s", Version: next}}))
		Expect(appSecret(ctx, a).Data["S"]).To(Equal([]byte("different")))
		Eventually(func() []string { return templateHashes(ctx, ns, "stable") }).Should(HaveEach(a.Status.SecretsHash))
	})

	It("keeps an old Secret while a pod still refers to it", func() {
		const ns = "app-inuse"
		newNamespace(ctx, ns)
		Expect(k8sClient.Create(ctx, sealedSecret(pub, ns, "s", "one"))).To(Succeed())
		Expect(k8sClient.Create(ctx, newApp(ns, "busy", "S", "s"))).To(Succeed())
		old := resolvedApp(ctx, ns, "busy").Status.SecretName
		pod := builders.Pod(ns, "busy", "root").Name("busy-pod").Annotation(lightningv1alpha1.AnnotationInjectedSecret, old).Containers("c").Obj()
		Expect(k8sClient.Create(ctx, pod)).To(Succeed())

		reseal(ctx, pub, ns, "s", "two")
		Eventually(func() string { return getApp(ctx, ns, "busy")().Status.SecretName }, 20*time.Second).ShouldNot(Equal(old))
		Consistently(func() error {
			return k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: old}, &corev1.Secret{})
		}, 2*time.Second).Should(Succeed())

		Expect(k8sClient.Delete(ctx, pod, client.GracePeriodSeconds(0))).To(Succeed())
		Eventually(func() error {
			return k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: old}, &corev1.Secret{})
		}, 20*time.Second).ShouldNot(Succeed())
	})

	It("keeps two namespaces with the same secret names apart", func() {
		for _, ns := range []string{"team-red", "team-blue"} {
			newNamespace(ctx, ns)
			Expect(k8sClient.Create(ctx, sealedSecret(pub, ns, "token", "value-of-"+ns))).To(Succeed())
			Expect(k8sClient.Create(ctx, newApp(ns, "app", "TOKEN", "token"))).To(Succeed())
		}
		for _, ns := range []string{"team-red", "team-blue"} {
			a := resolvedApp(ctx, ns, "app")
			Expect(appSecret(ctx, a).Data["TOKEN"]).To(Equal([]byte("value-of-" + ns)))
		}
		By("a secret copied from another namespace does not open")
		copied := &lightningv1alpha1.LightningSecret{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: "team-red", Name: "token"}, copied)).To(Succeed())
		newNamespace(ctx, "team-green")
		Expect(k8sClient.Create(ctx, &lightningv1alpha1.LightningSecret{
			ObjectMeta: metav1.ObjectMeta{Namespace: "team-green", Name: "token"}, Spec: copied.Spec,
		})).To(Succeed())
		Expect(k8sClient.Create(ctx, newApp("team-green", "app", "TOKEN", "token"))).To(Succeed())
		Eventually(func() []metav1.Condition { return getApp(ctx, "team-green", "app")().Status.Conditions }, 20*time.Second).
			Should(Satisfy(haveCondition("SecretsResolved", "False", "SecretNotReady")))
	})

	It("keeps an app on its last good Secret when a secret it uses is deleted, and says so", func() {
		const ns = "app-last-good"
		newNamespace(ctx, ns)
		Expect(k8sClient.Create(ctx, sealedSecret(pub, ns, "s", "good"))).To(Succeed())
		Expect(k8sClient.Create(ctx, newApp(ns, "steady", "S", "s"))).To(Succeed())
		good := resolvedApp(ctx, ns, "steady")
		Expect(good.Status.Secrets).To(ConsistOf(HaveField("Name", "S")))
		Expect(good.Status.Secrets[0].SecretRef).To(Equal("s"))
		Expect(good.Status.Secrets[0].Version).NotTo(BeEmpty())

		Expect(k8sClient.Delete(ctx, &lightningv1alpha1.LightningSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "s"}})).To(Succeed())
		Eventually(func() []metav1.Condition { return getApp(ctx, ns, "steady")().Status.Conditions }, 20*time.Second).Should(And(
			Satisfy(haveCondition("SecretsResolved", "False", "SecretNotFound")),
			Satisfy(haveCondition("Ready", "False", "LastGoodSecrets")),
			Satisfy(haveCondition("Stalled", "True", "LastGoodSecrets"))))
		a := getApp(ctx, ns, "steady")()
		Expect(readyCondition(a.Status.Conditions, "Ready").Message).To(ContainSubstring("keeps running on its last good Secret " + good.Status.SecretName))
		Expect(a.Status.SecretName).To(Equal(good.Status.SecretName))
		Expect(a.Status.Secrets).To(Equal(good.Status.Secrets))
		Consistently(func(g Gomega) {
			g.Expect(templateHashes(ctx, ns, "steady")).To(HaveEach(good.Status.SecretsHash))
			g.Expect(appSecret(ctx, good).Data["S"]).To(Equal([]byte("good")))
		}, 2*time.Second).Should(Succeed())

		By("restoring the same value, sealed anew, heals the app without a roll")
		Expect(k8sClient.Create(ctx, sealedSecret(pub, ns, "s", "good"))).To(Succeed())
		Eventually(func() []metav1.Condition { return getApp(ctx, ns, "steady")().Status.Conditions }, 20*time.Second).Should(And(
			Satisfy(haveCondition("SecretsResolved", "True", "Resolved")),
			Not(Satisfy(haveCondition("Stalled", "True", "LastGoodSecrets")))))
		a = getApp(ctx, ns, "steady")()
		Expect(a.Status.SecretsHash).To(Equal(good.Status.SecretsHash))
		Expect(a.Status.Secrets).To(Equal(good.Status.Secrets))
		Expect(a.Status.LastRolloutTime).To(Equal(good.Status.LastRolloutTime))
		Expect(templateHashes(ctx, ns, "steady")).To(HaveEach(good.Status.SecretsHash))
	})

	It("runs no app where the pod webhook does not inject: the operator's namespace and kube-system", func() {
		for _, ns := range []string{operatorNamespace, metav1.NamespaceSystem} {
			Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))).To(Succeed())
			Expect(k8sClient.Create(ctx, sealedSecret(pub, ns, "token", "v"))).To(Succeed())
			Expect(k8sClient.Create(ctx, newApp(ns, "misplaced", "TOKEN", "token"))).To(Succeed())
			Eventually(func() []metav1.Condition { return getApp(ctx, ns, "misplaced")().Status.Conditions }, 20*time.Second).
				Should(And(Satisfy(haveCondition("Ready", "False", "NamespaceExcluded")), Satisfy(haveCondition("Stalled", "True", "NamespaceExcluded"))))
			c := readyCondition(getApp(ctx, ns, "misplaced")().Status.Conditions, "Ready")
			Expect(c.Message).To(ContainSubstring(fmt.Sprintf("in namespace %q", ns)))
			Consistently(func() int {
				secrets := &corev1.SecretList{}
				Expect(k8sClient.List(ctx, secrets, client.InNamespace(ns), client.MatchingLabels{lightningv1alpha1.LabelApp: "misplaced"})).To(Succeed())
				return len(deploymentsOf(ctx, ns, "misplaced")) + len(secrets.Items)
			}, 2*time.Second).Should(BeZero(), "Deployments and Secrets of an app in %s", ns)
		}
	})

	It("runs no app in a namespace the registered namespaceSelector leaves out, and stops one when an admin narrows it", func() {
		const ns, optOut = "app-opt-out", "lightning.ai/injection"
		// A registration as an admin may narrow it; its endpoint is closed and
		// ignored, since only its selector matters here.
		mwc := &admissionregistrationv1.MutatingWebhookConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: webhookConfigName},
			Webhooks: []admissionregistrationv1.MutatingWebhook{{
				Name:                    "pod-env.lightning.ai",
				ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: ptr.To("https://127.0.0.1:9/mutate")},
				Rules:                   []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create}, Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}}}},
				FailurePolicy:           ptr.To(admissionregistrationv1.Ignore),
				SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
				AdmissionReviewVersions: []string{"v1"},
				ObjectSelector:          &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: lightningv1alpha1.LabelApp, Operator: metav1.LabelSelectorOpExists}}},
				NamespaceSelector:       &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: optOut, Operator: metav1.LabelSelectorOpNotIn, Values: []string{"disabled"}}}},
			}},
		}
		Expect(k8sClient.Create(ctx, mwc)).To(Succeed())
		DeferCleanup(func(ctx SpecContext) { Expect(k8sClient.Delete(ctx, mwc)).To(Succeed()) })
		Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{optOut: "disabled"}}})).To(Succeed())
		Expect(k8sClient.Create(ctx, sealedSecret(pub, ns, "token", "v"))).To(Succeed())
		Expect(k8sClient.Create(ctx, newApp(ns, "opted-out", "TOKEN", "token"))).To(Succeed())
		madeNothing := func() {
			GinkgoHelper()
			Eventually(func() []metav1.Condition { return getApp(ctx, ns, "opted-out")().Status.Conditions }, 20*time.Second).
				Should(And(Satisfy(haveCondition("Ready", "False", "NamespaceExcluded")), Satisfy(haveCondition("Stalled", "True", "NamespaceExcluded"))))
			Expect(readyCondition(getApp(ctx, ns, "opted-out")().Status.Conditions, "Ready").Message).
				To(ContainSubstring(`in namespace "app-opt-out", which the namespaceSelector of webhook pod-env.lightning.ai in MutatingWebhookConfiguration ` + webhookConfigName + " does not select"))
			Eventually(func() []appsv1.Deployment { return deploymentsOf(ctx, ns, "opted-out") }).Should(BeEmpty())
		}
		madeNothing()
		secrets := &corev1.SecretList{}
		Expect(k8sClient.List(ctx, secrets, client.InNamespace(ns), client.MatchingLabels{lightningv1alpha1.LabelApp: "opted-out"})).To(Succeed())
		Expect(secrets.Items).To(BeEmpty())

		setOptOut := func(value string) {
			GinkgoHelper()
			n := &corev1.Namespace{}
			Expect(k8sClient.Get(ctx, types.NamespacedName{Name: ns}, n)).To(Succeed())
			n.Labels[optOut] = value
			Expect(k8sClient.Update(ctx, n)).To(Succeed())
		}
		By("the namespace relabelled into the selector: the app runs")
		setOptOut("no")
		resolvedApp(ctx, ns, "opted-out")
		Eventually(func() []appsv1.Deployment { return deploymentsOf(ctx, ns, "opted-out") }).Should(HaveLen(2))

		By("an admin opts the namespace out again: its Deployments go")
		setOptOut("disabled")
		madeNothing()
	})

	It("owns everything it made, so deleting the app leaves nothing behind", func() {
		// envtest runs no garbage collector; run the real one, so the owner
		// references are followed as a cluster would follow them.
		stop, err := testenv.StartGarbageCollector(env, GinkgoT().TempDir(), GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(stop)
		const ns = "app-delete"
		newNamespace(ctx, ns)
		Expect(k8sClient.Create(ctx, sealedSecret(pub, ns, "s", "v"))).To(Succeed())
		doomed := newApp(ns, "doomed", "S", "s")
		doomed.Spec.LaunchWorks = true // so its RoleBinding is made too
		Expect(k8sClient.Create(ctx, doomed)).To(Succeed())
		a := resolvedApp(ctx, ns, "doomed")
		Eventually(func() int { return len(deploymentsOf(ctx, ns, "doomed")) }).Should(Equal(2))
		made := []string{"LightningSecret/s", "LightningApp/doomed", "Secret/" + a.Status.SecretName,
			"ServiceAccount/lightning-app-doomed", "RoleBinding/lightning-app-doomed"}
		for _, d := range deploymentsOf(ctx, ns, "doomed") {
			made = append(made, "Deployment/"+d.Name)
		}
		Expect(objectsIn(ctx, ns)).To(ConsistOf(made))

		Expect(k8sClient.Delete(ctx, a)).To(Succeed())
		Eventually(func() []string { return objectsIn(ctx, ns) }, time.Minute, time.Second).
			Should(ConsistOf("LightningSecret/s"), "only what the user made is left")
	})

	It("gives an app its own ServiceAccount only when its pods hold a token, and the launcher ClusterRole only when it launches Works", func() {
		const ns, name, sa = "app-identity", "launcher", "lightning-app-launcher"
		newNamespace(ctx, ns)
		Expect(k8sClient.Create(ctx, newApp(ns, name))).To(Succeed())
		type identity struct {
			Account string
			Token   bool
		}
		identities := func() map[string]identity {
			out := map[string]identity{}
			for _, d := range deploymentsOf(ctx, ns, name) {
				g := d.Spec.Template.Spec
				out[d.Annotations[lightningv1alpha1.AnnotationComponent]] = identity{g.ServiceAccountName, ptr.Deref(g.AutomountServiceAccountToken, true)}
			}
			return out
		}
		exists := func(obj client.Object) func() bool {
			return func() bool { return k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: sa}, obj) == nil }
		}
		noToken := map[string]identity{"root": {"", false}, "root.work_a": {"", false}}
		By("a plain app: the namespace's default ServiceAccount, no token, no objects of its own")
		Eventually(identities, 20*time.Second).Should(Equal(noToken))
		Consistently(func() bool {
			return exists(&corev1.ServiceAccount{})() || exists(&rbacv1.Role{})() || exists(&rbacv1.RoleBinding{})()
		}, 2*time.Second).
			Should(BeFalse(), "no ServiceAccount or RoleBinding for an app whose pods hold no token")

		setLaunchWorks := func(on bool) {
			GinkgoHelper()
			Eventually(func() error {
				a := getApp(ctx, ns, name)()
				a.Spec.LaunchWorks = on
				return k8sClient.Update(ctx, a)
			}).Should(Succeed())
		}
		By("launchWorks: its own ServiceAccount, a RoleBinding to the shipped launcher ClusterRole (no Role of its own), and the Flow's token")
		setLaunchWorks(true)
		Eventually(exists(&rbacv1.RoleBinding{}), 20*time.Second).Should(BeTrue())
		binding := &rbacv1.RoleBinding{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: sa}, binding)).To(Succeed())
		Expect(binding.RoleRef).To(Equal(rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "lightning-operator-app-launcher"}))
		Expect(binding.Subjects).To(Equal([]rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: ns}}))
		Expect(exists(&rbacv1.Role{})()).To(BeFalse())
		account := &corev1.ServiceAccount{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: sa}, account)).To(Succeed())
		Expect(account.AutomountServiceAccountToken).To(Equal(ptr.To(false)))
		Expect(account.OwnerReferences).To(ConsistOf(HaveField("Name", name)))
		Eventually(identities).Should(Equal(map[string]identity{"root": {sa, true}, "root.work_a": {sa, false}}))

		By("launchWorks off again: they go")
		setLaunchWorks(false)
		Eventually(func() bool {
			return !exists(&corev1.ServiceAccount{})() && !exists(&rbacv1.Role{})() && !exists(&rbacv1.RoleBinding{})()
		}, 20*time.Second).Should(BeTrue())
		Eventually(identities).Should(Equal(noToken))
	})

	It("moves an app that an older version gave a Role of its own onto the launcher ClusterRole", func() {
		const ns, name, sa = "app-old-role", "launcher", "lightning-app-launcher"
		newNamespace(ctx, ns)
		a := newApp(ns, name)
		a.Spec.LaunchWorks = true
		Expect(k8sClient.Create(ctx, a)).To(Succeed())
		key := types.NamespacedName{Namespace: ns, Name: sa}
		Eventually(func() error { return k8sClient.Get(ctx, key, &rbacv1.RoleBinding{}) }, 20*time.Second).Should(Succeed())
		a = getApp(ctx, ns, name)()
		owner := metav1.OwnerReference{APIVersion: lightningv1alpha1.GroupVersion.String(), Kind: "LightningApp", Name: name, UID: a.UID,
			Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}
		By("what an older version made: a Role with pods/log, and a RoleBinding to it")
		Expect(k8sClient.Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: sa, Labels: app.Labels(name), OwnerReferences: []metav1.OwnerReference{owner}},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods", "pods/log"}, Verbs: []string{"get"}}}})).To(Succeed())
		Eventually(func() error {
			if err := k8sClient.Delete(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: sa}}); client.IgnoreNotFound(err) != nil {
				return err
			}
			return k8sClient.Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: sa, Labels: app.Labels(name),
				OwnerReferences: []metav1.OwnerReference{owner}},
				RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: sa},
				Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: ns}}})
		}).Should(Succeed())
		By("a change of the app brings it back to the controller")
		Eventually(func() error {
			a := getApp(ctx, ns, name)()
			a.Spec.Env = append(a.Spec.Env, lightningv1alpha1.EnvVar{Name: "TOUCH", Value: "1"})
			return k8sClient.Update(ctx, a)
		}).Should(Succeed())
		Eventually(func(g Gomega) {
			b := &rbacv1.RoleBinding{}
			g.Expect(k8sClient.Get(ctx, key, b)).To(Succeed())
			g.Expect(b.RoleRef.Kind).To(Equal("ClusterRole"))
			g.Expect(apierrors.IsNotFound(k8sClient.Get(ctx, key, &rbacv1.Role{}))).To(BeTrue(), "the old Role is gone")
		}, 20*time.Second).Should(Succeed())
	})

	It("makes no Deployment for an app whose securityContext asks for more than baseline, until an admin allows it in the namespace", func() {
		const ns, name = "app-privileged", "gpu"
		newNamespace(ctx, ns)
		a := newApp(ns, name)
		a.Spec.SecurityContext = &corev1.SecurityContext{Privileged: ptr.To(true)}
		Expect(k8sClient.Create(ctx, a)).To(Succeed())
		Eventually(func() []metav1.Condition { return getApp(ctx, ns, name)().Status.Conditions }, 20*time.Second).Should(And(
			Satisfy(haveCondition("Ready", "False", "SecurityContextNotAllowed")), Satisfy(haveCondition("Stalled", "True", "SecurityContextNotAllowed"))))
		msg := readyCondition(getApp(ctx, ns, name)().Status.Conditions, "Ready").Message
		Expect(msg).To(And(ContainSubstring(`container "component" must not set securityContext.privileged=true`),
			ContainSubstring("Not run: namespace app-privileged allows no more than Pod Security baseline (label lightning.ai/app-pod-security=privileged lifts it): ")))
		GinkgoWriter.Printf("Ready of a privileged app: %s\n", msg)
		Consistently(func() []appsv1.Deployment { return deploymentsOf(ctx, ns, name) }, 2*time.Second).Should(BeEmpty())

		By("the admin's label lets it run")
		n := &corev1.Namespace{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Name: ns}, n)).To(Succeed())
		n.Labels[lightningv1alpha1.LabelAppPodSecurity] = lightningv1alpha1.AppPodSecurityPrivileged
		Expect(k8sClient.Update(ctx, n)).To(Succeed())
		Eventually(func() []appsv1.Deployment { return deploymentsOf(ctx, ns, name) }, time.Minute).Should(HaveLen(2))
		Expect(deploymentsOf(ctx, ns, name)[0].Spec.Template.Spec.Containers[0].SecurityContext.Privileged).To(Equal(ptr.To(true)))
	})

	DescribeTable("never takes a Secret it did not make, under the name an app would use after a GitOps revert",
		func(ns string, disguise string) {
			const name = "reverted"
			newNamespace(ctx, ns)
			Expect(k8sClient.Create(ctx, sealedSecret(pub, ns, "token", "first-value"))).To(Succeed())
			firstEnvelope := &lightningv1alpha1.LightningSecret{}
			Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "token"}, firstEnvelope)).To(Succeed())
			Expect(k8sClient.Create(ctx, newApp(ns, name, "TOKEN", "token"))).To(Succeed())
			first := resolvedApp(ctx, ns, name).Status.SecretName

			By("a new value: the app moves to a new Secret, and the first one goes")
			reseal(ctx, pub, ns, "token", "second-value")
			Eventually(func() string { return getApp(ctx, ns, name)().Status.SecretName }, 20*time.Second).ShouldNot(Equal(first))
			second := getApp(ctx, ns, name)().Status.SecretName
			Eventually(func() bool {
				return apierrors.IsNotFound(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: first}, &corev1.Secret{}))
			}, 20*time.Second).Should(BeTrue())

			By("a stranger squats the first name; then the old manifest is put back")
			squat := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: first},
				Data: map[string][]byte{"TOKEN": []byte("strangers-value")}}
			if disguise != "" { // labelled, so the manager's label-selected cache holds it
				squat.Labels = map[string]string{lightningv1alpha1.LabelApp: name, lightningv1alpha1.LabelManagedBy: lightningv1alpha1.ManagedByValue}
			}
			if disguise == "owned" { // the app's UID is readable by anyone who may view it
				squat.OwnerReferences = []metav1.OwnerReference{{APIVersion: lightningv1alpha1.GroupVersion.String(), Kind: "LightningApp",
					Name: name, UID: getApp(ctx, ns, name)().UID, Controller: ptr.To(true)}}
			}
			Expect(k8sClient.Create(ctx, squat)).To(Succeed())
			Eventually(func() error {
				l := &lightningv1alpha1.LightningSecret{}
				if err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "token"}, l); err != nil {
					return err
				}
				l.Spec = firstEnvelope.Spec
				return k8sClient.Update(ctx, l)
			}).Should(Succeed())

			Eventually(func() []metav1.Condition { return getApp(ctx, ns, name)().Status.Conditions }, 20*time.Second).Should(And(
				Satisfy(haveCondition("Ready", "False", "ForeignObject")), Satisfy(haveCondition("Stalled", "True", "ForeignObject"))))
			Expect(readyCondition(getApp(ctx, ns, name)().Status.Conditions, "Ready").Message).To(Equal(
				"Secret " + ns + "/" + first + " exists and is not owned by LightningApp reverted: delete or rename it, or rename the app"))
			By("the app keeps running on its last good Secret: no template names the stranger's")
			Expect(getApp(ctx, ns, name)().Status.SecretName).To(Equal(second))
			for _, d := range deploymentsOf(ctx, ns, name) {
				Expect(d.Spec.Template.Annotations[lightningv1alpha1.AnnotationSecretsHash]).To(Equal(strings.TrimPrefix(second, name+"-env-")))
			}
			Eventually(func() []string { return warningReasons(ctx, ns) }).Should(ContainElement("ForeignObject"))
			stored := &corev1.Secret{}
			Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: first}, stored)).To(Succeed())
			Expect(string(stored.Data["TOKEN"])).To(Equal("strangers-value"), "the stranger's Secret is left as it is")

			By("once the stranger's Secret is gone, the revert completes onto a Secret of the app's own")
			Expect(k8sClient.Delete(ctx, stored)).To(Succeed())
			Eventually(func(g Gomega) {
				a := getApp(ctx, ns, name)()
				g.Expect(a.Status.SecretName).To(Equal(first))
				g.Expect(a.Status.Conditions).NotTo(Satisfy(haveCondition("Stalled", "True", "ForeignObject")))
				s := &corev1.Secret{}
				g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: first}, s)).To(Succeed())
				g.Expect(metav1.IsControlledBy(s, a)).To(BeTrue())
				g.Expect(string(s.Data["TOKEN"])).To(Equal("first-value"))
			}, time.Minute).Should(Succeed())
		},
		Entry("one the manager's cache does not hold", "app-squat-plain", ""),
		Entry("one labelled as ours, so the cache holds it", "app-squat-labelled", "labelled"),
		Entry("one that names the app as its controller", "app-squat-owned", "owned"),
	)

	It("takes a Secret of its app that bears no origin mark (an older version's) only after checking its values, and marks it", func() {
		const ns, name = "app-origin", "legacy"
		newNamespace(ctx, ns)
		Expect(k8sClient.Create(ctx, sealedSecret(pub, ns, "token", "a-value"))).To(Succeed())
		Expect(k8sClient.Create(ctx, newApp(ns, name, "TOKEN", "token"))).To(Succeed())
		secretName := resolvedApp(ctx, ns, name).Status.SecretName
		key := types.NamespacedName{Namespace: ns, Name: secretName}
		s := &corev1.Secret{}
		Expect(k8sClient.Get(ctx, key, s)).To(Succeed())
		mark := s.Annotations[lightningv1alpha1.AnnotationSecretOrigin]
		Expect(mark).NotTo(BeEmpty())
		delete(s.Annotations, lightningv1alpha1.AnnotationSecretOrigin)
		Expect(k8sClient.Update(ctx, s)).To(Succeed())
		Eventually(func() string {
			Expect(k8sClient.Get(ctx, key, s)).To(Succeed())
			return s.Annotations[lightningv1alpha1.AnnotationSecretOrigin]
		}, 20*time.Second).Should(Equal(mark))
		a := getApp(ctx, ns, name)()
		Expect(a.Status.SecretName).To(Equal(secretName))
		Expect(a.Status.Conditions).NotTo(Satisfy(haveCondition("Stalled", "True", "ForeignObject")))
	})

	It("never quotes a refused Secret in the app's status or Events, even when the refusal does", func() {
		const ns = "app-refused-secret"
		newNamespace(ctx, ns)
		// A policy whose message quotes the data, as a careless one could.
		policy := &admissionregistrationv1.ValidatingAdmissionPolicy{
			ObjectMeta: metav1.ObjectMeta{Name: "quotes-secret-data"},
			Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
				FailurePolicy: ptr.To(admissionregistrationv1.Fail),
				MatchConstraints: &admissionregistrationv1.MatchResources{
					NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns}},
					ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{RuleWithOperations: admissionregistrationv1.RuleWithOperations{
						Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
						Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"secrets"}},
					}}}},
				Validations: []admissionregistrationv1.Validation{{
					Expression:        "false",
					MessageExpression: "'refused: ' + string(object.data['S'])",
				}},
			},
		}
		binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "quotes-secret-data"},
			Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: policy.Name,
				ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}},
		}
		Expect(k8sClient.Create(ctx, policy)).To(Succeed())
		Expect(k8sClient.Create(ctx, binding)).To(Succeed())
		DeferCleanup(func() {
			Expect(k8sClient.Delete(ctx, binding)).To(Succeed())
			Expect(k8sClient.Delete(ctx, policy)).To(Succeed())
		})
		// The apiserver enforces a new policy a moment after it is created.
		Eventually(func() error {
			return k8sClient.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "probe"}, Data: map[string][]byte{"S": []byte("x")}})
		}).Should(MatchError(ContainSubstring("quotes-secret-data")))
		Expect(k8sClient.Create(ctx, sealedSecret(pub, ns, "s", "canary-refused-value"))).To(Succeed())
		Expect(k8sClient.Create(ctx, newApp(ns, "refused", "S", "s"))).To(Succeed())
		Eventually(func() metav1.Condition {
			return readyCondition(getApp(ctx, ns, "refused")().Status.Conditions, "Ready")
		}, 30*time.Second).
			Should(And(HaveField("Reason", "ReconcileError"), HaveField("Message", ContainSubstring("the apiserver refused it: Invalid"))))
		assertNoCanary(ctx, ns, "canary-refused")
		// In a policy's expression the data is its base64: look for that too,
		// whole in the log, and its start where a message is cut short.
		encoded := base64.StdEncoding.EncodeToString([]byte("canary-refused-value"))
		Expect(logBuffer.String()).NotTo(ContainSubstring(encoded), "the value reached the logs")
		Expect(toJSON(getApp(ctx, ns, "refused")())).NotTo(ContainSubstring(encoded[:8]), "the value reached the app's status")
		events := &corev1.EventList{}
		Expect(k8sClient.List(ctx, events, client.InNamespace(ns))).To(Succeed())
		for _, e := range events.Items {
			Expect(e.Message).NotTo(ContainSubstring(encoded[:8]), "the value reached an Event")
		}
	})

	It("stalls an app whose Deployment name is taken by a foreign one, names it, and heals once it is gone", func() {
		const ns, name = "app-foreign", "squatted"
		newNamespace(ctx, ns)
		foreign := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name + "-root"},
			Spec: appsv1.DeploymentSpec{
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"x": "y"}},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"x": "y"}},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "img"}}}},
			},
		}
		Expect(k8sClient.Create(ctx, foreign)).To(Succeed())
		Expect(k8sClient.Create(ctx, newApp(ns, name))).To(Succeed())
		Eventually(func() []metav1.Condition { return getApp(ctx, ns, name)().Status.Conditions }, 20*time.Second).Should(And(
			Satisfy(haveCondition("Ready", "False", "ForeignObject")), Satisfy(haveCondition("Stalled", "True", "ForeignObject"))))
		Expect(readyCondition(getApp(ctx, ns, name)().Status.Conditions, "Ready").Message).To(Equal(
			"Deployment app-foreign/squatted-root exists and is not owned by LightningApp squatted: delete or rename it, or rename the app"))
		Eventually(func() []string { return warningReasons(ctx, ns) }).Should(ContainElement("ForeignObject"))

		Expect(k8sClient.Delete(ctx, foreign)).To(Succeed())
		Eventually(func() []metav1.Condition { return getApp(ctx, ns, name)().Status.Conditions }, time.Minute).Should(And(
			Satisfy(haveCondition("Ready", "False", "Progressing")), Not(Satisfy(haveCondition("Stalled", "True", "ForeignObject")))))
		Eventually(func() []appsv1.Deployment { return deploymentsOf(ctx, ns, name) }).Should(HaveLen(2))
	})

	It("names a failing component and the kubelet's or the ReplicaSet's reason in Ready", func() {
		const ns, name = "app-failing", "broken-image"
		newNamespace(ctx, ns)
		Expect(k8sClient.Create(ctx, newApp(ns, name))).To(Succeed())
		Eventually(func() []appsv1.Deployment { return deploymentsOf(ctx, ns, name) }, 20*time.Second).Should(HaveLen(2))
		// envtest runs no kubelet or ReplicaSet controller: write what they would.
		pod := builders.Pod(ns, name, "root").Name(name + "-root-abc").Containers(app.ContainerName).Obj()
		Expect(k8sClient.Create(ctx, pod)).To(Succeed())
		pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: app.ContainerName, Image: "img", ImageID: "",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImageNeverPull",
				Message: `Container image "lightning.local/missing:dev" is not present with pull policy of Never`}}}}
		Expect(k8sClient.Status().Update(ctx, pod)).To(Succeed())
		work := &appsv1.Deployment{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: app.DeploymentName(name, "root.work_a")}, work)).To(Succeed())
		work.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentReplicaFailure, Status: corev1.ConditionTrue,
			Reason: "FailedCreate", Message: `pods "x" is forbidden: violates PodSecurity "restricted:latest"`}}
		Expect(k8sClient.Status().Update(ctx, work)).To(Succeed())

		Eventually(func() metav1.Condition { return readyCondition(getApp(ctx, ns, name)().Status.Conditions, "Ready") }, 20*time.Second).Should(And(
			HaveField("Reason", "ComponentsFailing"),
			HaveField("Message", `Components failing: root: ErrImageNeverPull: Container image "lightning.local/missing:dev" is not present with pull policy of Never; `+
				`root.work_a: FailedCreate: pods "x" is forbidden: violates PodSecurity "restricted:latest"`)))
		Expect(getApp(ctx, ns, name)().Status.Components).To(ContainElement(And(HaveField("Name", "root"), HaveField("Reason", "ErrImageNeverPull"))))

		By("the pod recovering clears it")
		pod.Status.ContainerStatuses[0].State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
		Expect(k8sClient.Status().Update(ctx, pod)).To(Succeed())
		Eventually(func() string { return readyCondition(getApp(ctx, ns, name)().Status.Conditions, "Ready").Message }, 20*time.Second).
			ShouldNot(ContainSubstring("root: ErrImageNeverPull"))
	})

	It("stops an app: no pods, the Secret stays, Ready says Stopped; starting it again scales back", func() {
		const ns, name = "app-stop", "pausable"
		newNamespace(ctx, ns)
		Expect(k8sClient.Create(ctx, sealedSecret(pub, ns, "s", "v"))).To(Succeed())
		Expect(k8sClient.Create(ctx, newApp(ns, name, "S", "s"))).To(Succeed())
		running := resolvedApp(ctx, ns, name)
		replicas := func() []int32 {
			var out []int32
			for _, d := range deploymentsOf(ctx, ns, name) {
				out = append(out, ptr.Deref(d.Spec.Replicas, -1))
			}
			return out
		}
		Eventually(replicas).Should(Equal([]int32{1, 1}))
		setStopped := func(on bool) {
			GinkgoHelper()
			Eventually(func() error {
				a := getApp(ctx, ns, name)()
				a.Spec.Stopped = on
				return k8sClient.Update(ctx, a)
			}).Should(Succeed())
		}
		setStopped(true)
		Eventually(replicas, 20*time.Second).Should(Equal([]int32{0, 0}))
		// envtest runs no deployment controller: report the scale-down as it would.
		for _, d := range deploymentsOf(ctx, ns, name) {
			d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation}
			Expect(k8sClient.Status().Update(ctx, &d)).To(Succeed())
		}
		Eventually(func() *lightningv1alpha1.LightningApp { return getApp(ctx, ns, name)() }, 20*time.Second).Should(And(
			HaveField("Status.Phase", "Stopped"),
			WithTransform(func(a *lightningv1alpha1.LightningApp) []metav1.Condition { return a.Status.Conditions },
				Satisfy(haveCondition("Ready", "True", "Stopped")))))
		stopped := getApp(ctx, ns, name)()
		Expect(stopped.Status.SecretName).To(Equal(running.Status.SecretName))
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: running.Status.SecretName}, &corev1.Secret{})).To(Succeed(), "the Secret stays")

		setStopped(false)
		Eventually(replicas, 20*time.Second).Should(Equal([]int32{1, 1}))
		Expect(getApp(ctx, ns, name)().Status.SecretsHash).To(Equal(running.Status.SecretsHash), "the same values start again")
	})

	It("deletes the Deployment of a work removed from the spec", func() {
		const ns = "app-shrink"
		newNamespace(ctx, ns)
		Expect(k8sClient.Create(ctx, newApp(ns, "shrinks"))).To(Succeed())
		Eventually(func() int { return len(deploymentsOf(ctx, ns, "shrinks")) }, 20*time.Second).Should(Equal(2))
		Eventually(func() int { return len(getApp(ctx, ns, "shrinks")().Status.Components) }).Should(Equal(2))
		Eventually(func() error {
			a := getApp(ctx, ns, "shrinks")()
			a.Spec.Works = nil
			return k8sClient.Update(ctx, a)
		}).Should(Succeed())
		Eventually(func() int { return len(deploymentsOf(ctx, ns, "shrinks")) }, 20*time.Second).Should(Equal(1))
	})

	It("does no writes after a restart when nothing changed", func() {
		// Let the earlier cases settle, then restart and count.
		time.Sleep(2 * time.Second)
		mgr.Stop()
		mgr = startManager(managerOptions{})
		Consistently(mgr.writes.Load, 5*time.Second, 250*time.Millisecond).Should(BeZero(), func() string {
			apps := &lightningv1alpha1.LightningAppList{}
			_ = k8sClient.List(ctx, apps)
			var st []string
			for _, a := range apps.Items {
				st = append(st, fmt.Sprintf("%s/%s gen=%d obs=%d secret=%q secrets=%d", a.Namespace, a.Name, a.Generation, a.Status.ObservedGeneration, a.Status.SecretName, len(a.Spec.Secrets)))
			}
			return strings.Join(mgr.log.all(), "\n") + "\n" + strings.Join(st, "\n")
		})
	})
})

var _ = Describe("LightningApp rollout debounce", Ordered, func() {
	It("batches secret changes that come faster than the minimum interval", func() {
		ctx := context.Background()
		mgr := startManager(managerOptions{minInterval: time.Hour})
		defer mgr.Stop()
		pub := currentPublicKey(ctx)
		const ns = "app-debounce"
		newNamespace(ctx, ns)
		Expect(k8sClient.Create(ctx, sealedSecret(pub, ns, "s", "one"))).To(Succeed())
		Expect(k8sClient.Create(ctx, newApp(ns, "calm", "S", "s"))).To(Succeed())
		first := resolvedApp(ctx, ns, "calm")
		Eventually(func() []string { return templateHashes(ctx, ns, "calm") }).Should(HaveEach(first.Status.SecretsHash))
		Expect(first.Status.LastRolloutTime).NotTo(BeNil())

		reseal(ctx, pub, ns, "s", "two")
		// The new Secret is written at once, but the pods do not roll yet.
		Eventually(func() int {
			list := &corev1.SecretList{}
			Expect(k8sClient.List(ctx, list, client.InNamespace(ns), client.MatchingLabels{lightningv1alpha1.LabelApp: "calm"})).To(Succeed())
			return len(list.Items)
		}, 20*time.Second).Should(Equal(2))
		Consistently(func() []string { return templateHashes(ctx, ns, "calm") }, 2*time.Second).Should(HaveEach(first.Status.SecretsHash))
		Expect(getApp(ctx, ns, "calm")().Status.SecretName).To(Equal(first.Status.SecretName))
	})

	It("rolls once, after the interval, to the last of several quick changes, also across a restart", func() {
		ctx := context.Background()
		const interval = 6 * time.Second
		mgr := startManager(managerOptions{minInterval: interval})
		pub := currentPublicKey(ctx)
		const ns = "app-burst"
		newNamespace(ctx, ns)
		Expect(k8sClient.Create(ctx, sealedSecret(pub, ns, "s", "one"))).To(Succeed())
		Expect(k8sClient.Create(ctx, newApp(ns, "burst", "S", "s"))).To(Succeed())
		first := resolvedApp(ctx, ns, "burst")
		Eventually(func() []string { return templateHashes(ctx, ns, "burst") }).Should(HaveEach(first.Status.SecretsHash))

		// Record, per Deployment, every template hash it goes through. (The
		// Deployments are written one after the other, so a snapshot of all
		// of them can catch one roll half done: that is not a second roll.)
		var mu sync.Mutex
		seen := map[string][]string{}
		stopWatching := make(chan struct{})
		watched := make(chan struct{})
		go func() {
			defer close(watched)
			for {
				select {
				case <-stopWatching:
					return
				case <-time.After(50 * time.Millisecond):
				}
				deployments := deploymentsOf(ctx, ns, "burst")
				mu.Lock()
				for _, d := range deployments {
					hash := d.Spec.Template.Annotations[lightningv1alpha1.AnnotationSecretsHash]
					if s := seen[d.Name]; len(s) == 0 || s[len(s)-1] != hash {
						seen[d.Name] = append(s, hash)
					}
				}
				mu.Unlock()
			}
		}()
		setValue := func(v string) { reseal(ctx, pub, ns, "s", v) }
		setValue("two")
		time.Sleep(500 * time.Millisecond)
		setValue("three")
		By("restarting the operator within the interval")
		mgr.Stop()
		mgr = startManager(managerOptions{minInterval: interval})
		defer mgr.Stop()
		setValue("four")

		Eventually(func(g Gomega) {
			a := getApp(ctx, ns, "burst")()
			g.Expect(a.Status.SecretsHash).NotTo(Equal(first.Status.SecretsHash))
			g.Expect(templateHashes(ctx, ns, "burst")).To(HaveEach(a.Status.SecretsHash))
		}, 30*time.Second).Should(Succeed())
		final := getApp(ctx, ns, "burst")()
		Expect(appSecret(ctx, final).Data["S"]).To(Equal([]byte("four")))
		Expect(final.Status.LastRolloutTime.Sub(first.Status.LastRolloutTime.Time)).To(BeNumerically(">=", interval-time.Second),
			"the roll waited for the interval")
		Consistently(func() string { return getApp(ctx, ns, "burst")().Status.SecretsHash }, 2*time.Second).Should(Equal(final.Status.SecretsHash))
		close(stopWatching)
		<-watched
		mu.Lock()
		defer mu.Unlock()
		Expect(seen).To(HaveLen(2), "both Deployments were watched")
		for name, hashes := range seen {
			Expect(hashes).To(Equal([]string{first.Status.SecretsHash, final.Status.SecretsHash}), "Deployment %s: one roll, from the first hash to the last", name)
		}
	})
})

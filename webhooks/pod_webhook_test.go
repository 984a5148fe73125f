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

package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	dto "github.com/prometheus/client_model/go"
	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/app"
	"github.com/lightning-operator/lightning-operator/test/builders"
)

const (
	sidecarPath  = "/test-add-sidecar"
	sidecarLabel = "test.lightning.ai/sidecar"
)

// sidecarDefaulter stands for another mutating webhook (a service mesh, say)
// that adds a container after ours ran, so the apiserver reinvokes ours.
type sidecarDefaulter struct{}

func (sidecarDefaulter) Default(_ context.Context, pod *corev1.Pod) error {
	if !slices.ContainsFunc(pod.Spec.Containers, func(c corev1.Container) bool { return c.Name == "sidecar" }) {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: "sidecar", Image: "proxy:1"})
	}
	return nil
}

func registerSidecarWebhook(mgr ctrl.Manager) {
	mgr.GetWebhookServer().Register(sidecarPath, admission.WithDefaulter[*corev1.Pod](mgr.GetScheme(), sidecarDefaulter{}))
}

// installSidecarWebhook registers the sidecar webhook in a configuration
// whose name sorts after ours, so the apiserver calls it second.
func installSidecarWebhook() {
	wio := &env.WebhookInstallOptions
	url := "https://" + net.JoinHostPort(wio.LocalServingHost, strconv.Itoa(wio.LocalServingPort)) + sidecarPath
	cfg := &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "zz-test-sidecar"},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name:                    "sidecar.test.lightning.ai",
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: wio.LocalServingCAData},
			Rules:                   []admissionregistrationv1.RuleWithOperations{podCreateRule()},
			ObjectSelector:          &metav1.LabelSelector{MatchLabels: map[string]string{sidecarLabel: "true"}},
			FailurePolicy:           ptr.To(admissionregistrationv1.Fail),
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1"},
			ReinvocationPolicy:      ptr.To(admissionregistrationv1.NeverReinvocationPolicy),
		}},
	}
	Expect(k8sClient.Create(ctx, cfg)).To(Succeed())
}

func podCreateRule() admissionregistrationv1.RuleWithOperations {
	return admissionregistrationv1.RuleWithOperations{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
		Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}},
	}
}

// Fixtures.

var podSeq int

func appPod(namespace, appName, component string, containers ...string) *corev1.Pod {
	podSeq++
	p := builders.Pod(namespace, appName, component).Name(fmt.Sprintf("pod-%d", podSeq)).Containers(containers...).Obj()
	// An empty name or component tests a pod without that label.
	if appName == "" {
		delete(p.Labels, lightningv1alpha1.LabelApp)
	}
	if component == "" {
		delete(p.Labels, lightningv1alpha1.LabelComponent)
	}
	return p
}

func createApp(namespace, name string, env []lightningv1alpha1.EnvVar, secrets []lightningv1alpha1.SecretEnvVar) *lightningv1alpha1.LightningApp {
	w := builders.App(name, namespace).Work("root.work_a")
	for _, e := range env {
		w.Env(e.Name, e.Value)
	}
	for _, s := range secrets {
		w.Secret(s.Name, s.SecretRef)
	}
	a := w.Obj()
	Expect(k8sClient.Create(ctx, a)).To(Succeed())
	return a
}

// setSecretsStatus writes what the LightningApp controller would: the
// SecretsResolved condition for the current generation and the Secret name.
func setSecretsStatus(a *lightningv1alpha1.LightningApp, status metav1.ConditionStatus, reason, message, secretName string) {
	Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(a), a)).To(Succeed())
	a.Status.SecretName = secretName
	a.Status.ObservedGeneration = a.Generation
	meta.SetStatusCondition(&a.Status.Conditions, metav1.Condition{
		Type: lightningv1alpha1.ConditionSecretsResolved, Status: status, Reason: reason, Message: message,
		ObservedGeneration: a.Generation,
	})
	Expect(k8sClient.Status().Update(ctx, a)).To(Succeed())
}

// createAdmitted creates the pod, retrying while the manager's cache has
// not caught up with the app's status yet, and returns the stored pod.
func createAdmitted(p *corev1.Pod) *corev1.Pod {
	Eventually(func() error {
		return k8sClient.Create(ctx, p.DeepCopy())
	}).WithTimeout(10 * time.Second).WithPolling(100 * time.Millisecond).Should(Succeed())
	got := &corev1.Pod{}
	Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(p), got)).To(Succeed())
	return got
}

func envNames(c corev1.Container) []string {
	out := make([]string, len(c.Env))
	for i, e := range c.Env {
		out[i] = e.Name
	}
	return out
}

func deniedCount(reason string) float64 {
	var m dto.Metric
	Expect(podDenials.WithLabelValues(reason).Write(&m)).To(Succeed())
	return m.GetCounter().GetValue()
}

var _ = Describe("Pod env injection", func() {
	const secretName = "my-app-env-0123456789"

	var resolvedApp *lightningv1alpha1.LightningApp

	BeforeEach(func() {
		if resolvedApp != nil {
			return
		}
		resolvedApp = createApp("alice", "my-app",
			[]lightningv1alpha1.EnvVar{{Name: "FOO", Value: "bar"}},
			[]lightningv1alpha1.SecretEnvVar{{Name: "MY_APP_SECRET", SecretRef: "my-secret"}, {Name: "API_TOKEN", SecretRef: "api-token"}})
		setSecretsStatus(resolvedApp, metav1.ConditionTrue, lightningv1alpha1.ReasonResolved, "All 2 secret(s) resolved", secretName)
	})

	It("adds the app's env and secretKeyRefs to every container of a labelled pod", func() {
		p := appPod("alice", "my-app", "root", "flow", "helper")
		p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "busybox"}}
		p.Spec.Containers[1].Env = []corev1.EnvVar{{Name: "FOO", Value: "mine"}}

		got := createAdmitted(p)
		wantRef := func(name string) corev1.EnvVar {
			return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: secretName}, Key: name}}}
		}
		identity := []corev1.EnvVar{{Name: "LIGHTNING_CLOUD_APP_ID", Value: "my-app"}, {Name: "LIGHTNING_CLOUD_PROJECT_ID", Value: "alice"}}
		all := append([]corev1.EnvVar{{Name: "FOO", Value: "bar"}, wantRef("MY_APP_SECRET"), wantRef("API_TOKEN")}, identity...)
		Expect(got.Spec.InitContainers[0].Env).To(Equal(all))
		Expect(got.Spec.Containers[0].Env).To(Equal(all))
		Expect(got.Spec.Containers[1].Env).To(Equal(append([]corev1.EnvVar{{Name: "FOO", Value: "mine"}, wantRef("MY_APP_SECRET"), wantRef("API_TOKEN")}, identity...)),
			"the container's own FOO wins")
		Expect(got.Annotations).To(HaveKeyWithValue(lightningv1alpha1.AnnotationInjectedEnv, "API_TOKEN,FOO,LIGHTNING_CLOUD_APP_ID,LIGHTNING_CLOUD_PROJECT_ID,MY_APP_SECRET"))
		Expect(got.Annotations).To(HaveKeyWithValue(lightningv1alpha1.AnnotationInjectedSecret, secretName))
	})

	It("treats a work pod created by the Flow at run time, without an owner, the same", func() {
		p := appPod("alice", "my-app", "root.work_a", "work")
		Expect(p.OwnerReferences).To(BeEmpty())
		got := createAdmitted(p)
		Expect(envNames(got.Spec.Containers[0])).To(Equal([]string{"FOO", "MY_APP_SECRET", "API_TOKEN", "LIGHTNING_CLOUD_APP_ID", "LIGHTNING_CLOUD_PROJECT_ID", "LIGHTNING_CLOUD_WORK_NAME"}))
		Expect(got.Spec.Containers[0].Env[5].Value).To(Equal("work_a"))
	})

	It("admits a Work the spec does not declare, launched at run time, with its identity", func() {
		got := createAdmitted(appPod("alice", "my-app", "root.works.3", "work"))
		Expect(envNames(got.Spec.Containers[0])).To(Equal([]string{"FOO", "MY_APP_SECRET", "API_TOKEN", "LIGHTNING_CLOUD_APP_ID", "LIGHTNING_CLOUD_PROJECT_ID", "LIGHTNING_CLOUD_WORK_NAME"}))
		Expect(got.Spec.Containers[0].Env[5].Value).To(Equal("works.3"))
		Expect(got.Annotations).To(HaveKeyWithValue(lightningv1alpha1.AnnotationInjectedSecret, secretName))
	})

	It("refuses a pod created by one app's ServiceAccount but labelled with another app", func() {
		const otherSA = "lightning-app-other-app"
		Expect(k8sClient.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "alice", Name: otherSA}})).To(Succeed())
		Expect(k8sClient.Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: "alice", Name: otherSA},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"create", "get"}}}})).To(Succeed())
		Expect(k8sClient.Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "alice", Name: otherSA},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: otherSA},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: "alice", Name: otherSA}}})).To(Succeed())
		asOther := rest.CopyConfig(restCfg)
		asOther.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:alice:" + otherSA}
		other, err := client.New(asOther, client.Options{Scheme: k8sClient.Scheme()})
		Expect(err).NotTo(HaveOccurred())

		before := deniedCount(ReasonForeignApp)
		Eventually(func() error {
			return other.Create(ctx, appPod("alice", "my-app", "root.works.0", "borrowed"))
		}).WithTimeout(10 * time.Second).Should(MatchError(ContainSubstring(
			`ServiceAccount lightning-app-other-app of LightningApp "other-app" may only create pods labelled lightning.ai/app=other-app, not lightning.ai/app=my-app`)))
		Expect(deniedCount(ReasonForeignApp)).To(BeNumerically(">", before))
		By("an app's own ServiceAccount, or a user, still creates its pods")
		Expect(k8sClient.Create(ctx, appPod("alice", "my-app", "root.works.1", "mine"))).To(Succeed())
	})

	It("injects into a container another webhook adds, when the apiserver reinvokes it", func() {
		installSidecarWebhook()
		p := appPod("alice", "my-app", "root", "flow")
		p.Labels[sidecarLabel] = "true"
		Eventually(func(g Gomega) {
			p.Name = fmt.Sprintf("reinvoked-%d", time.Now().UnixNano())
			got := createAdmitted(p)
			g.Expect(got.Spec.Containers).To(HaveLen(2), "the sidecar webhook is registered")
			g.Expect(got.Spec.Containers[1].Name).To(Equal("sidecar"))
			g.Expect(envNames(got.Spec.Containers[1])).To(Equal([]string{"FOO", "MY_APP_SECRET", "API_TOKEN", "LIGHTNING_CLOUD_APP_ID", "LIGHTNING_CLOUD_PROJECT_ID"}))
			g.Expect(envNames(got.Spec.Containers[0])).To(Equal([]string{"FOO", "MY_APP_SECRET", "API_TOKEN", "LIGHTNING_CLOUD_APP_ID", "LIGHTNING_CLOUD_PROJECT_ID"}))
		}).WithTimeout(15 * time.Second).Should(Succeed())
	})

	It("leaves a pod without the app label untouched", func() {
		p := appPod("alice", "", "", "plain")
		p.Labels["app"] = "something-else"
		Expect(k8sClient.Create(ctx, p)).To(Succeed())
		got := &corev1.Pod{}
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(p), got)).To(Succeed())
		Expect(got.Spec.Containers[0].Env).To(BeEmpty())
		Expect(got.Annotations).NotTo(HaveKey(lightningv1alpha1.AnnotationInjectedEnv))
	})

	It("refuses a pod whose app does not exist, naming the app", func() {
		before := deniedCount(ReasonAppNotFound)
		err := k8sClient.Create(ctx, appPod("alice", "ghost", "root", "flow"))
		Expect(err).To(HaveOccurred())
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "a denial is a 403: %v", err)
		Expect(err.Error()).To(ContainSubstring(`admission webhook "pod-env.lightning.ai" denied the request`))
		Expect(err.Error()).To(ContainSubstring(`LightningApp "ghost" not found in namespace "alice"`))
		Expect(deniedCount(ReasonAppNotFound)).To(Equal(before + 1))
	})

	It("refuses a pod whose app is in another namespace", func() {
		err := k8sClient.Create(ctx, appPod("bob", "my-app", "root", "flow"))
		Expect(err).To(MatchError(ContainSubstring(`LightningApp "my-app" not found in namespace "bob"`)))
	})

	It("refuses a pod whose app's secrets are not resolved, with the reason", func() {
		a := createApp("alice", "unresolved", nil, []lightningv1alpha1.SecretEnvVar{{Name: "X", SecretRef: "missing"}})
		setSecretsStatus(a, metav1.ConditionFalse, lightningv1alpha1.ReasonSecretNotFound, "Secret with name 'missing' not found", "")
		before := deniedCount(ReasonSecretsNotResolved)
		Eventually(func() error {
			return k8sClient.Create(ctx, appPod("alice", "unresolved", "root", "flow"))
		}).WithTimeout(10 * time.Second).Should(MatchError(And(
			ContainSubstring(`the secrets of LightningApp "unresolved" are not resolved`),
			ContainSubstring("SecretNotFound: Secret with name 'missing' not found"),
		)))
		Expect(deniedCount(ReasonSecretsNotResolved)).To(BeNumerically(">", before))
	})

	It("admits a pod with the last good Secret when a secret broke after the app resolved", func() {
		x := lightningv1alpha1.SecretEnvVar{Name: "X", SecretRef: "broken"}
		a := createApp("alice", "last-good", nil, []lightningv1alpha1.SecretEnvVar{x})
		setSecretsStatus(a, metav1.ConditionFalse, lightningv1alpha1.ReasonSecretNotFound, "Secret with name 'broken' not found", "last-good-env-1")
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(a), a)).To(Succeed())
		a.Status.Secrets = []lightningv1alpha1.SecretVersion{{Name: x.Name, SecretRef: x.SecretRef, Version: "0123456789abcdef"}}
		Expect(k8sClient.Status().Update(ctx, a)).To(Succeed())

		got := createAdmitted(appPod("alice", "last-good", "root", "flow"))
		Expect(got.Spec.Containers[0].Env).To(ContainElement(corev1.EnvVar{Name: "X", ValueFrom: &corev1.EnvVarSource{
			SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "last-good-env-1"}, Key: "X"}}}))

		By("refusing it once the spec needs a var the last good Secret lacks")
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(a), a)).To(Succeed())
		a.Spec.Secrets = append(a.Spec.Secrets, lightningv1alpha1.SecretEnvVar{Name: "Y", SecretRef: "y"})
		Expect(k8sClient.Update(ctx, a)).To(Succeed())
		Eventually(func() error {
			return k8sClient.Create(ctx, appPod("alice", "last-good", "root", "flow"))
		}).WithTimeout(10 * time.Second).Should(MatchError(ContainSubstring(`the secrets of LightningApp "last-good" are not resolved`)))
	})

	It("refuses a pod of an app the controller has not processed yet", func() {
		createApp("alice", "fresh", []lightningv1alpha1.EnvVar{{Name: "A", Value: "1"}}, nil)
		Eventually(func() error {
			return k8sClient.Create(ctx, appPod("alice", "fresh", "root", "flow"))
		}).WithTimeout(10 * time.Second).Should(MatchError(ContainSubstring(
			`the secrets of LightningApp "fresh" are not resolved yet (no SecretsResolved condition)`)))
	})

	It("refuses a pod while the app's status describes an older generation", func() {
		a := createApp("alice", "stale", nil, []lightningv1alpha1.SecretEnvVar{{Name: "X", SecretRef: "x"}})
		setSecretsStatus(a, metav1.ConditionTrue, lightningv1alpha1.ReasonResolved, "resolved", "stale-env-1")
		createAdmitted(appPod("alice", "stale", "root", "flow"))

		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(a), a)).To(Succeed())
		a.Spec.Secrets = append(a.Spec.Secrets, lightningv1alpha1.SecretEnvVar{Name: "Y", SecretRef: "y"})
		Expect(k8sClient.Update(ctx, a)).To(Succeed())
		Eventually(func() error {
			return k8sClient.Create(ctx, appPod("alice", "stale", "root", "flow"))
		}).WithTimeout(10 * time.Second).Should(MatchError(ContainSubstring("are not resolved yet for generation 2")))
	})

	It("refuses a pod whose component label is neither a component of the app nor a component path", func() {
		Eventually(func() error {
			return k8sClient.Create(ctx, appPod("alice", "my-app", "nope", "flow"))
		}).WithTimeout(10 * time.Second).Should(MatchError(ContainSubstring(`LightningApp "my-app" has no component "nope" (label lightning.ai/component), and it is not a component path`)))
		err := k8sClient.Create(ctx, appPod("alice", "my-app", "", "flow"))
		Expect(err).To(MatchError(ContainSubstring("has no lightning.ai/component label")))
	})

	It("does not touch pods in the default operator namespace (generated selector)", func() {
		p := appPod(defaultOperatorNamespace, "ghost", "root", "flow")
		Expect(k8sClient.Create(ctx, p)).To(Succeed(), "the webhook would refuse it if it were called")
		got := &corev1.Pod{}
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(p), got)).To(Succeed())
		Expect(got.Spec.Containers[0].Env).To(BeEmpty())
		Expect(got.Annotations).To(BeEmpty())
	})

	It("does not touch pods in kube-system", func() {
		p := appPod(metav1.NamespaceSystem, "ghost", "root", "flow")
		Expect(k8sClient.Create(ctx, p)).To(Succeed())
	})

	It("excludes the operator's actual namespace at run time", func() {
		cfg := &admissionregistrationv1.MutatingWebhookConfiguration{}
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: generatedConfigName}, cfg)).To(Succeed())
			g.Expect(cfg.Webhooks[0].NamespaceSelector.MatchExpressions).To(ConsistOf(metav1.LabelSelectorRequirement{
				Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn,
				Values: []string{defaultOperatorNamespace, metav1.NamespaceSystem, suiteOperatorNamespace},
			}))
		}).WithTimeout(10 * time.Second).Should(Succeed())

		Eventually(func() error {
			p := appPod(suiteOperatorNamespace, "ghost", "root", "flow")
			return k8sClient.Create(ctx, p)
		}).WithTimeout(10 * time.Second).Should(Succeed())
	})

	It("never puts a secret value into the pod", func() {
		// The app's materialized Secret exists, holding a random canary, where
		// the webhook could read it: in the manager's cache behind the served
		// webhook, and in the live client behind the handler called below.
		canary := "canary-" + rand.Text()
		secret := app.DesiredSecret(resolvedApp, "0123456789",
			map[string][]byte{"MY_APP_SECRET": []byte(canary), "API_TOKEN": []byte(canary)})
		Expect(secret.Name).To(Equal(secretName))
		Expect(k8sClient.Create(ctx, secret)).To(Succeed())
		DeferCleanup(func() { Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, secret))).To(Succeed()) })
		// Counts only, so that a failure never prints the value.
		occurrences := func(data []byte) int {
			return strings.Count(string(data), canary) +
				strings.Count(string(data), base64.StdEncoding.EncodeToString([]byte(canary)))
		}

		p := appPod("alice", "my-app", "root", "flow")
		got := createAdmitted(p)
		raw, err := json.Marshal(got)
		Expect(err).NotTo(HaveOccurred())
		Expect(occurrences(raw)).To(BeZero(), "the stored pod carries the secret value")
		for _, e := range got.Spec.Containers[0].Env {
			if e.Name == "MY_APP_SECRET" || e.Name == "API_TOKEN" {
				Expect(e.Value).To(BeEmpty(), "%s has a value", e.Name)
				Expect(e.ValueFrom).NotTo(BeNil(), "%s has no valueFrom", e.Name)
				Expect(e.ValueFrom.SecretKeyRef).To(Equal(&corev1.SecretKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: secretName}, Key: e.Name}))
			}
		}
		Expect(strings.Join(envNames(got.Spec.Containers[0]), ",")).To(Equal("FOO,MY_APP_SECRET,API_TOKEN,LIGHTNING_CLOUD_APP_ID,LIGHTNING_CLOUD_PROJECT_ID"))

		// The admission response itself, patch included.
		raw, err = json.Marshal(p)
		Expect(err).NotTo(HaveOccurred())
		req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
			UID: "never-a-value", Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
			Namespace: "alice", Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: raw},
		}}
		resp := NewPodDefaulterWebhook(k8sClient.Scheme(), NewPodDefaulter(k8sClient, logr.Discard())).Handle(ctx, req)
		Expect(resp.Complete(req)).To(Succeed())
		Expect(resp.Allowed).To(BeTrue(), "%+v", resp.Result)
		Expect(resp.Patch).NotTo(BeEmpty())
		Expect(occurrences(resp.Patch)).To(BeZero(), "the admission response's patch carries the secret value")
		raw, err = json.Marshal(resp.AdmissionResponse)
		Expect(err).NotTo(HaveOccurred())
		Expect(occurrences(raw)).To(BeZero(), "the admission response carries the secret value")
	})
})

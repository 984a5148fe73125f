package webhooks

import (
	"bytes"
	"errors"
	"io"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

// installAppPodsPolicy creates config/policy's ValidatingAdmissionPolicy and
// its binding, as the install bundle does (without its name prefix).
func installAppPodsPolicy() {
	GinkgoHelper()
	data, err := os.ReadFile("../config/policy/app-pods.yaml")
	Expect(err).NotTo(HaveOccurred())
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		obj := &unstructured.Unstructured{}
		if err := dec.Decode(&obj.Object); errors.Is(err, io.EOF) {
			break
		} else {
			Expect(err).NotTo(HaveOccurred())
		}
		if len(obj.Object) == 0 {
			continue
		}
		Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, obj))).To(Succeed(), obj.GetKind())
	}
}

// asServiceAccount is a client that authenticates as the ServiceAccount
// namespace/name, which may create and get pods there.
func asServiceAccount(namespace, name string) client.Client {
	GinkgoHelper()
	Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}))).To(Succeed())
	Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"create", "get"}}}}))).To(Succeed())
	Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: namespace, Name: name}}}))).To(Succeed())
	cfg := rest.CopyConfig(restCfg)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + namespace + ":" + name}
	c, err := client.New(cfg, client.Options{Scheme: k8sClient.Scheme()})
	Expect(err).NotTo(HaveOccurred())
	return c
}

var _ = Describe("Pods an app's ServiceAccount creates (config/policy)", Ordered, func() {
	const ns, appName, ownSecret = "alice", "launcher", "launcher-env-0123456789"
	var flow client.Client

	BeforeAll(func() {
		installAppPodsPolicy()
		a := createApp(ns, appName, nil, []lightningv1alpha1.SecretEnvVar{{Name: "TOKEN", SecretRef: "token"}})
		setSecretsStatus(a, metav1.ConditionTrue, lightningv1alpha1.ReasonResolved, "resolved", ownSecret)
		flow = asServiceAccount(ns, "lightning-app-"+appName)
	})

	launched := func(mutate func(*corev1.Pod)) *corev1.Pod {
		p := appPod(ns, appName, "root.works.7", "work")
		if mutate != nil {
			mutate(p)
		}
		return p
	}
	secretEnv := func(secret string) corev1.EnvVar {
		return corev1.EnvVar{Name: "STOLEN", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: "TOKEN"}}}
	}

	It("admits a Work the Flow launches with its own label, injected with its own Secret", func() {
		var got *corev1.Pod
		Eventually(func() error {
			p := launched(nil)
			got = p
			return flow.Create(ctx, p)
		}).WithTimeout(15 * time.Second).Should(Succeed(), "the policy admits it once it is in force")
		Expect(got.Spec.Containers[0].Env).To(ContainElement(HaveField("ValueFrom.SecretKeyRef.Name", ownSecret)))
	})

	DescribeTable("refuses a pod that reaches past its app",
		func(mutate func(*corev1.Pod), message string) {
			Eventually(func() error { return flow.Create(ctx, launched(mutate)) }).WithTimeout(15 * time.Second).
				Should(MatchError(ContainSubstring(message)))
		},
		Entry("no app label, so the webhook never sees it", func(p *corev1.Pod) {
			delete(p.Labels, lightningv1alpha1.LabelApp)
			p.Spec.Containers[0].Env = []corev1.EnvVar{secretEnv("my-app-env-0123456789")}
		}, "must be labelled lightning.ai/app=launcher"),
		Entry("another app's Secret in its own env", func(p *corev1.Pod) {
			p.Spec.Containers[0].Env = []corev1.EnvVar{secretEnv("my-app-env-0123456789")}
		}, "may reference no Secret in env or envFrom"),
		Entry("a Secret through envFrom", func(p *corev1.Pod) {
			p.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "my-app-env-0123456789"}}}}
		}, "may reference no Secret in env or envFrom"),
		Entry("a Secret volume", func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "my-app-env-0123456789"}}}}
		}, "may mount no Secret volume"),
		Entry("a projected Secret", func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "s", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
				Sources: []corev1.VolumeProjection{{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "my-app-env-0123456789"}}}}}}}}
		}, "may mount no Secret volume"),
		Entry("another app's ServiceAccount", func(p *corev1.Pod) {
			p.Spec.ServiceAccountName = "lightning-app-my-app"
		}, "must run as lightning-app-launcher or default"),
		Entry("a Secret named like its own but of an app whose name starts with its own", func(p *corev1.Pod) {
			p.Spec.Containers[0].Env = []corev1.EnvVar{secretEnv("launcher-env-x-env-0123456789")}
		}, "may reference no Secret in env or envFrom"),
	)
})

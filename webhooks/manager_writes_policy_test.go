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
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/podsecurity"
)

// The manager's own token, stolen, as a hostile tenant would use it: its
// real RBAC (config/rbac, generated from the markers) and the policies of
// config/policy/manager-writes.yaml, through the real apiserver.
var _ = Describe("What the manager's token may write (config/rbac, config/policy)", Ordered, func() {
	const operatorNS, tenant, allowedNS = "lightning-system", "tenant-a", "tenant-gpu"
	const managerUser = "system:serviceaccount:" + operatorNS + ":lightning-operator-controller-manager"
	var manager client.Client

	BeforeAll(func() {
		for _, ns := range []string{operatorNS, tenant, allowedNS} {
			Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))).To(Succeed())
		}
		gpu := &corev1.Namespace{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Name: allowedNS}, gpu)).To(Succeed())
		gpu.Labels[lightningv1alpha1.LabelAppPodSecurity] = lightningv1alpha1.AppPodSecurityPrivileged
		Expect(k8sClient.Update(ctx, gpu)).To(Succeed())

		installManifests("../config/policy/manager-writes.yaml", nil)
		installManifests("../config/rbac/app_launcher_role.yaml", func(o *unstructured.Unstructured) { o.SetName("lightning-operator-app-launcher") })
		// The manager's ClusterRole as generated, bound as the bundle binds it.
		installManifests("../config/rbac/role.yaml", func(o *unstructured.Unstructured) {
			o.SetName("lightning-operator-" + o.GetName())
			if o.GetNamespace() != "" {
				o.SetNamespace(operatorNS)
			}
		})
		Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "manager-under-test"},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "lightning-operator-manager-role"},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: operatorNS, Name: "lightning-operator-controller-manager"}}}))).To(Succeed())
		cfg := rest.CopyConfig(restCfg)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: managerUser}
		var err error
		manager, err = client.New(cfg, client.Options{Scheme: k8sClient.Scheme()})
		Expect(err).NotTo(HaveOccurred())
	})

	seq := 0
	deployment := func(ns string, mutate func(*appsv1.Deployment)) *appsv1.Deployment {
		seq++
		labels := map[string]string{lightningv1alpha1.LabelApp: "my-app", lightningv1alpha1.LabelComponent: "root"}
		d := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("my-app-root-%d", seq), Labels: map[string]string{lightningv1alpha1.LabelApp: "my-app"}},
			Spec: appsv1.DeploymentSpec{
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: *restricted(&corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "component", Image: "app:dev"}}}}).Spec.DeepCopy()},
			},
		}
		if mutate != nil {
			mutate(d)
		}
		return d
	}
	refusedAs := func(obj client.Object, message string) {
		GinkgoHelper()
		Eventually(func() error { return manager.Create(ctx, obj.DeepCopyObject().(client.Object)) }).WithTimeout(15 * time.Second).
			Should(MatchError(ContainSubstring(message)))
	}

	It("writes an app's Deployment, and a privileged one where the namespace's admin allowed it", func() {
		Eventually(func() error { return manager.Create(ctx, deployment(tenant, nil)) }).WithTimeout(15 * time.Second).Should(Succeed())
		Expect(manager.Create(ctx, deployment(allowedNS, func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: ptr.To(true)}
		}))).To(Succeed())
	})

	It("holds no pod create: a bare pod is refused by RBAC", func() {
		p := restricted(appPod(tenant, "my-app", "root", "c"))
		err := manager.Create(ctx, p)
		Expect(err).To(MatchError(ContainSubstring(`User "` + managerUser + `" cannot create resource "pods"`)))
		GinkgoWriter.Printf("a bare pod, as the manager: %v\n", err)
	})

	DescribeTable("refuses a Deployment that is not an app's",
		func(ns string, mutate func(*appsv1.Deployment), message string) {
			refusedAs(deployment(ns, mutate), message)
		},
		Entry("in kube-system", "kube-system", nil, "is in namespace kube-system, where no app runs"),
		Entry("in the operator's namespace", operatorNS, nil, "is in namespace lightning-system, where no app runs"),
		Entry("without the app label", tenant, func(d *appsv1.Deployment) {
			delete(d.Labels, lightningv1alpha1.LabelApp)
		}, "must carry the label lightning.ai/app"),
		Entry("running as another ServiceAccount", tenant, func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.ServiceAccountName = "admin"
		}, "must run as default or lightning-app-my-app"),
	)

	// Each entry is judged by upstream's evaluator at "baseline" too.
	DescribeTable("refuses a Deployment that asks for more than baseline, as k8s.io/pod-security-admission judges it",
		func(mutate func(*appsv1.Deployment), message string) {
			d := deployment(tenant, mutate)
			Expect(podsecurity.Violations(psaapi.LevelBaseline, &d.Spec.Template.ObjectMeta, &d.Spec.Template.Spec)).NotTo(BeEmpty(), "upstream refuses it")
			refusedAs(d, message)
		},
		Entry("a privileged container", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: ptr.To(true)}
		}, "a privileged container"),
		Entry("SYS_ADMIN", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].SecurityContext.Capabilities.Add = []corev1.Capability{"SYS_ADMIN"}
		}, "capabilities.add"),
		Entry("a hostPath of /", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Volumes = []corev1.Volume{{Name: "root", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}
		}, "hostPath"),
		Entry("hostPID", func(d *appsv1.Deployment) { d.Spec.Template.Spec.HostPID = true }, "host namespaces"),
		Entry("an Unconfined seccomp profile", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.SecurityContext.SeccompProfile.Type = corev1.SeccompProfileTypeUnconfined
		}, "Unconfined seccomp"),
		Entry("a host port", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: 80}}
		}, "a hostPort"),
	)

	It("binds only the launcher ClusterRole, only to an app's ServiceAccount", func() {
		binding := func(roleKind, role, subject string) *rbacv1.RoleBinding {
			seq++
			return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: tenant, Name: fmt.Sprintf("b-%d", seq)},
				RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: roleKind, Name: role},
				Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: tenant, Name: subject}}}
		}
		Eventually(func() error {
			return manager.Create(ctx, binding("ClusterRole", "lightning-operator-app-launcher", "lightning-app-my-app"))
		}).WithTimeout(15 * time.Second).Should(Succeed())
		err := manager.Create(ctx, binding("ClusterRole", "cluster-admin", "lightning-app-my-app"))
		Expect(err).To(MatchError(ContainSubstring("is attempting to grant RBAC permissions not currently held")))
		GinkgoWriter.Printf("binding cluster-admin, as the manager: %v\n", err)

		By("a Role whose verbs the manager holds (reading Secrets) needs no bind: the policy refuses it")
		Expect(k8sClient.Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: tenant, Name: "secret-reader"},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}}}})).To(Succeed())
		refusedAs(binding("Role", "secret-reader", "lightning-app-my-app"), "may write only RoleBindings of the ClusterRole lightning-operator-app-launcher")
		refusedAs(binding("ClusterRole", "lightning-operator-app-launcher", "someone-else"), "to an app ServiceAccount (lightning-app-*)")
	})

	It("writes no ServiceAccount token Secret", func() {
		refusedAs(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: tenant, Name: "minted",
			Annotations: map[string]string{corev1.ServiceAccountNameKey: "default"}}, Type: corev1.SecretTypeServiceAccountToken},
			"may not write a ServiceAccount token Secret")
	})
})

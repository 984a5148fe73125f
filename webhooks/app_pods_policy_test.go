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
	"k8s.io/apimachinery/pkg/util/intstr"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	psaapi "k8s.io/pod-security-admission/api"
	psapolicy "k8s.io/pod-security-admission/policy"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

// installAppPodsPolicy creates config/policy's ValidatingAdmissionPolicy and
// its binding, as the install bundle does (without its name prefix).
func installAppPodsPolicy() { installManifests("../config/policy/app-pods.yaml", nil) }

// installManifests creates every object of a YAML file, each changed by
// edit first (when set).
func installManifests(path string, edit func(*unstructured.Unstructured)) {
	GinkgoHelper()
	data, err := os.ReadFile(path)
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
		if edit != nil {
			edit(obj)
		}
		Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, obj))).To(Succeed(), obj.GetKind())
	}
}

// asServiceAccount is a client that authenticates as the ServiceAccount
// namespace/name, which RBAC lets create, get, update and delete pods there
// (more than a Flow's Role grants, so the policy alone is what refuses).
func asServiceAccount(namespace, name string) client.Client {
	GinkgoHelper()
	Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}))).To(Succeed())
	Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"create", "get", "update", "patch", "delete"}}}}))).To(Succeed())
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
		p := restricted(appPod(ns, appName, "root.works.7", "work"))
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
		}).WithTimeout(15*time.Second).Should(Succeed(), "the policy admits it once it is in force")
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

	// Each entry is judged by upstream's Pod Security evaluator at
	// "restricted" too: the policy must agree with it, so a rule missing
	// from (or stricter than) the CEL shows up here.
	DescribeTable("holds the pods it launches to Pod Security restricted, as k8s.io/pod-security-admission judges them",
		func(mutate func(*corev1.Pod), field string) {
			p := launched(mutate)
			upstream := restrictedViolations(p)
			if field == "" {
				Expect(upstream).To(BeEmpty(), "upstream allows it")
				Eventually(func() error { return flow.Create(ctx, launched(mutate)) }).WithTimeout(15 * time.Second).Should(Succeed())
				return
			}
			Expect(upstream).NotTo(BeEmpty(), "upstream refuses it")
			Eventually(func() error { return flow.Create(ctx, p) }).WithTimeout(15 * time.Second).
				Should(MatchError(And(ContainSubstring("a pod created by the ServiceAccount of LightningApp "+appName), ContainSubstring(field))))
		},
		Entry("a privileged container", func(p *corev1.Pod) {
			p.Spec.Containers[0].SecurityContext.Privileged = ptr.To(true)
			p.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = nil // the apiserver refuses the pair
		}, "securityContext.privileged"),
		Entry("hostPID", func(p *corev1.Pod) { p.Spec.HostPID = true }, "spec.hostPID"),
		Entry("hostNetwork", func(p *corev1.Pod) { p.Spec.HostNetwork = true }, "spec.hostNetwork"),
		Entry("hostIPC", func(p *corev1.Pod) { p.Spec.HostIPC = true }, "spec.hostIPC"),
		Entry("a hostPath volume of /", func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "root", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}
		}, "no hostPath"),
		Entry("an NFS volume", func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "n", VolumeSource: corev1.VolumeSource{NFS: &corev1.NFSVolumeSource{Server: "nfs", Path: "/"}}}}
		}, "spec.volumes"),
		Entry("a host port", func(p *corev1.Pod) {
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: 80}}
		}, "hostPort"),
		Entry("an added SYS_ADMIN", func(p *corev1.Pod) {
			p.Spec.Containers[0].SecurityContext.Capabilities.Add = []corev1.Capability{"SYS_ADMIN"}
		}, "securityContext.capabilities"),
		Entry("capabilities not dropped", func(p *corev1.Pod) { p.Spec.Containers[0].SecurityContext.Capabilities = nil }, "securityContext.capabilities"),
		Entry("privilege escalation left to the default", func(p *corev1.Pod) {
			p.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = nil
		}, "allowPrivilegeEscalation=false"),
		Entry("an unmasked /proc", func(p *corev1.Pod) {
			p.Spec.HostUsers = ptr.To(false) // the apiserver allows Unmasked in a user namespace only
			p.Spec.Containers[0].SecurityContext.ProcMount = ptr.To(corev1.UnmaskedProcMount)
		}, "procMount"),
		Entry("an unsafe sysctl", func(p *corev1.Pod) {
			p.Spec.SecurityContext.Sysctls = []corev1.Sysctl{{Name: "kernel.core_pattern", Value: "|/x"}}
		}, "unsafe sysctl"),
		Entry("an Unconfined seccomp profile on the pod", func(p *corev1.Pod) {
			p.Spec.SecurityContext.SeccompProfile.Type = corev1.SeccompProfileTypeUnconfined
		}, "seccompProfile"),
		Entry("an Unconfined seccomp profile on a container", func(p *corev1.Pod) {
			p.Spec.Containers[0].SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
		}, "seccompProfile"),
		Entry("runAsUser 0", func(p *corev1.Pod) { p.Spec.Containers[0].SecurityContext.RunAsUser = ptr.To[int64](0) }, "non-root"),
		Entry("runAsNonRoot false on a container", func(p *corev1.Pod) {
			p.Spec.Containers[0].SecurityContext.RunAsNonRoot = ptr.To(false)
		}, "non-root"),
		Entry("an Unconfined AppArmor profile", func(p *corev1.Pod) {
			p.Spec.SecurityContext.AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}
		}, "AppArmor"),
		Entry("an SELinux user", func(p *corev1.Pod) {
			p.Spec.Containers[0].SecurityContext.SELinuxOptions = &corev1.SELinuxOptions{User: "system_u"}
		}, "SELinux"),
		Entry("a probe aimed at another host", func(p *corev1.Pod) {
			p.Spec.Containers[0].LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
				HTTPGet: &corev1.HTTPGetAction{Host: "10.0.0.1", Port: intstr.FromInt32(80)}}}
		}, "probe or lifecycle host"),
		Entry("an init container with privilege", func(p *corev1.Pod) {
			c := p.Spec.Containers[0].DeepCopy()
			c.Name, c.SecurityContext.Privileged, c.SecurityContext.AllowPrivilegeEscalation = "init", ptr.To(true), nil
			p.Spec.InitContainers = []corev1.Container{*c}
		}, "securityContext.privileged"),
		Entry("NET_BIND_SERVICE, emptyDir and a safe sysctl are allowed", func(p *corev1.Pod) {
			p.Spec.Containers[0].SecurityContext.Capabilities.Add = []corev1.Capability{"NET_BIND_SERVICE"}
			p.Spec.Volumes = []corev1.Volume{{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
			p.Spec.SecurityContext.Sysctls = []corev1.Sysctl{{Name: "net.ipv4.ip_local_port_range", Value: "1024 65000"}}
		}, ""),
	)

	DescribeTable("refuses a pod that names a Secret the webhook did not",
		func(mutate func(*corev1.Pod), message string) {
			Eventually(func() error { return flow.Create(ctx, launched(mutate)) }).WithTimeout(15 * time.Second).
				Should(MatchError(ContainSubstring(message)))
		},
		Entry("another app's Secret as an image pull secret", func(p *corev1.Pod) {
			p.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "victim-env-0123456789"}}
		}, "may not name an app Secret in spec.imagePullSecrets"),
		Entry("a CSI volume with a node publish Secret", func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "c", VolumeSource: corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{
				Driver: "csi.example.com", NodePublishSecretRef: &corev1.LocalObjectReference{Name: "victim-env-0123456789"}}}}}
		}, "csi.nodePublishSecretRef"),
	)

	It("lets an app's token delete its own pods and no other app's", func() {
		victim := createApp(ns, "victim", nil, nil)
		setSecretsStatus(victim, metav1.ConditionTrue, lightningv1alpha1.ReasonResolved, "resolved", "")
		theirs := createAdmitted(appPod(ns, "victim", "root", "c"))
		Eventually(func() error { return flow.Delete(ctx, theirs) }).WithTimeout(15 * time.Second).
			Should(MatchError(ContainSubstring("the ServiceAccount of LightningApp launcher may delete only pods labelled lightning.ai/app=launcher, not pod " + theirs.Name)))

		By("nor relabel it, nor take one of its own over to the other app")
		patched := theirs.DeepCopy()
		patched.Labels["extra"] = "x"
		Expect(flow.Update(ctx, patched)).To(MatchError(ContainSubstring("may update only pods labelled lightning.ai/app=launcher")))
		var own *corev1.Pod
		Eventually(func() error { own = launched(nil); return flow.Create(ctx, own) }).WithTimeout(15 * time.Second).Should(Succeed())
		moved := own.DeepCopy()
		moved.Labels[lightningv1alpha1.LabelApp] = "victim"
		Expect(flow.Update(ctx, moved)).To(MatchError(ContainSubstring("may update only pods labelled lightning.ai/app=launcher")))

		By("its own Work it may stop")
		Expect(flow.Delete(ctx, own)).To(Succeed())
	})
})

// restricted gives a pod the security context the "restricted" Pod
// Security Standard asks for, as a Flow's launched Work must carry.
func restricted(p *corev1.Pod) *corev1.Pod {
	p.Spec.SecurityContext = &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}}
	for i := range p.Spec.Containers {
		p.Spec.Containers[i].SecurityContext = &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false),
			Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}
	}
	return p
}

// restrictedViolations is upstream's judgement of p at "restricted", latest.
func restrictedViolations(p *corev1.Pod) []string {
	evaluator, err := psapolicy.NewEvaluator(psapolicy.DefaultChecks(), nil)
	Expect(err).NotTo(HaveOccurred())
	var out []string
	for _, r := range evaluator.EvaluatePod(psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}, &p.ObjectMeta, &p.Spec) {
		if !r.Allowed {
			out = append(out, r.ForbiddenReason+": "+r.ForbiddenDetail)
		}
	}
	return out
}

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

package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/keysecret"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
	"github.com/lightning-operator/lightning-operator/test/images"
)

// Apps as their users run them, on the node: identity, Works launched at run
// time, another app's ServiceAccount refused, and what the status says when
// a component cannot run. The longest after the in-cluster container, so
// it starts early.
var _ = Describe("On the node, apps as users run them", Ordered, SpecPriority(1), func() {
	const (
		ns      = "dave"
		secName = "token"
		envName = "TOKEN"
	)
	var value string

	BeforeAll(func(ctx SpecContext) {
		if !cluster.HasNode {
			Skip("node skipped: " + cluster.NodeSkipped)
		}
		createNamespace(ctx, ns)
		value = canary("dave")
		cli(ctx, value, "secret", "create", secName, "-n", ns, "--apply")
	})

	// runApp runs an app through the CLI, then merges patch (JSON) into it.
	runApp := func(ctx context.Context, namespace, name, image, patch string, command ...string) {
		GinkgoHelper()
		appFile := workDir + "/" + name + ".py"
		Expect(os.WriteFile(appFile, []byte("import lightning as L\n"), 0o644)).To(Succeed())
		args := []string{"run", "app", appFile, "--cloud", "--name", name, "-n", namespace,
			"--work", "root.work_a", "--secret", envName + "=" + secName, "--apply", "--image", image}
		if len(command) > 0 {
			args = append(append(args, "--"), command...)
		}
		cli(ctx, "", args...)
		if patch != "" {
			kubectl(ctx, "", "patch", "lightningapp", name, "-n", namespace, "--type=merge", "-p", patch)
		}
	}
	demo := []string{images.DemoAppCommand, "--secret", envName, "--env", lightningv1alpha1.EnvAppID, "--env", lightningv1alpha1.EnvProjectID}

	// readyMessage waits until the app's Ready condition has reason and a
	// message with every part, and returns the message.
	readyMessage := func(ctx context.Context, namespace, name, reason string, parts ...string) string {
		GinkgoHelper()
		var msg string
		Eventually(func(g Gomega) {
			c := meta.FindStatusCondition(getApp(ctx, namespace, name).Status.Conditions, lightningv1alpha1.ConditionReady)
			g.Expect(c).NotTo(BeNil())
			msg = c.Message
			g.Expect(c.Reason).To(Equal(reason), c.Message)
			for _, p := range parts {
				g.Expect(c.Message).To(ContainSubstring(p))
			}
		}).WithContext(ctx).Should(Succeed())
		return msg
	}

	It("gives the Flow, a declared Work and a Work launched at run time their identity and the value", func(ctx SpecContext) {
		runApp(ctx, ns, "launcher", podImage(), `{"spec":{"launchWorks":true}}`, demo...)
		waitCurrent(ctx, ns, "launcher")
		logs := componentLogs(ctx, ns, "launcher")
		for c, log := range logs {
			Expect(log).To(ContainSubstring("component="+c+" "), "the log of %s", c)
			Expect(log).To(ContainSubstring("env LIGHTNING_CLOUD_APP_ID=launcher\n"))
			Expect(log).To(ContainSubstring("env LIGHTNING_CLOUD_PROJECT_ID=dave\n"))
			Expect(log).To(ContainSubstring("secret " + envName + " sha256=" + sha256Hex(value) + "\n"))
			GinkgoWriter.Printf("identity of %s:\n%s", c, log)
		}

		By("showing every component's log, prefixed by its path, as `lightning show logs` does")
		out := cli(ctx, "", "show", "logs", "launcher", "-n", ns)
		for c := range logs {
			Expect(out).To(ContainSubstring("["+c+"] component="+c+" "), "show logs")
			Expect(out).To(ContainSubstring("["+c+"] secret "+envName+" sha256="+sha256Hex(value)+"\n"), "show logs")
		}
		Expect(out).NotTo(ContainSubstring(value))
		GinkgoWriter.Printf("kubectl lightning show logs launcher:\n%s", out)
		one := cli(ctx, "", "show", "logs", "launcher", "root.work_a", "-n", ns)
		Expect(one).To(ContainSubstring("[root.work_a] component=root.work_a "))
		Expect(one).NotTo(ContainSubstring("[root] "))

		By("launching a Work as the Flow would: as the app's ServiceAccount, with kubectl --as")
		pod := fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"launcher-works-9","namespace":%q,
			"labels":{"lightning.ai/app":"launcher","lightning.ai/component":"root.works.9"}},
			"spec":{"restartPolicy":"Never","securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},
			"containers":[{"name":"work","image":%q,"imagePullPolicy":"Never","command":[%q,"--secret",%q],
			"securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}]}}`,
			ns, podImage(), images.DemoAppCommand, envName)
		kubectl(ctx, pod, "create", "-f", "-", "--as=system:serviceaccount:dave:lightning-app-launcher")
		Eventually(func(g Gomega) {
			out, err := kubectlErr(ctx, "", "logs", "-n", ns, "launcher-works-9")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(out).To(ContainSubstring("component=root.works.9 "))
			g.Expect(out).To(ContainSubstring("secret " + envName + " sha256=" + sha256Hex(value) + "\n"))
			GinkgoWriter.Printf("identity of the run-time Work root.works.9:\n%s", out)
		}).WithContext(ctx).Should(Succeed())
	})

	It("refuses a pod that one app's ServiceAccount labels with another app", func(ctx SpecContext) {
		runApp(ctx, ns, "victim", podImage(), "", demo...)
		waitCurrent(ctx, ns, "victim")
		pod := fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"borrowed","namespace":%q,
			"labels":{"lightning.ai/app":"victim","lightning.ai/component":"root.works.1"}},
			"spec":{"containers":[{"name":"c","image":%q,"imagePullPolicy":"Never"}]}}`, ns, podImage())
		out, err := kubectlErr(ctx, pod, "create", "-f", "-", "--as=system:serviceaccount:dave:lightning-app-launcher")
		Expect(err).To(HaveOccurred())
		Expect(out).To(ContainSubstring(`ServiceAccount lightning-app-launcher of LightningApp "launcher" may only create pods labelled lightning.ai/app=launcher, not lightning.ai/app=victim`))
		GinkgoWriter.Printf("kubectl --as the launcher's ServiceAccount: %s\n", strings.TrimSpace(out))

		By("nor one without the label that mounts the other app's Secret")
		secret := getApp(ctx, ns, "victim").Status.SecretName
		pod = fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"sneaky","namespace":%q},
			"spec":{"containers":[{"name":"c","image":%q}],"volumes":[{"name":"s","secret":{"secretName":%q}}]}}`, ns, podImage(), secret)
		out, err = kubectlErr(ctx, pod, "create", "-f", "-", "--as=system:serviceaccount:dave:lightning-app-launcher")
		Expect(err).To(HaveOccurred())
		Expect(out).To(ContainSubstring("must be labelled lightning.ai/app=launcher"))
		GinkgoWriter.Printf("kubectl --as, no label: %s\n", strings.TrimSpace(out))
	})

	It("keeps a Flow's token inside its app: restricted pods, no other app's Secret, no other app's pods, no logs", func(ctx SpecContext) {
		const flow = "--as=system:serviceaccount:dave:lightning-app-launcher"
		// A Work the Flow might launch, restricted, to which each attack adds one thing.
		work := func(name string, mutate func(*corev1.Pod)) string {
			p := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns,
					Labels: map[string]string{lightningv1alpha1.LabelApp: "launcher", lightningv1alpha1.LabelComponent: "root.works.1"}},
				Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
					SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
					Containers: []corev1.Container{{Name: "work", Image: podImage(), ImagePullPolicy: corev1.PullNever,
						SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}}}}
			mutate(p)
			data, err := json.Marshal(p)
			Expect(err).NotTo(HaveOccurred())
			return string(data)
		}
		victimSecret := getApp(ctx, ns, "victim").Status.SecretName
		attacks := []struct {
			what, refusal string
			mutate        func(*corev1.Pod)
		}{
			{"privileged", "may not run a privileged container (securityContext.privileged)", func(p *corev1.Pod) {
				p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: ptr.To(true)}
			}},
			{"hostPID", "may not use the host namespaces (spec.hostNetwork, spec.hostPID, spec.hostIPC)", func(p *corev1.Pod) { p.Spec.HostPID = true }},
			{"hostPath /", "may mount only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim or projected volumes (spec.volumes: no hostPath)", func(p *corev1.Pod) {
				p.Spec.Volumes = []corev1.Volume{{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}
			}},
			{"the victim's Secret as an image pull secret", "may not name an app Secret in spec.imagePullSecrets", func(p *corev1.Pod) {
				p.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: victimSecret}}
			}},
		}
		for i, attack := range attacks {
			out, err := kubectlErr(ctx, work(fmt.Sprintf("attack-%d", i), attack.mutate), "create", "-f", "-", flow)
			Expect(err).To(HaveOccurred(), attack.what)
			Expect(out).To(ContainSubstring("a pod created by the ServiceAccount of LightningApp launcher " + attack.refusal))
			GinkgoWriter.Printf("the Flow's token, %s: %s\n", attack.what, strings.TrimSpace(out))
		}

		By("deleting another app's pod, or reading its log")
		victimPod := listPods(ctx, ns, "victim")[0].Name
		out, err := kubectlErr(ctx, "", "delete", "pod", victimPod, "-n", ns, "--wait=false", flow)
		Expect(err).To(HaveOccurred())
		Expect(out).To(ContainSubstring("the ServiceAccount of LightningApp launcher may delete only pods labelled lightning.ai/app=launcher, not pod " + victimPod))
		GinkgoWriter.Printf("the Flow's token, deleting the victim's pod: %s\n", strings.TrimSpace(out))
		out, err = kubectlErr(ctx, "", "logs", victimPod, "-n", ns, flow)
		Expect(err).To(HaveOccurred())
		Expect(out).To(ContainSubstring(`cannot get resource "pods/log"`))
		GinkgoWriter.Printf("the Flow's token, the victim's log: %s\n", strings.TrimSpace(out))
		Expect(listPods(ctx, ns, "victim")).To(ContainElement(HaveField("Name", victimPod)), "the victim's pod still runs")

		list := kubectl(ctx, "", "auth", "can-i", "--list", "-n", ns, flow)
		GinkgoWriter.Printf("kubectl auth can-i --list -n %s %s:\n%s", ns, flow, list)
		Expect(list).To(MatchRegexp(`(?m)^pods\s+\[\]\s+\[\]\s+\[create get list watch delete\]$`))
		Expect(list).NotTo(ContainSubstring("pods/log"))
		Expect(list).NotTo(MatchRegexp(`(?m)^secrets\s`))
	})

	It("never runs an app on a Secret a stranger squatted under the name a GitOps revert brings back", func(ctx SpecContext) {
		const reverted, app = "dave-revert", "reverted"
		createNamespace(ctx, reverted)
		first, second := canary("revert-first"), canary("revert-second")
		cli(ctx, first, "secret", "create", secName, "-n", reverted, "--apply")
		firstEnvelope := getLightningSecret(ctx, reverted, secName).Spec.EncryptedValue
		runApp(ctx, reverted, app, podImage(), "", demo...)
		firstSecret := resolvedSecretName(ctx, reverted, app)
		for c, log := range componentLogs(ctx, reverted, app) {
			Expect(log).To(ContainSubstring("secret "+envName+" sha256="+sha256Hex(first)+"\n"), "the log of %s", c)
		}

		By("a new value: the app rolls onto a new Secret, and the first one goes with its pods")
		cli(ctx, second, "secret", "create", secName, "-n", reverted, "--overwrite", "--apply")
		Eventually(func(g Gomega) {
			g.Expect(getApp(ctx, reverted, app).Status.SecretName).NotTo(Equal(firstSecret))
			err := k8sClient.Get(ctx, types.NamespacedName{Namespace: reverted, Name: firstSecret}, &corev1.Secret{})
			g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "Secret %s: %v", firstSecret, err)
		}).WithContext(ctx).Should(Succeed())
		secondSecret := resolvedSecretName(ctx, reverted, app)

		By("a user who may create Secrets, not read them, squats the first name; then the old manifest is put back")
		kubectl(ctx, "", "create", "role", "secret-writer", "-n", reverted, "--verb=create", "--resource=secrets")
		kubectl(ctx, "", "create", "rolebinding", "mallory", "-n", reverted, "--role=secret-writer", "--user=mallory")
		strangers := canary("strangers")
		kubectl(ctx, "", "create", "secret", "generic", firstSecret, "-n", reverted, "--from-literal="+envName+"="+strangers,
			"--as=mallory")
		kubectl(ctx, "", "patch", "lightningsecret", secName, "-n", reverted, "--type=merge",
			"-p", fmt.Sprintf(`{"spec":{"encryptedValue":%q}}`, firstEnvelope))
		msg := readyMessage(ctx, reverted, app, lightningv1alpha1.ReasonForeignObject,
			"Secret "+reverted+"/"+firstSecret+" exists and is not owned by LightningApp reverted")
		Expect(meta.IsStatusConditionTrue(getApp(ctx, reverted, app).Status.Conditions, "Stalled")).To(BeTrue())
		GinkgoWriter.Printf("Ready after the revert onto a squatted name: %s\n", msg)

		By("the processes, restarted, still read the last good value and never the stranger's")
		Expect(getApp(ctx, reverted, app).Status.SecretName).To(Equal(secondSecret))
		kubectl(ctx, "", "delete", "pods", "-n", reverted, "-l", lightningv1alpha1.LabelApp+"="+app, "--wait=true")
		Eventually(func(g Gomega) {
			for c, log := range componentLogs(ctx, reverted, app) {
				g.Expect(log).To(ContainSubstring("secret "+envName+" sha256="+sha256Hex(second)+"\n"), "the log of %s", c)
				g.Expect(log).NotTo(ContainSubstring(sha256Hex(strangers)))
				GinkgoWriter.Printf("%s after the revert: secret %s sha256=%s (the stranger's would be %s)\n", c, envName, sha256Hex(second), sha256Hex(strangers))
			}
		}).WithContext(ctx).Should(Succeed())
	})

	It("carries values byte for byte: a trailing newline, tabs and unicode, and one just under an env var's limit", func(ctx SpecContext) {
		const bytesNS, app = "dave-bytes", "bytes"
		createNamespace(ctx, bytesNS)
		big := make([]byte, 128*1024-64) // under Linux's 131,072 bytes per NAME=value string
		for i := range big {
			big[i] = "abcdefghijklmnopqrstuvwxyz0123456789+/"[i%38]
		}
		values := map[string]string{
			"PEM_KEY": "-----BEGIN PRIVATE KEY-----\nMIIBVAIBADANBgkqhkiG9w0BAQEFAASCAT4wggE6AgEAAkEA" + canary("pem") + "\n-----END PRIVATE KEY-----\n",
			"TABS":    "col1\tcol2\t\u2603 \u00fcn\u00efc\u00f6d\u00e9 \U0001f511 \u65e5\u672c " + canary("tabs"),
			"BIG":     string(big),
		}
		args := []string{"run", "app", workDir + "/" + app + ".py", "--cloud", "--name", app, "-n", bytesNS, "--apply", "--image", podImage()}
		command := []string{images.DemoAppCommand}
		for env, value := range values {
			file := workDir + "/" + strings.ToLower(env) + ".value"
			Expect(os.WriteFile(file, []byte(value), 0o600)).To(Succeed())
			name := strings.ToLower(strings.ReplaceAll(env, "_", "-"))
			cli(ctx, "", "secret", "create", name, "-n", bytesNS, "--from-file", file, "--apply")
			args = append(args, "--secret", env+"="+name)
			command = append(command, "--secret", env)
		}
		Expect(os.WriteFile(workDir+"/"+app+".py", []byte("import lightning as L\n"), 0o644)).To(Succeed())
		cli(ctx, "", append(append(args, "--"), command...)...)
		waitCurrent(ctx, bytesNS, app)
		logs := componentLogs(ctx, bytesNS, app)
		Expect(logs).To(HaveLen(1), "the Flow")
		for c, log := range logs {
			for env, value := range values {
				Expect(log).To(ContainSubstring("secret "+env+" sha256="+sha256Hex(value)+"\n"), "%s of %s", env, c)
				GinkgoWriter.Printf("%s: %s (%d bytes) sha256=%s, as the file's\n", c, env, len(value), sha256Hex(value))
			}
		}
	})

	It("names a value with a NUL byte, sealed by another tool, and puts it in no status or Event of ours", func(ctx SpecContext) {
		const nulNS, app = "dave-nul", "nul"
		createNamespace(ctx, nulNS)
		marker := canary("nul-after")
		value := "before\x00" + marker
		By("sealing it as another tool would, to the key the operator publishes (the CLI refuses it)")
		cm := &corev1.ConfigMap{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: operatorNamespace, Name: keysecret.DefaultConfigMapName}, cm)).To(Succeed())
		pub, _, err := keyring.ParsePublicData(cm.Data)
		Expect(err).NotTo(HaveOccurred())
		envelope, err := sealing.Seal(pub, sealing.Scope{Namespace: nulNS, Name: "nul"}, []byte(value))
		Expect(err).NotTo(HaveOccurred())
		Expect(k8sClient.Create(ctx, &lightningv1alpha1.LightningSecret{ObjectMeta: metav1.ObjectMeta{Namespace: nulNS, Name: "nul"},
			Spec: lightningv1alpha1.LightningSecretSpec{EncryptedValue: envelope}})).To(Succeed())
		out, err := runCLI(ctx, value, "secret", "create", "nul-by-cli", "-n", nulNS, "--apply")
		Expect(err).To(HaveOccurred())
		Expect(out).To(ContainSubstring("holds a NUL byte, which an environment variable cannot carry"))
		Expect(out).NotTo(ContainSubstring(marker))
		GinkgoWriter.Printf("the CLI, a value with a NUL: %s\n", strings.TrimSpace(out))

		Eventually(func(g Gomega) {
			c := meta.FindStatusCondition(getLightningSecret(ctx, nulNS, "nul").Status.Conditions, lightningv1alpha1.ConditionReady)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(lightningv1alpha1.ReasonValueHasNUL), c.Message)
			GinkgoWriter.Printf("LightningSecret Ready=%s %s: %s\n", c.Status, c.Reason, c.Message)
		}).WithContext(ctx).Should(Succeed())
		Expect(os.WriteFile(workDir+"/"+app+".py", []byte("import lightning as L\n"), 0o644)).To(Succeed())
		cli(ctx, "", "run", "app", workDir+"/"+app+".py", "--cloud", "--name", app, "-n", nulNS, "--secret", "NUL=nul",
			"--apply", "--image", podImage(), "--", images.DemoAppCommand, "--secret", "NUL")
		Eventually(func(g Gomega) {
			c := meta.FindStatusCondition(getApp(ctx, nulNS, app).Status.Conditions, lightningv1alpha1.ConditionSecretsResolved)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
			GinkgoWriter.Printf("LightningApp SecretsResolved=%s %s: %s\n", c.Status, c.Reason, c.Message)
		}).WithContext(ctx).Should(Succeed())
		Expect(listPods(ctx, nulNS, app)).To(BeEmpty(), "no process starts without its value")

		By("grepping every LightningApp, LightningSecret and Event for the value, plain and in base64")
		needles := []string{marker, base64.StdEncoding.EncodeToString([]byte(value)), base64.StdEncoding.EncodeToString([]byte(marker))}
		for _, kind := range []string{"lightningapps", "lightningsecrets", "events", "events.events.k8s.io"} {
			all := kubectl(ctx, "", "get", kind, "-A", "-o", "json")
			for _, needle := range needles {
				Expect(all).NotTo(ContainSubstring(needle), "%s hold the value", kind)
			}
			GinkgoWriter.Printf("kubectl get %s -A -o json: %d bytes, the value in none of them\n", kind, len(all))
		}
	})

	It("names the component and the kubelet's reason when an image is missing, or a process crash-loops", func(ctx SpecContext) {
		runApp(ctx, ns, "no-image", "lightning.local/missing:dev", "")
		msg := readyMessage(ctx, ns, "no-image", lightningv1alpha1.ReasonComponentsFailing, "root: ImagePullBackOff", "root.work_a: ImagePullBackOff")
		GinkgoWriter.Printf("Ready of an app with a missing image: %s\n", msg)
		Expect(getApp(ctx, ns, "no-image").Status.Components).To(HaveEach(HaveField("Reason", "ImagePullBackOff")))

		runApp(ctx, ns, "crashing", podImage(), "", images.DemoAppCommand, "--secret", "NOT_MAPPED")
		msg = readyMessage(ctx, ns, "crashing", lightningv1alpha1.ReasonComponentsFailing, "root: CrashLoopBackOff: container component exited with code 1 (Error)")
		GinkgoWriter.Printf("Ready of a crash-looping app: %s\n", msg)

		By("staying not Ready through its restarts, over a minute, with no new transition")
		since := meta.FindStatusCondition(getApp(ctx, ns, "crashing").Status.Conditions, lightningv1alpha1.ConditionReady).LastTransitionTime
		Consistently(func(g Gomega) {
			a := getApp(ctx, ns, "crashing")
			c := meta.FindStatusCondition(a.Status.Conditions, lightningv1alpha1.ConditionReady)
			restarts, states := int32(0), ""
			for _, p := range listPods(ctx, ns, "crashing") {
				for _, st := range p.Status.ContainerStatuses {
					restarts += st.RestartCount
					states += fmt.Sprintf(" %s:%+v", p.Name, st.State)
				}
			}
			GinkgoWriter.Printf("%s Ready=%s %s (%d restarts)\n", time.Now().Format(time.TimeOnly), c.Status, c.Reason, restarts)
			g.Expect(c.Reason).To(Equal(lightningv1alpha1.ReasonComponentsFailing), c.Message+states)
			g.Expect(c.LastTransitionTime).To(Equal(since), "Ready did not flip")
		}).WithContext(ctx).WithTimeout(70 * time.Second).WithPolling(5 * time.Second).Should(Succeed())
	})

	It("runs an app in a namespace that enforces the restricted Pod Security Standard, and names a violation", func(ctx SpecContext) {
		const restricted = "dave-restricted"
		createNamespace(ctx, restricted)
		kubectl(ctx, "", "label", "namespace", restricted, "pod-security.kubernetes.io/enforce=restricted")
		cli(ctx, value, "secret", "create", secName, "-n", restricted, "--apply")
		runApp(ctx, restricted, "strict", podImage(), "", demo...)
		waitCurrent(ctx, restricted, "strict")
		for c, log := range componentLogs(ctx, restricted, "strict") {
			Expect(log).To(ContainSubstring("secret "+envName+" sha256="+sha256Hex(value)+"\n"), "the log of %s", c)
		}

		By("an app that asks for privilege escalation is named with the ReplicaSet's FailedCreate")
		runApp(ctx, restricted, "escalates", podImage(), `{"spec":{"securityContext":{"allowPrivilegeEscalation":true}}}`, demo...)
		msg := readyMessage(ctx, restricted, "escalates", lightningv1alpha1.ReasonComponentsFailing,
			"root: FailedCreate", `violates PodSecurity "restricted:latest"`, "allowPrivilegeEscalation")
		GinkgoWriter.Printf("Ready of an app that violates restricted: %s\n", msg)
	})

	It("stops an app as `lightning stop app` does: no pods, Ready says Stopped; and starts it again", func(ctx SpecContext) {
		before := getApp(ctx, ns, "victim").Status.SecretName
		out := cli(ctx, "", "stop", "app", "victim", "-n", ns)
		Expect(out).To(ContainSubstring("lightningapp.lightning.ai/victim stopped"))
		Eventually(func(g Gomega) {
			a := getApp(ctx, ns, "victim")
			c := meta.FindStatusCondition(a.Status.Conditions, lightningv1alpha1.ConditionReady)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(lightningv1alpha1.ReasonStopped), c.Message)
			g.Expect(a.Status.Phase).To(Equal(lightningv1alpha1.PhaseStopped))
			g.Expect(listPods(ctx, ns, "victim")).To(BeEmpty())
		}).WithContext(ctx).Should(Succeed())
		waitCurrent(ctx, ns, "victim")
		list := cli(ctx, "", "list", "apps", "-n", ns)
		Expect(list).To(MatchRegexp(`victim\s+Stopped`))
		GinkgoWriter.Printf("kubectl lightning list apps after stop app:\n%s", list)
		Expect(getApp(ctx, ns, "victim").Status.SecretName).To(Equal(before), "the Secret stays")

		cli(ctx, "", "start", "app", "victim", "-n", ns)
		waitCurrent(ctx, ns, "victim")
		for c, log := range componentLogs(ctx, ns, "victim") {
			Expect(log).To(ContainSubstring("secret "+envName+" sha256="+sha256Hex(value)+"\n"), "the log of %s", c)
		}
	})

	It("reports a tampered LightningSecret as Failed to kstatus", func(ctx SpecContext) {
		// A copy under another name: the envelope is bound to its name, so it
		// fails authentication exactly as an altered one does.
		tampered := &lightningv1alpha1.LightningSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "tampered"},
			Spec: getLightningSecret(ctx, ns, secName).Spec}
		Expect(k8sClient.Create(ctx, tampered)).To(Succeed())
		Eventually(func(g Gomega) {
			l := getLightningSecret(ctx, ns, "tampered")
			obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(l)
			g.Expect(err).NotTo(HaveOccurred())
			res, err := kstatus.Compute(&unstructured.Unstructured{Object: obj})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(res.Status).To(Equal(kstatus.FailedStatus), res.Message)
			g.Expect(meta.FindStatusCondition(l.Status.Conditions, "Stalled")).To(HaveField("Reason", lightningv1alpha1.ReasonTampered))
			GinkgoWriter.Printf("kstatus of a tampered LightningSecret: %s: %s\n", res.Status, res.Message)
		}).WithContext(ctx).Should(Succeed())
	})
})

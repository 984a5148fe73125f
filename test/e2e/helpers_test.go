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
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/test/images"
)

// userEnv is the environment of the user's commands: the admin kubeconfig.
func userEnv() []string {
	return append(os.Environ(), "KUBECONFIG="+cluster.Kubeconfig, "NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost")
}

func run(ctx context.Context, stdin, bin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = userEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	err := cmd.Run()
	if err != nil {
		return stdout.String() + stderr.String(), fmt.Errorf("%s %s: %w: %s", bin, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// kubectl runs kubectl and expects it to succeed.
func kubectl(ctx context.Context, stdin string, args ...string) string {
	GinkgoHelper()
	out, err := run(ctx, stdin, kubectlBin, args...)
	Expect(err).NotTo(HaveOccurred())
	return out
}

// kubectlErr runs kubectl and returns its output and error.
func kubectlErr(ctx context.Context, stdin string, args ...string) (string, error) {
	return run(ctx, stdin, kubectlBin, args...)
}

// runCLI runs kubectl-lightning.
func runCLI(ctx context.Context, stdin string, args ...string) (string, error) {
	return run(ctx, stdin, cliBin, args...)
}

// cli runs kubectl-lightning and expects it to succeed.
func cli(ctx context.Context, stdin string, args ...string) string {
	GinkgoHelper()
	out, err := runCLI(ctx, stdin, args...)
	Expect(err).NotTo(HaveOccurred())
	return out
}

// createNamespace makes a namespace and waits for its default
// ServiceAccount, without which the apiserver refuses pods.
func createNamespace(ctx context.Context, name string) {
	GinkgoHelper()
	kubectl(ctx, "", "create", "namespace", name)
	Eventually(func() error {
		return k8sClient.Get(ctx, types.NamespacedName{Namespace: name, Name: "default"}, &corev1.ServiceAccount{})
	}).WithContext(ctx).Should(Succeed(), "the default ServiceAccount of %s", name)
}

func getApp(ctx context.Context, ns, name string) *lightningv1alpha1.LightningApp {
	GinkgoHelper()
	a := &lightningv1alpha1.LightningApp{}
	Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, a)).To(Succeed())
	return a
}

// resolvedSecretName waits until the app's secrets are resolved for its
// current generation and returns the materialized Secret's name.
func resolvedSecretName(ctx context.Context, ns, name string) string {
	GinkgoHelper()
	var secret string
	Eventually(func(g Gomega) {
		a := &lightningv1alpha1.LightningApp{}
		g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, a)).To(Succeed())
		c := meta.FindStatusCondition(a.Status.Conditions, lightningv1alpha1.ConditionSecretsResolved)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Status).To(Equal(metav1.ConditionTrue), "%s: %s", c.Reason, c.Message)
		g.Expect(c.ObservedGeneration).To(Equal(a.Generation))
		g.Expect(a.Status.SecretName).NotTo(BeEmpty())
		secret = a.Status.SecretName
	}).WithContext(ctx).Should(Succeed(), "SecretsResolved=True on %s/%s", ns, name)
	return secret
}

func appSelector(app string) client.MatchingLabels {
	return client.MatchingLabels{lightningv1alpha1.LabelApp: app}
}

func listDeployments(ctx context.Context, ns, app string) []appsv1.Deployment {
	GinkgoHelper()
	l := &appsv1.DeploymentList{}
	Expect(k8sClient.List(ctx, l, client.InNamespace(ns), appSelector(app))).To(Succeed())
	return l.Items
}

func listPods(ctx context.Context, ns, app string) []corev1.Pod {
	GinkgoHelper()
	l := &corev1.PodList{}
	Expect(k8sClient.List(ctx, l, client.InNamespace(ns), appSelector(app))).To(Succeed())
	return l.Items
}

// secretRefs returns, for each env var of the pod's containers that reads
// a Secret, the Secret's name; and the plain values.
func podEnv(pod *corev1.Pod) (secretRefs map[string]string, values map[string]string) {
	secretRefs, values = map[string]string{}, map[string]string{}
	for _, c := range pod.Spec.Containers {
		for _, e := range c.Env {
			switch {
			case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
				secretRefs[e.Name] = e.ValueFrom.SecretKeyRef.Name
			case e.ValueFrom == nil:
				values[e.Name] = e.Value
			}
		}
	}
	return secretRefs, values
}

// podsWithSecret returns the app's pods whose env reads envName from secret.
func podsWithSecret(ctx context.Context, ns, app, envName, secret string) []corev1.Pod {
	GinkgoHelper()
	var out []corev1.Pod
	for _, p := range listPods(ctx, ns, app) {
		if refs, _ := podEnv(&p); refs[envName] == secret {
			out = append(out, p)
		}
	}
	return out
}

func secretData(ctx context.Context, ns, name, key string) string {
	GinkgoHelper()
	s := &corev1.Secret{}
	Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, s)).To(Succeed())
	return string(s.Data[key])
}

// podImage is the image of the app pods: the demo app on the node, an image
// no node pulls without one.
func podImage() string {
	if cluster.HasNode {
		return images.DemoApp
	}
	return remoteImage
}

// appImage is the end of a `run app` command line: --image, and on the node
// the demo app's command, told to expect every --secret K=... in args and FOO.
func appImage(args ...string) []string {
	if !cluster.HasNode {
		return []string{"--image", remoteImage}
	}
	out := []string{"--image", images.DemoApp, "--", images.DemoAppCommand, "--env", "FOO"}
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "--secret" {
			name, _, _ := strings.Cut(args[i+1], "=")
			out = append(out, "--secret", name)
		}
	}
	return out
}

// sha256Hex is what the demo app prints for a value.
func sha256Hex(value string) string {
	sum := sha256.Sum256([]byte(value))
	return hex.EncodeToString(sum[:])
}

// waitCurrent waits until kstatus, as Flux computes it, says the app is
// Current: Ready=True for its generation.
func waitCurrent(ctx context.Context, ns, name string) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(lightningv1alpha1.GroupVersion.WithKind("LightningApp"))
		g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, u)).To(Succeed())
		// kstatus reads an object with no conditions yet as Current: wait
		// for the operator's first status.
		conditions, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		g.Expect(conditions).NotTo(BeEmpty(), "no status yet")
		res, err := kstatus.Compute(u)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(res.Status).To(Equal(kstatus.CurrentStatus), res.Message)
	}).WithContext(ctx).Should(Succeed(), "kstatus Current for %s/%s", ns, name)
}

// componentLogs returns, per component path, the log of the Running pod of
// each of the app's Deployments, once every one has printed its report.
func componentLogs(ctx context.Context, ns, app string) map[string]string {
	GinkgoHelper()
	logs := map[string]string{}
	Eventually(func(g Gomega) {
		deployments := listDeployments(ctx, ns, app)
		g.Expect(deployments).NotTo(BeEmpty(), "the Deployments of %s/%s", ns, app)
		for _, d := range deployments {
			out, err := kubectlErr(ctx, "", "logs", "-n", ns, "deployment/"+d.Name)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(out).To(ContainSubstring("ready: "), "the report of %s", d.Name)
			logs[d.Annotations[lightningv1alpha1.AnnotationComponent]] = out
		}
	}).WithContext(ctx).Should(Succeed())
	return logs
}

// runningPods returns the names of the app's Running pods, each with its
// container running, by component path.
func runningPods(ctx context.Context, ns, app string) map[string]string {
	GinkgoHelper()
	out := map[string]string{}
	for _, p := range listPods(ctx, ns, app) {
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			out[p.Annotations[lightningv1alpha1.AnnotationComponent]] = p.Name
		}
	}
	return out
}

// podUIDs returns the UIDs of the app's pods that are not being deleted, by
// pod name; a pod that restarted or was replaced shows as another entry.
func podUIDs(ctx context.Context, ns, app string) map[string]types.UID {
	GinkgoHelper()
	out := map[string]types.UID{}
	for _, p := range listPods(ctx, ns, app) {
		if p.DeletionTimestamp == nil {
			out[p.Name] = p.UID
		}
	}
	return out
}

// getLightningSecret reads ns/name.
func getLightningSecret(ctx context.Context, ns, name string) *lightningv1alpha1.LightningSecret {
	GinkgoHelper()
	lsec := &lightningv1alpha1.LightningSecret{}
	Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, lsec)).To(Succeed())
	return lsec
}

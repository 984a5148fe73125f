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
	"os"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/test/images"
)

// On the node, every process of the app reads its secret: the demo app
// prints the sha256 of each one, and the specs compare it with the sealed
// value's. They run in order: one app, its value rotated, the same value
// sealed again, a pod deleted, the operator stopped and started again, then
// the secret deleted and restored. A spec stops the operator, so they run
// on a cluster and node of their own.
var _ = Describe("On the node", Ordered, func() {
	const (
		ns      = "bob"
		appName = "node-app"
		secName = "api-key"
		envName = "API_KEY"
	)
	components := []string{"root", "root.work_a", "root.works.0"}
	var value, secret string

	BeforeAll(func(ctx SpecContext) {
		if !cluster.HasNode {
			Skip("node skipped: " + cluster.NodeSkipped)
		}
		By("starting a cluster, node and operator of its own: a spec stops the operator")
		ownCluster(ctx, "cluster-on-the-node")
		createNamespace(ctx, ns)
	})

	// expectProcessesRead waits until every component runs and has printed
	// the sha256 of want, and never want itself, and the app runs the
	// version the LightningSecret reports.
	expectProcessesRead := func(ctx context.Context, want string) map[string]string {
		GinkgoHelper()
		waitCurrent(ctx, ns, appName)
		Eventually(func(g Gomega) {
			lsec := getLightningSecret(ctx, ns, secName)
			g.Expect(lsec.Status.ObservedGeneration).To(Equal(lsec.Generation))
			g.Expect(getApp(ctx, ns, appName).Status.Secrets).To(ConsistOf(lightningv1alpha1.SecretVersion{
				Name: envName, SecretRef: secName, Version: lsec.Status.Version,
			}))
		}).WithContext(ctx).Should(Succeed())
		var pods map[string]string
		Eventually(func(g Gomega) {
			pods = runningPods(ctx, ns, appName)
			g.Expect(pods).To(HaveLen(len(components)))
		}).WithContext(ctx).Should(Succeed())
		logs := componentLogs(ctx, ns, appName)
		Expect(logs).To(HaveLen(len(components)))
		for _, c := range components {
			Expect(logs[c]).To(ContainSubstring("secret "+envName+" sha256="+sha256Hex(want)+"\n"), "the log of %s", c)
			Expect(logs[c]).To(ContainSubstring("env FOO=bar\n"), "the log of %s", c)
			Expect(logs[c]).To(ContainSubstring("component="+c+" "), "the log of %s", c)
			Expect(logs[c]).To(ContainSubstring("env LIGHTNING_CLOUD_APP_ID="+appName+"\n"), "the log of %s", c)
			Expect(logs[c]).To(ContainSubstring("env LIGHTNING_CLOUD_PROJECT_ID="+ns+"\n"), "the log of %s", c)
			Expect(logs[c]).NotTo(ContainSubstring(want), "the log of %s", c)
		}
		return pods
	}

	It("gives the sealed value to every process, the Flow and each Work", func(ctx SpecContext) {
		value = canary("node")
		cli(ctx, value, "secret", "create", secName, "-n", ns, "--apply")
		appFile := workDir + "/node-app.py"
		Expect(os.WriteFile(appFile, []byte("import lightning as L\n"), 0o644)).To(Succeed())
		cli(ctx, "", "run", "app", appFile, "--cloud", "--name", appName, "-n", ns,
			"--work", "root.work_a", "--work", "root.works.0", "--env", "FOO=bar", "--secret", envName+"="+secName,
			"--apply", "--image", podImage(), "--", images.DemoAppCommand, "--secret", envName, "--env", "FOO",
			"--env", lightningv1alpha1.EnvAppID, "--env", lightningv1alpha1.EnvProjectID)
		secret = resolvedSecretName(ctx, ns, appName)
		expectProcessesRead(ctx, value)
	})

	It("rolls every component onto a new value, then deletes the old Secret once no pod uses it", func(ctx SpecContext) {
		before := runningPods(ctx, ns, appName)
		value2 := canary("node-rotated")
		cli(ctx, value2, "secret", "create", secName, "-n", ns, "--overwrite", "--apply")
		Eventually(func() string { return getApp(ctx, ns, appName).Status.SecretName }).
			WithContext(ctx).ShouldNot(Equal(secret))
		after := expectProcessesRead(ctx, value2)

		By("seeing the old pods terminate")
		Eventually(func(g Gomega) {
			for c, name := range before {
				err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &corev1.Pod{})
				g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the old pod of %s: %v", c, err)
			}
		}).WithContext(ctx).Should(Succeed())
		for c, name := range after {
			Expect(name).NotTo(Equal(before[c]), "component %s kept its pod", c)
		}
		By("seeing the old Secret deleted")
		Eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: secret}, &corev1.Secret{}))
		}).WithContext(ctx).Should(BeTrue(), "Secret %s", secret)
		secret, value = getApp(ctx, ns, appName).Status.SecretName, value2
	})

	It("restarts nothing when the same value is sealed again", func(ctx SpecContext) {
		expectProcessesRead(ctx, value)
		before, old := podUIDs(ctx, ns, appName), getLightningSecret(ctx, ns, secName)
		cli(ctx, value, "secret", "create", secName, "-n", ns, "--overwrite", "--apply")
		Eventually(func(g Gomega) {
			lsec := getLightningSecret(ctx, ns, secName)
			g.Expect(lsec.Generation).To(BeNumerically(">", old.Generation))
			g.Expect(lsec.Status.ObservedGeneration).To(Equal(lsec.Generation))
			g.Expect(lsec.Spec.EncryptedValue).NotTo(Equal(old.Spec.EncryptedValue), "a new ciphertext")
			g.Expect(lsec.Status.Version).To(Equal(old.Status.Version), "the same value version")
		}).WithContext(ctx).Should(Succeed())
		Consistently(func(g Gomega) {
			g.Expect(podUIDs(ctx, ns, appName)).To(Equal(before))
			g.Expect(getApp(ctx, ns, appName).Status.SecretName).To(Equal(secret))
		}).WithContext(ctx).WithTimeout(10 * time.Second).Should(Succeed())
		expectProcessesRead(ctx, value)
	})

	It("brings a deleted component pod back with the current value", func(ctx SpecContext) {
		before := runningPods(ctx, ns, appName)
		kubectl(ctx, "", "delete", "pod", "-n", ns, before["root"], "--wait=false")
		Eventually(func(g Gomega) {
			now := runningPods(ctx, ns, appName)
			g.Expect(now).To(HaveKey("root"))
			g.Expect(now["root"]).NotTo(Equal(before["root"]))
		}).WithContext(ctx).Should(Succeed())
		expectProcessesRead(ctx, value)
	})

	It("keeps the running pods while the operator is down, refuses new ones, and recovers when it is back", func(ctx SpecContext) {
		before := expectProcessesRead(ctx, value)
		stopOperator()
		restarted := false
		DeferCleanup(func(ctx SpecContext) {
			if !restarted {
				startOperator(ctx)
			}
		})

		By("keeping every running process as it was")
		Consistently(func(g Gomega) {
			g.Expect(runningPods(ctx, ns, appName)).To(Equal(before))
			for _, p := range listPods(ctx, ns, appName) {
				for _, st := range p.Status.ContainerStatuses {
					g.Expect(st.RestartCount).To(BeZero(), "pod %s", p.Name)
				}
			}
		}).WithContext(ctx).WithTimeout(10 * time.Second).Should(Succeed())

		By("refusing the replacement of a deleted pod: the ReplicaSet's FailedCreate names the webhook")
		work := before["root.work_a"]
		kubectl(ctx, "", "delete", "pod", "-n", ns, work)
		Eventually(func(g Gomega) {
			events := &corev1.EventList{}
			g.Expect(k8sClient.List(ctx, events, client.InNamespace(ns))).To(Succeed())
			var found bool
			for _, e := range events.Items {
				if e.InvolvedObject.Kind == "ReplicaSet" && e.Reason == "FailedCreate" &&
					strings.Contains(e.Message, `failed calling webhook "pod-env.lightning.ai"`) {
					found = true
				}
			}
			g.Expect(found).To(BeTrue(), "a FailedCreate event naming the webhook")
		}).WithContext(ctx).Should(Succeed())
		Expect(runningPods(ctx, ns, appName)).NotTo(HaveKey("root.work_a"))
		for _, p := range listPods(ctx, ns, appName) {
			Expect(p.Annotations[lightningv1alpha1.AnnotationComponent]).NotTo(Equal("root.work_a"), "pod %s was created without the webhook", p.Name)
		}

		By("creating it once the operator is back, with the current value")
		startOperator(ctx)
		restarted = true
		after := expectProcessesRead(ctx, value)
		Expect(after["root.work_a"]).NotTo(Equal(work))
		Expect(after["root"]).To(Equal(before["root"]), "the Flow kept running through it")
	})
	It("keeps the last good value when a used LightningSecret is deleted, and takes the restored one", func(ctx SpecContext) {
		before := expectProcessesRead(ctx, value)
		kubectl(ctx, "", "delete", "lightningsecret", secName, "-n", ns)
		Eventually(func(g Gomega) {
			a := getApp(ctx, ns, appName)
			c := meta.FindStatusCondition(a.Status.Conditions, lightningv1alpha1.ConditionReady)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(lightningv1alpha1.ReasonLastGoodSecrets), c.Message)
			g.Expect(a.Status.SecretName).To(Equal(secret))
		}).WithContext(ctx).Should(Succeed())

		By("bringing a deleted pod back with the last good value")
		kubectl(ctx, "", "delete", "pod", "-n", ns, before["root"])
		Eventually(func(g Gomega) {
			now := runningPods(ctx, ns, appName)
			g.Expect(now).To(HaveKey("root"))
			g.Expect(now["root"]).NotTo(Equal(before["root"]))
		}).WithContext(ctx).Should(Succeed())
		logs := componentLogs(ctx, ns, appName)
		Expect(logs["root"]).To(ContainSubstring("secret " + envName + " sha256=" + sha256Hex(value) + "\n"))
		Expect(runningPods(ctx, ns, appName)["root.work_a"]).To(Equal(before["root.work_a"]), "the other components kept running")

		By("resolving again once the same value is restored, with no roll")
		running := podUIDs(ctx, ns, appName)
		cli(ctx, value, "secret", "create", secName, "-n", ns, "--apply")
		expectProcessesRead(ctx, value)
		Expect(getApp(ctx, ns, appName).Status.SecretName).To(Equal(secret))
		Expect(podUIDs(ctx, ns, appName)).To(Equal(running), "no pod was replaced")
	})
})

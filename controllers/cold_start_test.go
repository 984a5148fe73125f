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
	"fmt"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

var _ = Describe("A cold start with new apps", Ordered, func() {
	It("writes every app's Secret and status before any Deployment, and the LightningSecrets' first statuses after them, each once", func() {
		ctx := context.Background()
		const ns, n = "cold-start", 6
		newNamespace(ctx, ns)
		// A first start makes the keyring (or finds it); the objects come while no manager runs.
		first := startManager(managerOptions{})
		pub := currentPublicKey(ctx)
		first.Stop()
		for i := range n {
			Expect(k8sClient.Create(ctx, sealedSecret(pub, ns, fmt.Sprintf("secret-%d", i), "cold-start-value"))).To(Succeed())
			Expect(k8sClient.Create(ctx, newApp(ns, fmt.Sprintf("app-%d", i), "MY_SECRET", fmt.Sprintf("secret-%d", i)))).To(Succeed())
		}
		mgr := startManager(managerOptions{})
		defer mgr.Stop()
		for i := range n {
			resolvedApp(ctx, ns, fmt.Sprintf("app-%d", i))
			Eventually(func() int { return len(deploymentsOf(ctx, ns, fmt.Sprintf("app-%d", i))) }).Should(Equal(2))
			Eventually(func() []metav1.Condition { return getSecretStatus(ctx, ns, fmt.Sprintf("secret-%d", i))().Conditions }).
				Should(Satisfy(haveCondition("Ready", "True", lightningv1alpha1.ReasonSealed)))
		}

		// This namespace's writes, in the order the manager sent them.
		var writes []string
		for _, w := range mgr.log.all() {
			if strings.Contains(w, "/namespaces/"+ns+"/") {
				writes = append(writes, w)
			}
		}
		last := func(match func(string) bool) int {
			for i, w := range slices.Backward(writes) {
				if match(w) {
					return i
				}
			}
			return -1
		}
		isAppSecret := func(w string) bool { return strings.HasPrefix(w, "POST") && strings.HasSuffix(w, "/secrets") }
		isAppStatus := func(w string) bool { return strings.Contains(w, "/lightningapps/") && strings.HasSuffix(w, "/status") }
		isDeployment := func(w string) bool { return strings.HasPrefix(w, "POST") && strings.HasSuffix(w, "/deployments") }
		isSecretStatus := func(w string) bool {
			return strings.Contains(w, "/lightningsecrets/") && strings.HasSuffix(w, "/status")
		}
		count := func(writes []string, match func(string) bool) int {
			return len(slices.DeleteFunc(slices.Clone(writes), func(w string) bool { return !match(w) }))
		}

		Expect([]int{count(writes, isAppSecret), count(writes, isAppStatus), count(writes, isDeployment), count(writes, isSecretStatus)}).
			To(Equal([]int{n, n, 2 * n, n}), "Secrets, app statuses, Deployments, LightningSecret statuses:\n%s", strings.Join(writes, "\n"))
		// A second pass starts only when no first pass is queued; the other
		// worker (the suite runs 2) may still be in one.
		firstDeployment := slices.IndexFunc(writes, isDeployment)
		before := writes[:firstDeployment]
		Expect([]int{count(before, isAppSecret), count(before, isAppStatus)}).To(HaveEach(BeNumerically(">=", n-1)),
			"Secrets and app statuses before the first Deployment:\n%s", strings.Join(writes, "\n"))
		Expect(slices.IndexFunc(writes, isSecretStatus)).To(BeNumerically(">", last(isAppStatus)), strings.Join(writes, "\n"))
	})

	It("creates each Deployment once when its sibling's status is written a moment after its create", func() {
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		const ns, n = "quick-rollouts", 6
		newNamespace(ctx, ns)
		mgr := startManager(managerOptions{})
		defer mgr.Stop()
		pub := currentPublicKey(ctx)
		// A deployment controller that reports each new Deployment available at once.
		wc, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
		Expect(err).NotTo(HaveOccurred())
		w, err := wc.Watch(ctx, &appsv1.DeploymentList{}, client.InNamespace(ns))
		Expect(err).NotTo(HaveOccurred())
		defer w.Stop()
		go func() {
			defer GinkgoRecover()
			for ev := range w.ResultChan() {
				d, ok := ev.Object.(*appsv1.Deployment)
				if !ok || ev.Type != watch.Added {
					continue
				}
				d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: 1, UpdatedReplicas: 1, ReadyReplicas: 1, AvailableReplicas: 1}
				_ = k8sClient.Status().Update(ctx, d)
			}
		}()
		for i := range n {
			Expect(k8sClient.Create(ctx, sealedSecret(pub, ns, fmt.Sprintf("secret-%d", i), "quick-value"))).To(Succeed())
			Expect(k8sClient.Create(ctx, newApp(ns, fmt.Sprintf("app-%d", i), "MY_SECRET", fmt.Sprintf("secret-%d", i)))).To(Succeed())
		}
		for i := range n {
			Eventually(func() []metav1.Condition { return getApp(ctx, ns, fmt.Sprintf("app-%d", i))().Status.Conditions }).
				Should(Satisfy(haveCondition("Ready", "True", "ComponentsReady")))
		}
		creates := 0
		for _, w := range mgr.log.all() {
			if w == "POST /apis/apps/v1/namespaces/"+ns+"/deployments" {
				creates++
			}
		}
		Expect(creates).To(Equal(2*n), "Deployment creates for %d apps of 2 components", n)
	})
})

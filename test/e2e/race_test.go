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
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/app"
)

// seenPod is what the race spec records of each app pod it saw.
type seenPod struct {
	templateHash string // the pod's own lightning.ai/secrets-hash, from its template
	secret       string // the Secret the webhook pointed its env at
	fromTemplate bool   // made by a ReplicaSet
}

// While a value changes 20 times, the ReplicaSets keep creating pods from
// the live templates (the spec deletes the app's pods over and over). Every
// pod must get exactly the Secret its template names, never an older one.
var _ = Describe("Pods created while the value changes", Ordered, func() {
	const (
		ns      = "carol"
		appName = "racy"
		secName = "token"
		envName = "TOKEN"
		changes = 20
	)

	It("get the Secret their template names, never an older one", func(ctx SpecContext) {
		createNamespace(ctx, ns)
		cli(ctx, canary("race-0"), "secret", "create", secName, "-n", ns, "--apply")
		appFile := filepath.Join(workDir, "racy.py")
		Expect(os.WriteFile(appFile, []byte("import lightning as L\n"), 0o644)).To(Succeed())
		args := []string{"run", "app", appFile, "--cloud", "--name", appName, "-n", ns,
			"--work", "root.work_a", "--env", "FOO=bar", "--secret", envName + "=" + secName, "--apply"}
		cli(ctx, "", append(args, appImage("--secret", envName+"="+secName)...)...)
		resolvedSecretName(ctx, ns, appName)

		var mu sync.Mutex
		seen := map[string]seenPod{}
		churnCtx, stopChurn := context.WithCancel(ctx)
		var churn sync.WaitGroup
		churn.Add(2)
		go func() { // record every app pod, as soon as it exists
			defer churn.Done()
			defer GinkgoRecover()
			for churnCtx.Err() == nil {
				pods := &corev1.PodList{}
				if err := k8sClient.List(churnCtx, pods, client.InNamespace(ns), appSelector(appName)); err == nil {
					mu.Lock()
					for _, p := range pods.Items {
						owner := metav1.GetControllerOfNoCopy(&p)
						seen[string(p.UID)] = seenPod{
							templateHash: p.Annotations[lightningv1alpha1.AnnotationSecretsHash],
							secret:       p.Annotations[lightningv1alpha1.AnnotationInjectedSecret],
							fromTemplate: owner != nil && owner.Kind == "ReplicaSet",
						}
					}
					mu.Unlock()
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
		go func() { // make the ReplicaSets create pods all the time
			defer churn.Done()
			defer GinkgoRecover()
			for churnCtx.Err() == nil {
				_ = k8sClient.DeleteAllOf(churnCtx, &corev1.Pod{}, client.InNamespace(ns), appSelector(appName),
					client.GracePeriodSeconds(0))
				time.Sleep(300 * time.Millisecond)
			}
		}()

		for i := 1; i <= changes; i++ {
			before := getApp(ctx, ns, appName).Status.SecretName
			cli(ctx, canary(fmt.Sprintf("race-%d", i)), "secret", "create", secName, "-n", ns, "--overwrite", "--apply")
			Eventually(func() string { return getApp(ctx, ns, appName).Status.SecretName }).
				WithContext(ctx).ShouldNot(Equal(before), "change %d", i)
		}
		By("seeing a pod of the last templates")
		last := getApp(ctx, ns, appName).Status.SecretName
		Eventually(func() bool {
			mu.Lock()
			defer mu.Unlock()
			for _, p := range seen {
				if p.fromTemplate && p.templateHash != "" && app.SecretName(appName, p.templateHash) == last {
					return true
				}
			}
			return false
		}).WithContext(ctx).Should(BeTrue(), "a pod from a template naming %s", last)
		stopChurn()
		churn.Wait()

		mu.Lock()
		defer mu.Unlock()
		var older []string
		checked := 0
		for uid, p := range seen {
			if !p.fromTemplate || p.templateHash == "" {
				continue
			}
			checked++
			if want := app.SecretName(appName, p.templateHash); p.secret != want {
				older = append(older, fmt.Sprintf("pod %s: Secret %s, its template names %s", uid, p.secret, want))
			}
		}
		AddReportEntry("race", fmt.Sprintf("%d value changes, %d pods from templates checked, %d with another Secret than their template names",
			changes, checked, len(older)))
		GinkgoWriter.Printf("race: %d value changes, %d pods checked, %d wrong\n", changes, checked, len(older))
		Expect(checked).To(BeNumerically(">=", changes), "pods checked")
		Expect(older).To(BeEmpty(), strings.Join(older, "\n"))
	})
})

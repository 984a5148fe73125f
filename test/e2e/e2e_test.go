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
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/test/localcluster"
)

// canary returns a random value that must never show up outside the
// materialized Secret.
func canary(prefix string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// The specs run in order: they walk one user's path, and the later ones
// stop and restart the operator, so they run on a cluster, node and
// operator of their own.
var _ = Describe("A user's path", Ordered, func() {
	const (
		ns      = "alice"
		appName = "my-app"
		secName = "db-password"
		envName = "DB_PASSWORD"
	)
	var (
		value1, value2 string
		secret1        string
		secret2        string
		appFile        string
	)

	BeforeAll(func(ctx SpecContext) {
		By("starting a cluster, node and operator of its own: the later specs stop the operator")
		ownCluster(ctx, "cluster-user-path")
		createNamespace(ctx, ns)
		value1, value2 = canary("first"), canary("second")
		appFile = filepath.Join(workDir, "app.py")
		Expect(os.WriteFile(appFile, []byte("import lightning as L\n"), 0o644)).To(Succeed())
	})

	runApp := func(ctx context.Context, name string, extra ...string) string {
		GinkgoHelper()
		args := append([]string{"run", "app", appFile, "--cloud", "--name", name, "-n", ns,
			"--work", "root.work_a", "--env", "FOO=bar=baz"}, extra...)
		return cli(ctx, "", append(append(args, "--apply"), appImage(extra...)...)...)
	}

	It("installed the bundle (config/default): two restricted manager replicas, a PDB, the webhook by URL", func(ctx SpecContext) {
		d := &appsv1.Deployment{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: operatorNamespace, Name: operatorSA}, d)).To(Succeed())
		Expect(*d.Spec.Replicas).To(BeNumerically("==", 2))
		Expect(d.Spec.Template.Spec.Containers[0].Image).To(Equal(releaseImage))
		Expect(d.Spec.Template.Spec.Containers[0].Resources.Requests).NotTo(BeEmpty())
		pdb := &policyv1.PodDisruptionBudget{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: operatorNamespace, Name: operatorSA}, pdb)).To(Succeed())

		By("seeing both replicas' pods admitted under the namespace's restricted Pod Security level")
		Eventually(func(g Gomega) {
			pods := &corev1.PodList{}
			g.Expect(k8sClient.List(ctx, pods, client.InNamespace(operatorNamespace),
				client.MatchingLabels{"control-plane": "controller-manager"})).To(Succeed())
			g.Expect(pods.Items).To(HaveLen(2))
		}).WithContext(ctx).Should(Succeed())
		ns := &corev1.Namespace{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Name: operatorNamespace}, ns)).To(Succeed())
		Expect(ns.Labels).To(HaveKeyWithValue("pod-security.kubernetes.io/enforce", "restricted"))

		By("keeping config/local's webhook URL over the bundle's Service")
		wh := kubectl(ctx, "", "get", "mutatingwebhookconfiguration", webhookConfigName, "-o", "jsonpath={.webhooks[0].clientConfig}")
		Expect(wh).To(ContainSubstring(fmt.Sprintf(`"url":"https://127.0.0.1:%d/mutate--v1-pod"`, operator.WebhookPort)))
		Expect(wh).NotTo(ContainSubstring(`"service"`))
	})

	It("seals a secret, uses it in an app's Flow and Work pods, and keeps it encrypted at rest", func(ctx SpecContext) {
		By("sealing the secret with the cluster's public key")
		cli(ctx, value1, "secret", "create", secName, "-n", ns, "--apply")
		Eventually(func(g Gomega) {
			ls := &lightningv1alpha1.LightningSecret{}
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: secName}, ls)).To(Succeed())
			g.Expect(ls.Status.Conditions).To(ContainElement(And(
				HaveField("Type", lightningv1alpha1.ConditionReady), HaveField("Status", metav1.ConditionTrue))))
		}).WithContext(ctx).Should(Succeed())

		By("running the app with the CLI")
		runApp(ctx, appName, "--secret", envName+"="+secName)
		secret1 = resolvedSecretName(ctx, ns, appName)
		Expect(secretData(ctx, ns, secret1, envName)).To(Equal(value1))

		By("seeing kube-controller-manager create the pods and the webhook inject the env")
		Eventually(func(g Gomega) {
			g.Expect(listDeployments(ctx, ns, appName)).To(HaveLen(2))
			pods := listPods(ctx, ns, appName)
			g.Expect(pods).To(HaveLen(2))
			components := map[string]bool{}
			for _, p := range pods {
				components[p.Labels[lightningv1alpha1.LabelComponent]] = true
				refs, values := podEnv(&p)
				g.Expect(refs).To(HaveKeyWithValue(envName, secret1), "pod %s", p.Name)
				g.Expect(values).To(HaveKeyWithValue("FOO", "bar=baz"), "pod %s", p.Name)
			}
			g.Expect(components).To(Equal(map[string]bool{"root": true, "root.work_a": true}))
		}).WithContext(ctx).Should(Succeed())

		By("finding the value nowhere but in the Secret")
		for _, args := range [][]string{
			{"get", "pods", "-n", ns, "-o", "yaml"},
			{"get", "deployments,replicasets", "-n", ns, "-o", "yaml"},
			{"get", "lightningapps,lightningsecrets", "-n", ns, "-o", "yaml"},
			{"get", "events", "-A", "-o", "yaml"},
		} {
			Expect(kubectl(ctx, "", args...)).NotTo(ContainSubstring(value1), "kubectl %v", args)
		}
		data, err := os.ReadFile(filepath.Join(cluster.Dir, "logs", "manager.log"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(data)).NotTo(ContainSubstring(value1), "the operator's log")

		By("reading etcd directly: the materialized Secret is encrypted at rest")
		atRest, err := cluster.InspectAtRest(ctx, localcluster.SecretKey(ns, secret1), []byte(value1))
		Expect(err).NotTo(HaveOccurred())
		Expect(atRest.Encrypted).To(BeTrue(), "stored with prefix %q", atRest.Prefix)
		Expect(atRest.Contains).To(BeFalse())
	})

	It("rotates the secret into a new ReplicaSet whose pods carry the new Secret", func(ctx SpecContext) {
		cli(ctx, value2, "secret", "create", secName, "-n", ns, "--overwrite", "--apply")
		Eventually(func(g Gomega) {
			secret2 = getApp(ctx, ns, appName).Status.SecretName
			g.Expect(secret2).NotTo(BeEmpty())
			g.Expect(secret2).NotTo(Equal(secret1))
		}).WithContext(ctx).Should(Succeed())
		secret2 = resolvedSecretName(ctx, ns, appName)
		Expect(secretData(ctx, ns, secret2, envName)).To(Equal(value2))

		Eventually(func(g Gomega) {
			// Each Deployment got a second ReplicaSet, whose pod carries the new Secret.
			rsl := &appsv1.ReplicaSetList{}
			g.Expect(k8sClient.List(ctx, rsl, client.InNamespace(ns), appSelector(appName))).To(Succeed())
			g.Expect(len(rsl.Items)).To(BeNumerically(">=", 4))
			g.Expect(podsWithSecret(ctx, ns, appName, envName, secret2)).To(HaveLen(2))
		}).WithContext(ctx).Should(Succeed())
		By("deleting the old Secret once no pod uses it")
		// The Deployments use Recreate, and a pod no node runs goes at once,
		// so the old pods are gone and nothing refers to the old Secret.
		Eventually(func(g Gomega) {
			g.Expect(podsWithSecret(ctx, ns, appName, envName, secret1)).To(BeEmpty())
			err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: secret1}, &corev1.Secret{})
			g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "Secret %s: %v", secret1, err)
		}).WithContext(ctx).Should(Succeed())
	})

	It("injects the env into a pod created directly, with the app's labels and no owner", func(ctx SpecContext) {
		pod := fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: launched-by-flow
  namespace: %s
  labels:
    lightning.ai/app: %s
    lightning.ai/component: root.work_a
spec:
  containers:
  - name: work
    image: %s
    env:
    - name: FOO
      value: set-by-the-pod
`, ns, appName, podImage())
		kubectl(ctx, pod, "apply", "-f", "-")
		p := &corev1.Pod{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "launched-by-flow"}, p)).To(Succeed())
		Expect(p.OwnerReferences).To(BeEmpty())
		refs, values := podEnv(p)
		Expect(refs).To(HaveKeyWithValue(envName, secret2))
		Expect(values).To(HaveKeyWithValue("FOO", "set-by-the-pod"), "an env entry the pod sets wins")
		Expect(p.Annotations).To(HaveKey(lightningv1alpha1.AnnotationInjectedEnv))
	})

	It("refuses app pods while the operator is down (fail closed) and admits other pods", func(ctx SpecContext) {
		stopOperator()
		appPod := fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: refused
  namespace: %s
  labels:
    lightning.ai/app: %s
    lightning.ai/component: root
spec:
  containers:
  - name: flow
    image: %s
`, ns, appName, podImage())
		out, err := kubectlErr(ctx, appPod, "apply", "-f", "-")
		Expect(err).To(HaveOccurred())
		Expect(out).To(ContainSubstring(`failed calling webhook "pod-env.lightning.ai"`))
		Expect(apierrors.IsNotFound(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "refused"}, &corev1.Pod{}))).To(BeTrue())

		otherPod := strings.NewReplacer("name: refused", "name: unrelated", "lightning.ai/app: "+appName, "app: other",
			"lightning.ai/component: root", "tier: web").Replace(appPod)
		kubectl(ctx, otherPod, "apply", "-f", "-")
		p := &corev1.Pod{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "unrelated"}, p)).To(Succeed())
		Expect(p.Spec.Containers[0].Env).To(BeEmpty())
	})

	It("loses nothing when the operator restarts mid-way", func(ctx SpecContext) {
		// The operator is still down (previous spec). Change things meanwhile.
		before := getApp(ctx, ns, appName)
		caBundle := kubectl(ctx, "", "get", "mutatingwebhookconfiguration", webhookConfigName,
			"-o", "jsonpath={.webhooks[0].clientConfig.caBundle}")
		keysBefore := cli(ctx, "", "cert")
		value3 := canary("while-down")
		cli(ctx, value3, "secret", "create", "api-token", "-n", ns, "--apply")
		runApp(ctx, "second-app", "--secret", "API_TOKEN=api-token", "--secret", envName+"="+secName)

		startOperator(ctx)

		By("reconciling what changed while it was down")
		second := resolvedSecretName(ctx, ns, "second-app")
		Expect(secretData(ctx, ns, second, "API_TOKEN")).To(Equal(value3))
		Expect(secretData(ctx, ns, second, envName)).To(Equal(value2))
		Eventually(func(g Gomega) {
			g.Expect(podsWithSecret(ctx, ns, "second-app", "API_TOKEN", second)).To(HaveLen(2))
		}).WithContext(ctx).Should(Succeed())

		By("keeping the first app, its Secret, the keyring and the webhook CA as they were")
		after := getApp(ctx, ns, appName)
		Expect(after.Status.SecretName).To(Equal(before.Status.SecretName))
		Expect(secretData(ctx, ns, secret2, envName)).To(Equal(value2))
		Expect(cli(ctx, "", "cert")).To(Equal(keysBefore))
		Expect(kubectl(ctx, "", "get", "mutatingwebhookconfiguration", webhookConfigName,
			"-o", "jsonpath={.webhooks[0].clientConfig.caBundle}")).To(Equal(caBundle))
		Expect(podsWithSecret(ctx, ns, appName, envName, secret2)).NotTo(BeEmpty())
	})

	It("garbage-collects the app's Deployments, pods and Secrets when the app is deleted", func(ctx SpecContext) {
		kubectl(ctx, "", "delete", "lightningapp", appName, "-n", ns, "--wait=false")
		Eventually(func(g Gomega) {
			g.Expect(listDeployments(ctx, ns, appName)).To(BeEmpty())
			rsl := &appsv1.ReplicaSetList{}
			g.Expect(k8sClient.List(ctx, rsl, client.InNamespace(ns), appSelector(appName))).To(Succeed())
			g.Expect(rsl.Items).To(BeEmpty())
			sl := &corev1.SecretList{}
			g.Expect(k8sClient.List(ctx, sl, client.InNamespace(ns), appSelector(appName))).To(Succeed())
			g.Expect(sl.Items).To(BeEmpty())
			for _, name := range []string{secret1, secret2} {
				err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &corev1.Secret{})
				g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "Secret %s: %v", name, err)
			}
			// The pods the Deployments owned are gone; the one created directly
			// (no owner) is the user's to delete.
			var owned []string
			for _, p := range listPods(ctx, ns, appName) {
				if len(p.OwnerReferences) > 0 {
					owned = append(owned, p.Name)
				}
			}
			g.Expect(owned).To(BeEmpty())
		}).WithContext(ctx).Should(Succeed())

		By("leaving the other app alone")
		Expect(listDeployments(ctx, ns, "second-app")).To(HaveLen(2))
	})

	It("holds the manager's own token, stolen, short of cluster-admin", func(ctx SpecContext) {
		const manager = "--as=system:serviceaccount:lightning-system:lightning-operator-controller-manager"
		for _, namespace := range []string{ns, "lightning-system"} {
			list := kubectl(ctx, "", "auth", "can-i", "--list", "-n", namespace, manager)
			GinkgoWriter.Printf("kubectl auth can-i --list -n %s %s:\n%s", namespace, manager, list)
			Expect(list).To(MatchRegexp(`(?m)^pods\s+\[\]\s+\[\]\s+\[get list watch\]$`), "no pod create or delete")
			Expect(list).NotTo(MatchRegexp(`(?m)^roles\.rbac\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[.*create`), "no Role create")
			Expect(list).To(MatchRegexp(`(?m)^clusterroles\.rbac\.authorization\.k8s\.io\s+\[\]\s+\[lightning-operator-app-launcher\]\s+\[bind\]$`))
		}
		deployment := func(namespace, name, podSpec string) string {
			return fmt.Sprintf(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":%q,"namespace":%q,"labels":{"lightning.ai/app":"my-app"}},
				"spec":{"selector":{"matchLabels":{"lightning.ai/app":"my-app","x":%q}},"template":{"metadata":{"labels":{"lightning.ai/app":"my-app","x":%q}},
				"spec":%s}}}`, name, namespace, name, name, podSpec)
		}
		container := `{"name":"c","image":"lightning.local/demo-app:dev"`
		attacks := []struct{ what, manifest, refusal string }{
			{"a bare pod in a tenant namespace", fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"bare","namespace":%q},"spec":{"containers":[%s}]}}`, ns, container),
				`cannot create resource "pods" in API group "" in the namespace "` + ns + `"`},
			{"a Deployment in kube-system", deployment("kube-system", "sys", `{"containers":[`+container+`}]}`),
				"Deployment kube-system/sys is in namespace kube-system, where no app runs"},
			{"a privileged Deployment", deployment(ns, "priv", `{"containers":[`+container+`,"securityContext":{"privileged":true}}]}`),
				"asks for more than baseline: a privileged container"},
			{"a hostPath / Deployment", deployment(ns, "host", `{"containers":[`+container+`}],"volumes":[{"name":"h","hostPath":{"path":"/"}}]}`),
				"asks for more than baseline: host namespaces or a hostPath volume"},
			{"a Deployment as another ServiceAccount", deployment(ns, "other-sa", `{"serviceAccountName":"admin","containers":[`+container+`}]}`),
				"must run as default or lightning-app-my-app"},
			{"binding cluster-admin", fmt.Sprintf(`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"steal","namespace":%q},
				"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},
				"subjects":[{"kind":"ServiceAccount","name":"default","namespace":%q}]}`, ns, ns),
				"is attempting to grant RBAC permissions not currently held"},
			{"minting a token Secret", fmt.Sprintf(`{"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/service-account-token","metadata":{"name":"minted","namespace":%q,
				"annotations":{"kubernetes.io/service-account.name":"default"}}}`, ns),
				"may not write a ServiceAccount token Secret"},
		}
		for _, attack := range attacks {
			out, err := kubectlErr(ctx, attack.manifest, "create", "-f", "-", manager)
			Expect(err).To(HaveOccurred(), attack.what)
			Expect(out).To(ContainSubstring(attack.refusal), attack.what)
			GinkgoWriter.Printf("the manager's token, %s: %s\n", attack.what, strings.TrimSpace(out))
		}
	})
})

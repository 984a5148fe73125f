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
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/certs"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/keysecret"
	"github.com/lightning-operator/lightning-operator/test/builders"
	"github.com/lightning-operator/lightning-operator/test/chart"
	"github.com/lightning-operator/lightning-operator/test/images"
	"github.com/lightning-operator/lightning-operator/test/localcluster"
)

const (
	managerDeployment = "lightning-operator-controller-manager"
	leaseName         = "lightning-operator.lightning.ai"
	webhookService    = localcluster.WebhookServiceName
)

// The operator as a cluster admin installs it: the bundle with the image
// `make image` builds, imported into the node; two replicas, one leader,
// the apiserver calling the webhook through its Service; then the same from
// the Helm chart's rendering. Its pods replace the operator, whose webhook
// every pod of the cluster goes through, so it runs on the second cluster
// and node, beside the other containers. The longest container: it starts
// first.
var _ = Describe("On the node, the operator in-cluster", Ordered, SpecPriority(2), func() {
	const (
		ns      = "erin"
		appName = "incluster-app"
		secName = "db-password"
		envName = "DB_PASSWORD"
	)
	var value string

	BeforeAll(func(ctx SpecContext) {
		if !cluster.HasNode {
			Skip("node skipped: " + cluster.NodeSkipped)
		}
		By("taking the second cluster and node, where no operator runs")
		own, err := localcluster.Attach(inClusterDir)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(useCluster(own))

		By("applying the install bundle with the manager image imported into the node")
		// --min-rollout-interval=1s, as the operator on the host has: a
		// rotated value rolls the app at once, not after the default 30 s
		// that batches the changes of a burst.
		applyBundle(ctx, managerImage, "--min-rollout-interval=1s")
		createNamespace(ctx, ns)
	})

	AfterEach(func(ctx SpecContext) {
		if CurrentSpecReport().Failed() {
			out, _ := kubectlErr(ctx, "", "logs", "-n", operatorNamespace, "-l", "control-plane=controller-manager",
				"--all-containers", "--prefix", "--tail=60")
			GinkgoWriter.Printf("--- the manager pods' logs\n%s\n---\n", out)
		}
	})

	It("runs two Ready manager replicas from the imported image, one of them the leader, called through the webhook Service", func(ctx SpecContext) {
		start := time.Now()
		pods, leader := waitManagers(ctx)
		report("manager replicas Ready", fmt.Sprintf("%d after %s, leader %s", len(pods), time.Since(start).Round(time.Second), leader))

		_, subnet, err := net.ParseCIDR(cluster.PodSubnet)
		Expect(err).NotTo(HaveOccurred())
		for name, ip := range pods {
			Expect(subnet.Contains(net.ParseIP(ip))).To(BeTrue(), "pod %s's IP %s in the node's pod subnet %s", name, ip, cluster.PodSubnet)
		}
		wh := kubectl(ctx, "", "get", "mutatingwebhookconfiguration", webhookConfigName, "-o", "jsonpath={.webhooks[0].clientConfig}")
		Expect(wh).To(ContainSubstring(`"service":{"name":"` + webhookService + `","namespace":"` + operatorNamespace + `"`))
		Expect(wh).NotTo(ContainSubstring(`"url"`))
	})

	It("injects a value sealed to the published key into the app's processes, and rolls them onto a rotated value", func(ctx SpecContext) {
		By("sealing with the CLI, which reads the public key the in-cluster operator publishes")
		value = canary("incluster")
		cli(ctx, value, "secret", "create", secName, "-n", ns, "--apply")
		appFile := workDir + "/incluster-app.py"
		Expect(os.WriteFile(appFile, []byte("import lightning as L\n"), 0o644)).To(Succeed())
		cli(ctx, "", "run", "app", appFile, "--cloud", "--name", appName, "-n", ns,
			"--flow-compute", "flow-lite", "--work", "root.work_a=flow-lite", "--secret", envName+"="+secName,
			"--apply", "--image", images.DemoApp, "--", images.DemoAppCommand, "--secret", envName)
		secret := resolvedSecretName(ctx, ns, appName)
		expectAppRead(ctx, ns, appName, envName, value, 2)

		By("rotating the value and seeing every component roll onto it")
		before := runningPods(ctx, ns, appName)
		value = canary("incluster-rotated")
		cli(ctx, value, "secret", "create", secName, "-n", ns, "--overwrite", "--apply")
		Eventually(func() string { return getApp(ctx, ns, appName).Status.SecretName }).
			WithContext(ctx).ShouldNot(Equal(secret), "the app's Secret after the rotation")
		after := expectAppRead(ctx, ns, appName, envName, value, 2)
		for c, name := range after {
			Expect(name).NotTo(Equal(before[c]), "component %s kept its pod", c)
		}
	})

	It("keeps admitting pods while the leader's pod is deleted, and the other replica takes the Lease", func(ctx SpecContext) {
		pods, leader := waitManagers(ctx)
		adm := startAdmitter(ctx, ns, appName, envName)
		start := time.Now()
		kubectl(ctx, "", "delete", "pod", "-n", operatorNamespace, leader, "--wait=false")

		var holder string
		Eventually(func(g Gomega) {
			holder = leaseHolder(ctx)
			g.Expect(holder).NotTo(Equal(leader), "the Lease's holder")
			g.Expect(holder).NotTo(BeEmpty(), "the Lease's holder")
		}).WithContext(ctx).Should(Succeed(), "another replica holding the Lease")
		takeover := time.Since(start)
		_, wasRunning := pods[holder]

		By("creating an app pod through the Deployment under the new leader")
		old := runningPods(ctx, ns, appName)["root"]
		kubectl(ctx, "", "delete", "pod", "-n", ns, old, "--wait=false")
		Eventually(func(g Gomega) {
			g.Expect(runningPods(ctx, ns, appName)).To(HaveKey("root"))
			g.Expect(runningPods(ctx, ns, appName)["root"]).NotTo(Equal(old))
		}).WithContext(ctx).Should(Succeed(), "the Flow's pod replaced")
		expectAppRead(ctx, ns, appName, envName, value, 2)
		waitManagers(ctx)
		attempts, failures := adm.stop()

		report("leader before/after", fmt.Sprintf("%s -> %s (a replica already running: %t) after %s", leader, holder, wasRunning, takeover.Round(100*time.Millisecond)))
		report("failed admissions while the leader's pod was deleted", fmt.Sprintf("%d of %d", len(failures), attempts))
		Expect(failures).To(BeEmpty(), "admissions that failed, of %d", attempts)
		Expect(attempts).To(BeNumerically(">", 20), "admissions made")
	})

	It("rotates the webhook's serving certificate and CA with short lifetimes while pods are admitted", func(ctx SpecContext) {
		// The shortest lifetimes that still show a whole rotation on a busy
		// 2-core machine. The spec waits out one CA lifetime: renewed two
		// thirds through (20 s), the new CA is trusted beside the old one
		// until it expires (30 s). A serving certificate, renewed two thirds
		// through its 10 s (at most the CA's), leaves each replica over 3 s
		// to load the next one; a new CA is trusted 3 s before it signs.
		const caLifetime, certLifetime, caPropagation = 30 * time.Second, 10 * time.Second, 3 * time.Second
		By("rolling the manager onto short certificate lifetimes, admitting pods throughout")
		adm := startAdmitter(ctx, ns, appName, envName)
		kubectl(ctx, "", "patch", "deployment", managerDeployment, "-n", operatorNamespace, "--type=json", "-p", fmt.Sprintf(
			`[{"op":"add","path":"/spec/template/spec/containers/0/args/-","value":"--webhook-ca-lifetime=%s"},
			  {"op":"add","path":"/spec/template/spec/containers/0/args/-","value":"--webhook-cert-lifetime=%s"},
			  {"op":"add","path":"/spec/template/spec/containers/0/args/-","value":"--webhook-ca-propagation=%s"}]`,
			caLifetime, certLifetime, caPropagation))
		Eventually(func(g Gomega) {
			d := &appsv1.Deployment{}
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: operatorNamespace, Name: managerDeployment}, d)).To(Succeed())
			g.Expect(strings.Join(d.Spec.Template.Spec.Containers[0].Args, " ")).To(ContainSubstring("--webhook-ca-lifetime"))
		}).WithContext(ctx).Should(Succeed())
		pods, _ := waitManagers(ctx)
		rollAttempts, rollFailures := adm.stop()
		report("failed admissions while the manager rolled", fmt.Sprintf("%d of %d", len(rollFailures), rollAttempts))
		Expect(rollFailures).To(BeEmpty(), "admissions that failed during the roll, of %d", rollAttempts)

		By("replacing the long-lived PKI: the leader makes a short-lived one (not counted: a recreated CA is not a rotation)")
		deleteWebhookTLS(ctx)
		var initial *corev1.Secret
		Eventually(func(g Gomega) {
			initial = webhookTLS(ctx, g)
			cas := pemCerts(initial.Data[certs.KeyCACert])
			g.Expect(cas).To(HaveLen(1))
			g.Expect(cas[0].NotAfter.Sub(cas[0].NotBefore)).To(BeNumerically("<", time.Minute), "the new CA's lifetime")
			g.Expect(caBundle(ctx)).To(Equal(initial.Data[certs.KeyCACert]), "the caBundle")
			for name, ip := range pods {
				served, err := servedCert(ip, nil)
				g.Expect(err).NotTo(HaveOccurred(), "the certificate %s serves", name)
				g.Expect(served.Raw).To(Equal(pemCerts(initial.Data[certs.KeyTLSCert])[0].Raw), "the certificate %s serves", name)
			}
		}).WithContext(ctx).Should(Succeed(), "every replica serving the new short-lived certificate, its CA in the caBundle")
		initialCA := pemCerts(initial.Data[certs.KeyCACert])[0]

		By("admitting pods until the CA has rotated and the old one expired, and handshaking with each replica as a new apiserver connection would")
		// The apiserver keeps its connections to the replicas open, so the
		// admissions alone verify a serving certificate only when the
		// caBundle changes; a fresh handshake against the caBundle checks
		// every certificate a replica serves.
		adm = startAdmitter(ctx, ns, appName, envName)
		served, cas, maxTrusted, handshakes := map[string]bool{}, map[string]bool{}, 0, 0
		var untrusted []string
		start := time.Now()
		Eventually(func(g Gomega) {
			roots := x509.NewCertPool()
			for _, c := range pemCerts(caBundle(ctx)) {
				roots.AddCert(c)
			}
			for name, ip := range pods {
				handshakes++
				c, err := servedCert(ip, roots)
				if err != nil {
					untrusted = append(untrusted, time.Now().Format("15:04:05.000")+" "+name+": "+err.Error())
					continue
				}
				served[c.SerialNumber.String()] = true
			}
			bundle := pemCerts(webhookTLS(ctx, g).Data[certs.KeyCACert])
			maxTrusted = max(maxTrusted, len(bundle))
			for _, c := range bundle {
				cas[c.SerialNumber.String()] = true
			}
			g.Expect(bundle).To(HaveLen(1), "trusted CAs")
			g.Expect(bundle[0].Equal(initialCA)).To(BeFalse(), "the first short-lived CA still trusted")
			g.Expect(len(served)).To(BeNumerically(">=", 3), "serving certificates seen")
		}).WithContext(ctx).WithTimeout(2 * time.Minute).WithPolling(500 * time.Millisecond).Should(Succeed())
		attempts, failures := adm.stop()

		report("certificate rotation", fmt.Sprintf("%s: %d serving certificates served, %d CAs, at most %d trusted at once",
			time.Since(start).Round(time.Second), len(served), len(cas), maxTrusted))
		report("failed admissions during the certificate rotation", fmt.Sprintf("%d of %d", len(failures), attempts))
		report("fresh handshakes against the caBundle that failed", fmt.Sprintf("%d of %d", len(untrusted), handshakes))
		Expect(maxTrusted).To(Equal(2), "the new CA trusted beside the old one")
		Expect(failures).To(BeEmpty(), "admissions that failed during the rotation, of %d", attempts)
		Expect(untrusted).To(BeEmpty(), "handshakes that failed against the caBundle, of %d", handshakes)
	})

	It("runs the same from the Helm chart, rendered with the imported image", func(ctx SpecContext) {
		By("deleting the bundle's Deployment, and the short-lived PKI with it")
		kubectl(ctx, "", "delete", "deployment", managerDeployment, "-n", operatorNamespace)
		Eventually(func() int { return managerPodCount(ctx) }).WithContext(ctx).Should(BeZero(), "the bundle's manager pods gone")
		deleteWebhookTLS(ctx)

		By("applying the chart as `helm template` renders it, with the image set to the imported one")
		applyChart(ctx, nil)
		start := time.Now()
		pods, leader := waitManagers(ctx)
		d := &appsv1.Deployment{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: operatorNamespace, Name: managerDeployment}, d)).To(Succeed())
		Expect(d.Labels).To(HaveKeyWithValue("app.kubernetes.io/managed-by", "Helm"), "the chart's Deployment")
		Eventually(func() error { return admitOne(ctx, ns, appName, envName, 0) }).WithContext(ctx).
			Should(Succeed(), "a pod admitted and injected through the chart's webhook")
		report("chart: manager replicas Ready", fmt.Sprintf("%d after %s, leader %s", len(pods), time.Since(start).Round(time.Second), leader))
	})

	It("runs namespace-scoped from the chart: no cluster-wide Secret access, the webhook narrowed, other namespaces left alone", func(ctx SpecContext) {
		const other = "erin-unwatched"
		createNamespace(ctx, other)

		By("applying the chart with watchNamespaces, and deleting the cluster-wide binding apply does not prune")
		applyChart(ctx, map[string]any{"watchNamespaces": []any{ns}})
		kubectl(ctx, "", "delete", "clusterrolebinding", "lightning-operator-manager-rolebinding", "--ignore-not-found")
		Eventually(func(g Gomega) {
			pods := managerPods(ctx)
			g.Expect(pods).To(HaveLen(2))
			for _, p := range pods {
				g.Expect(p.Spec.Containers[0].Args).To(ContainElement("--watch-namespaces="+ns), "pod %s", p.Name)
			}
		}).WithContext(ctx).WithTimeout(3*time.Minute).Should(Succeed(), "both replicas rolled onto --watch-namespaces")
		_, leader := waitManagers(ctx)

		By("the manager's ServiceAccount may list Secrets in the watched namespace and its own, nowhere else")
		for _, c := range []struct {
			namespace string
			allowed   bool
		}{{ns, true}, {operatorNamespace, true}, {other, false}, {"", false}} {
			review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
				User:               "system:serviceaccount:" + operatorNamespace + ":" + operatorSA,
				Groups:             []string{"system:serviceaccounts", "system:serviceaccounts:" + operatorNamespace},
				ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: c.namespace, Verb: "list", Resource: "secrets"},
			}}
			Expect(k8sClient.Create(ctx, review)).To(Succeed())
			Expect(review.Status.Allowed).To(Equal(c.allowed), "list secrets in %q", c.namespace)
		}
		for _, namespace := range []string{ns, other} {
			list := kubectl(ctx, "", "auth", "can-i", "--list", "-n", namespace, "--as=system:serviceaccount:"+operatorNamespace+":"+operatorSA)
			GinkgoWriter.Printf("namespace-scoped: kubectl auth can-i --list -n %s --as the manager:\n%s", namespace, list)
			Expect(list).NotTo(MatchRegexp(`(?m)^pods\s+\[\]\s+\[\]\s+\[.*create`), "no pod create")
		}

		By("the leader narrows the webhook's namespaceSelector to the watched namespace")
		Eventually(func(g Gomega) {
			mwc := &admissionregistrationv1.MutatingWebhookConfiguration{}
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: webhookConfigName}, mwc)).To(Succeed())
			g.Expect(mwc.Webhooks).NotTo(BeEmpty())
			g.Expect(mwc.Webhooks[0].NamespaceSelector.MatchExpressions).To(ContainElement(metav1.LabelSelectorRequirement{
				Key: corev1.LabelMetadataName, Operator: metav1.LabelSelectorOpIn, Values: []string{ns}}))
		}).WithContext(ctx).Should(Succeed())

		By("a pod of the watched namespace is admitted and injected")
		Eventually(func() error { return admitOne(ctx, ns, appName, envName, 1) }).WithContext(ctx).
			Should(Succeed(), "a pod injected by the namespace-scoped manager")

		By("an app in another namespace gets no status at all")
		stray := builders.App("stray", other).Image(images.DemoApp).Secret(envName, secName).Obj()
		Expect(k8sClient.Create(ctx, stray)).To(Succeed())
		Consistently(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(stray), stray)).To(Succeed())
			g.Expect(stray.Status.Conditions).To(BeEmpty())
		}).WithContext(ctx).WithTimeout(10*time.Second).Should(Succeed(), "an unwatched app untouched")
		report("namespace-scoped: manager replicas Ready", fmt.Sprintf("2, leader %s, --watch-namespaces=%s; Secrets listable in %s and %s only", leader, ns, ns, operatorNamespace))
	})

	It("wraps the keyring with a KMS v2 plugin beside each replica (SoftHSM), and the app reads its value through it", func(ctx SpecContext) {
		if kmsPluginBin == "" {
			Skip(kmsPluginSkipped)
		}
		By("provisioning a SoftHSM token on the host with the plugin's key, as an admin provisions an HSM, and handing it to the plugin in a Secret")
		kmsKeyID, tokenItems := createKMSTokenSecret(ctx)

		By("backing the plain keyring up with the CLI, as docs/operations.md says to before wrapping it")
		before := keyringSecret(ctx)
		Expect(keyring.IsWrapped(before.Data)).To(BeFalse(), "the keyring before")
		backup := filepath.Join(workDir, "keyring-backup-plain.yaml")
		cli(ctx, "", "keyring", "backup", "-f", backup)
		Expect(backup).To(BeAnExistingFile())
		report("keyring before: entries", strings.Join(slices.Sorted(maps.Keys(before.Data)), ", "))

		By("applying the chart with kms.enabled and kms.migrate: the plugin a native sidecar of each replica")
		applyChart(ctx, map[string]any{"watchNamespaces": []any{ns}, "kms": kmsChartValues(tokenItems)})
		Eventually(func(g Gomega) {
			pods := managerPods(ctx)
			g.Expect(pods).To(HaveLen(2))
			for _, p := range pods {
				g.Expect(p.Spec.InitContainers).To(ContainElement(HaveField("Name", "kms-plugin")), "pod %s", p.Name)
				g.Expect(p.Spec.Containers[0].Args).To(ContainElement("--kms-endpoint=unix:///var/run/kmsplugin/socket.sock"), "pod %s", p.Name)
			}
		}).WithContext(ctx).WithTimeout(3*time.Minute).Should(Succeed(), "both replicas rolled onto the plugin")
		_, leader := waitManagers(ctx)

		By("the leader wraps the keyring once, with the same keys, under the plugin's key")
		var after *corev1.Secret
		Eventually(func(g Gomega) {
			after = keyringSecret(ctx)
			g.Expect(keyring.IsWrapped(after.Data)).To(BeTrue(), "the keyring wrapped")
		}).WithContext(ctx).Should(Succeed())
		wrapped, err := keyring.ReadWrapped(after.Data)
		Expect(err).NotTo(HaveOccurred())
		Expect(wrapped.KMSKeyID).To(Equal(kmsKeyID))
		Expect(after.Annotations).To(HaveKeyWithValue(lightningv1alpha1.AnnotationKMSKeyID, kmsKeyID))
		// Entry names only: a failure message must not print the plain keyring.
		beforeEntries := slices.Collect(maps.Keys(before.Data))
		for _, id := range wrapped.KeyIDs {
			Expect(beforeEntries).To(ContainElement(keyring.EntryPrefix+id), "a sealing key of the wrapped keyring")
		}
		Expect(slices.Collect(maps.Keys(after.Data))).To(ConsistOf(append(beforeEntries, keyring.DataKeyEntry)),
			"the same entries, and kms-data-key")
		Eventually(func() []string { return eventReasons(ctx, operatorNamespace, keysecret.DefaultSecretName) }).
			WithContext(ctx).Should(ContainElement("KeyringWrapped"), "Events about the keyring Secret")
		report("keyring after: entries", strings.Join(slices.Sorted(maps.Keys(after.Data)), ", "))
		report("keyring after: KMS key ID", fmt.Sprintf("%s (sealing keys %v, version key %s)", wrapped.KMSKeyID, wrapped.KeyIDs, wrapped.VersionKeyID))

		By("the other replica's plugin opens it: the leader's pod deleted, a rotated value reaches the app's processes")
		kubectl(ctx, "", "delete", "pod", "-n", operatorNamespace, leader, "--wait=false")
		Eventually(func(g Gomega) {
			holder := leaseHolder(ctx)
			g.Expect(holder).NotTo(BeEmpty())
			g.Expect(holder).NotTo(Equal(leader))
		}).WithContext(ctx).Should(Succeed(), "another replica holding the Lease")
		secret := getApp(ctx, ns, appName).Status.SecretName
		value = canary("incluster-kms")
		cli(ctx, value, "secret", "create", secName, "-n", ns, "--overwrite", "--apply")
		Eventually(func() string { return getApp(ctx, ns, appName).Status.SecretName }).
			WithContext(ctx).ShouldNot(Equal(secret), "the app's Secret after the rotation")
		expectAppRead(ctx, ns, appName, envName, value, 2)
		_, leader = waitManagers(ctx)
		Expect(keyringSecret(ctx).ResourceVersion).To(Equal(after.ResourceVersion), "the wrapped keyring, untouched by the new leader")
		report("KMS: the new leader opened the wrapped keyring", leader)
	})
})

// applyChart applies the chart as `helm template` renders it with values,
// the image set to the imported one.
func applyChart(ctx context.Context, values map[string]any) {
	GinkgoHelper()
	colon := strings.LastIndexByte(managerImage, ':')
	values = maps.Clone(values)
	if values == nil {
		values = map[string]any{}
	}
	values["image"] = map[string]any{"repository": managerImage[:colon], "tag": managerImage[colon+1:]}
	// As the bundle's manager has (BeforeAll): a rotated value rolls the app at once.
	values["extraArgs"] = []any{"--min-rollout-interval=1s"}
	manifests, err := chart.Render(filepath.Join(repoRoot, "dist", "chart"), operatorNamespace, values)
	Expect(err).NotTo(HaveOccurred())
	var docs []string
	for _, m := range manifests {
		docs = append(docs, m.YAML)
	}
	kubectl(ctx, strings.Join(docs, "\n---\n"), "apply", "--server-side", "--force-conflicts", "--field-manager="+fieldManager, "-f", "-")
}

// managerPodCount counts the manager's pods, those being deleted too.
func managerPodCount(ctx context.Context) int {
	GinkgoHelper()
	l := &corev1.PodList{}
	Expect(k8sClient.List(ctx, l, client.InNamespace(operatorNamespace),
		client.MatchingLabels{"control-plane": "controller-manager"})).To(Succeed())
	return len(l.Items)
}

// deleteWebhookTLS deletes the webhook's TLS Secret, if it is there.
func deleteWebhookTLS(ctx context.Context) {
	GinkgoHelper()
	err := k8sClient.Delete(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: operatorNamespace, Name: certs.DefaultSecretName}})
	Expect(client.IgnoreNotFound(err)).To(Succeed())
}

// report prints a figure in the spec's report, which `go test -v` shows.
func report(name, value string) {
	GinkgoWriter.Printf("%s: %s\n", name, value)
	AddReportEntry(name, value)
}

// expectAppRead waits until the app is Current with n components running,
// each of which printed the sha256 of value for envName, and never value.
func expectAppRead(ctx context.Context, ns, app, envName, value string, n int) map[string]string {
	GinkgoHelper()
	waitCurrent(ctx, ns, app)
	var pods map[string]string
	Eventually(func(g Gomega) {
		pods = runningPods(ctx, ns, app)
		g.Expect(pods).To(HaveLen(n))
	}).WithContext(ctx).Should(Succeed(), "%d running components of %s", n, app)
	logs := componentLogs(ctx, ns, app)
	Expect(logs).To(HaveLen(n))
	for c, log := range logs {
		Expect(log).To(ContainSubstring("secret "+envName+" sha256="+sha256Hex(value)+"\n"), "the log of %s", c)
		Expect(log).NotTo(ContainSubstring(value), "the log of %s", c)
	}
	return pods
}

// managerPods are the manager's pods that are not being deleted.
func managerPods(ctx context.Context) []corev1.Pod {
	GinkgoHelper()
	l := &corev1.PodList{}
	Expect(k8sClient.List(ctx, l, client.InNamespace(operatorNamespace),
		client.MatchingLabels{"control-plane": "controller-manager"})).To(Succeed())
	var out []corev1.Pod
	for _, p := range l.Items {
		if p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out
}

// leaseHolder is the pod whose manager holds the leader election Lease
// (its identity is <pod name>_<uuid>), or "".
func leaseHolder(ctx context.Context) string {
	GinkgoHelper()
	l := &coordinationv1.Lease{}
	if err := k8sClient.Get(ctx, types.NamespacedName{Namespace: operatorNamespace, Name: leaseName}, l); err != nil {
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "reading the Lease: %v", err)
		return ""
	}
	if l.Spec.HolderIdentity == nil {
		return ""
	}
	pod, _, _ := strings.Cut(*l.Spec.HolderIdentity, "_")
	return pod
}

// waitManagers waits until the manager's Deployment has rolled out: two
// Ready replicas of its current template and no other pod, one of them
// holding the Lease, the caBundle the TLS Secret's. It returns the pods'
// IPs by name, and the leader.
func waitManagers(ctx context.Context) (map[string]string, string) {
	GinkgoHelper()
	pods := map[string]string{}
	var leader string
	Eventually(func(g Gomega) {
		d := &appsv1.Deployment{}
		g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: operatorNamespace, Name: managerDeployment}, d)).To(Succeed())
		g.Expect(d.Spec.Template.Spec.Containers[0].Image).To(Equal(managerImage))
		g.Expect(d.Status.ObservedGeneration).To(Equal(d.Generation), "the Deployment's observed generation")
		g.Expect(d.Status.UpdatedReplicas).To(BeNumerically("==", 2), "updated replicas")
		g.Expect(d.Status.ReadyReplicas).To(BeNumerically("==", 2), "Ready replicas")
		list := managerPods(ctx)
		g.Expect(list).To(HaveLen(2), "manager pods")
		clear(pods)
		for _, p := range list {
			pods[p.Name] = p.Status.PodIP
		}
		leader = leaseHolder(ctx)
		g.Expect(pods).To(HaveKey(leader), "the Lease's holder among the Ready replicas")
		g.Expect(caBundle(ctx)).To(Equal(webhookTLS(ctx, g).Data[certs.KeyCACert]), "the caBundle")
	}).WithContext(ctx).Should(Succeed(), "the manager's two replicas Ready, one of them the leader")
	return pods, leader
}

// webhookTLS reads the webhook's TLS Secret; g is the Eventually's, where
// it may be missing a moment.
func webhookTLS(ctx context.Context, g Gomega) *corev1.Secret {
	GinkgoHelper()
	s := &corev1.Secret{}
	g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: operatorNamespace, Name: certs.DefaultSecretName}, s)).To(Succeed())
	return s
}

func caBundle(ctx context.Context) []byte {
	GinkgoHelper()
	out := kubectl(ctx, "", "get", "mutatingwebhookconfiguration", webhookConfigName,
		"-o", "jsonpath={.webhooks[0].clientConfig.caBundle}")
	data, err := base64.StdEncoding.DecodeString(out)
	Expect(err).NotTo(HaveOccurred())
	return data
}

func pemCerts(data []byte) []*x509.Certificate {
	GinkgoHelper()
	var out []*x509.Certificate
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			return out
		}
		c, err := x509.ParseCertificate(b.Bytes)
		Expect(err).NotTo(HaveOccurred())
		out = append(out, c)
	}
}

// servedCert is the certificate a manager pod's webhook server serves,
// read over the node's bridge in a handshake that verifies it against
// roots for the Service's name, as the apiserver does; nil roots only read it.
func servedCert(ip string, roots *x509.CertPool) (*x509.Certificate, error) {
	d := &net.Dialer{Timeout: 2 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", net.JoinHostPort(ip, "9443"), &tls.Config{
		RootCAs:            roots,
		InsecureSkipVerify: roots == nil,
		ServerName:         webhookService + "." + operatorNamespace + ".svc",
	})
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0], nil
}

// admitter creates pods of an app in a loop, as server-side dry runs (the
// apiserver calls the webhook exactly as for a pod it stores), and counts
// those that fail or come back without the app's secret injected.
type admitter struct {
	done     chan struct{}
	finished sync.WaitGroup
	mu       sync.Mutex
	attempts int
	failures []string
}

func startAdmitter(ctx context.Context, ns, app, envName string) *admitter {
	a := &admitter{done: make(chan struct{})}
	a.finished.Add(1)
	go func() {
		defer GinkgoRecover()
		defer a.finished.Done()
		for i := 0; ; i++ {
			select {
			case <-a.done:
				return
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			err := admitOne(ctx, ns, app, envName, i)
			a.mu.Lock()
			a.attempts++
			if err != nil {
				a.failures = append(a.failures, time.Now().Format("15:04:05.000")+" "+err.Error())
			}
			a.mu.Unlock()
		}
	}()
	return a
}

// stop ends the loop and returns the attempts and the failures.
func (a *admitter) stop() (int, []string) {
	close(a.done)
	a.finished.Wait()
	return a.attempts, a.failures
}

func admitOne(ctx context.Context, ns, app, envName string, i int) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("%s-admitted-%d", app, i), Labels: map[string]string{
			lightningv1alpha1.LabelApp: app, lightningv1alpha1.LabelComponent: "root.works.99",
		}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "work", Image: images.DemoApp}}},
	}
	if err := k8sClient.Create(ctx, pod, client.DryRunAll); err != nil {
		return err
	}
	for _, e := range pod.Spec.Containers[0].Env {
		if e.Name == envName && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil &&
			strings.HasPrefix(e.ValueFrom.SecretKeyRef.Name, app+"-env-") {
			return nil
		}
	}
	return fmt.Errorf("pod %s admitted without %s from the app's Secret: %v", pod.Name, envName, pod.Spec.Containers[0].Env)
}

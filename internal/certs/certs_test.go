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

package certs

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

// webhookConfig registers the annotator on ConfigMaps labelled
// certs.test/<name>=true, at the given URLs, or through a Service when
// urls is empty. It starts without a caBundle: the operator fills it.
func webhookConfig(name string, urls ...string) *admissionregistrationv1.MutatingWebhookConfiguration {
	cfg := &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: name}}
	hook := func(i int, cc admissionregistrationv1.WebhookClientConfig) admissionregistrationv1.MutatingWebhook {
		return admissionregistrationv1.MutatingWebhook{
			Name:         fmt.Sprintf("replica-%d.certs.test", i),
			ClientConfig: cc,
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}},
			}},
			ObjectSelector:          &metav1.LabelSelector{MatchLabels: map[string]string{"certs.test/" + name: "true"}},
			FailurePolicy:           ptr.To(admissionregistrationv1.Fail),
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1"},
			TimeoutSeconds:          ptr.To[int32](5),
		}
	}
	if len(urls) == 0 {
		cfg.Webhooks = append(cfg.Webhooks, hook(0, admissionregistrationv1.WebhookClientConfig{
			Service: &admissionregistrationv1.ServiceReference{Namespace: operatorNamespace, Name: "svc-" + name, Path: ptr.To(annotatePath)},
		}))
	}
	for i, u := range urls {
		cfg.Webhooks = append(cfg.Webhooks, hook(i, admissionregistrationv1.WebhookClientConfig{URL: ptr.To(u)}))
	}
	return cfg
}

func getSecret(name string) *corev1.Secret {
	sec := &corev1.Secret{}
	Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: operatorNamespace, Name: name}, sec)).To(Succeed())
	return sec
}

// publishedCA is ca.crt of the ConfigMap for the metrics endpoint's
// scrapers, failing if it holds anything else.
func publishedCA(g Gomega, name string) []byte {
	cm := &corev1.ConfigMap{}
	g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: operatorNamespace, Name: name}, cm)).To(Succeed())
	g.Expect(cm.Data).To(HaveLen(1))
	g.Expect(cm.BinaryData).To(BeEmpty())
	g.Expect(cm.Data[KeyCACert]).NotTo(ContainSubstring("PRIVATE KEY"))
	return []byte(cm.Data[KeyCACert])
}

func caBundles(name string) [][]byte {
	cfg := &admissionregistrationv1.MutatingWebhookConfiguration{}
	Expect(k8sClient.Get(ctx, types.NamespacedName{Name: name}, cfg)).To(Succeed())
	var out [][]byte
	for _, w := range cfg.Webhooks {
		out = append(out, w.ClientConfig.CABundle)
	}
	return out
}

var _ = Describe("Self-managed webhook certificates", func() {
	It("creates the Secret and the files, becomes ready, and keeps the caBundle patched", func() {
		const name = "basic"
		Expect(k8sClient.Create(ctx, webhookConfig(name))).To(Succeed())
		// Hour-long intervals: only the start and the watched objects'
		// events can bring what follows within the timeouts.
		r := newReplica("a", Options{
			ServiceName: "svc-" + name, SecretName: "tls-" + name, WebhookConfigName: name,
			MetricsServiceName: "metrics-" + name, CAConfigMapName: "ca-" + name,
			ExtraHosts: []string{"127.0.0.1"}, CheckInterval: time.Hour, SyncInterval: time.Hour,
		}, false)

		By("creating the Secret before the manager starts")
		sec := getSecret("tls-" + name)
		Expect(sec.Type).To(Equal(corev1.SecretTypeTLS))
		Expect(sec.Labels).To(HaveKeyWithValue(lightningv1alpha1.LabelManagedBy, lightningv1alpha1.ManagedByValue))
		Expect(sec.Data).To(HaveKey(KeyCACert))
		Expect(sec.Data).To(HaveKey(KeyCAKey))
		Expect(r.fileCert()).To(Equal(sec.Data[KeyTLSCert]), "the webhook server finds its files at start")
		b := parseBundle(sec.Data)
		Expect(b.serving.DNSNames).To(ContainElements("svc-basic.lightning-system.svc", "svc-basic.lightning-system.svc.cluster.local",
			"metrics-basic.lightning-system.svc", "metrics-basic.lightning-system.svc.cluster.local"))
		Expect(r.ready(nil)).NotTo(Succeed(), "not ready before the webhook server serves")

		r.start()
		By("becoming ready once the certificate is served")
		Eventually(func() error { return r.ready(nil) }).WithTimeout(10 * time.Second).Should(Succeed())

		By("patching the caBundle")
		Eventually(func() [][]byte { return caBundles(name) }).WithTimeout(10 * time.Second).
			Should(Equal([][]byte{sec.Data[KeyCACert]}))

		By("publishing the trust bundle, certificates only, for the metrics endpoint's scrapers")
		Eventually(func(g Gomega) []byte { return publishedCA(g, "ca-"+name) }).WithTimeout(10 * time.Second).
			Should(Equal(sec.Data[KeyCACert]))

		By("restoring a caBundle someone reset")
		cfg := &admissionregistrationv1.MutatingWebhookConfiguration{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Name: name}, cfg)).To(Succeed())
		cfg.Webhooks[0].ClientConfig.CABundle = nil
		Expect(k8sClient.Update(ctx, cfg)).To(Succeed())
		Eventually(func() [][]byte { return caBundles(name) }).WithTimeout(10 * time.Second).
			Should(Equal([][]byte{sec.Data[KeyCACert]}))

		By("recreating a deleted Secret and serving its certificate")
		Expect(k8sClient.Delete(ctx, sec)).To(Succeed())
		var recreated *corev1.Secret
		Eventually(func(g Gomega) {
			s := &corev1.Secret{}
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(sec), s)).To(Succeed())
			g.Expect(s.UID).NotTo(Equal(sec.UID))
			recreated = s
		}).WithTimeout(10 * time.Second).Should(Succeed())
		Eventually(r.fileCert).WithTimeout(10 * time.Second).Should(Equal(recreated.Data[KeyTLSCert]))
		Eventually(func() [][]byte { return caBundles(name) }).WithTimeout(10 * time.Second).
			Should(Equal([][]byte{recreated.Data[KeyCACert]}))
		Eventually(func(g Gomega) []byte { return publishedCA(g, "ca-"+name) }).WithTimeout(10 * time.Second).
			Should(Equal(recreated.Data[KeyCACert]))
		Eventually(func() error { return r.ready(nil) }).WithTimeout(15 * time.Second).Should(Succeed())
	})

	It("in external mode, publishes the mounted ca.crt and follows it, certificates only", func() {
		const name = "external"
		cfg := (&Options{Namespace: operatorNamespace, ServiceName: "svc-" + name, CALifetime: time.Hour, CertLifetime: time.Hour}).pkiConfig()
		issue := func() (ca []byte, files map[string][]byte) {
			b, _, err := plan(&bundle{}, time.Now(), cfg, false)
			Expect(err).NotTo(HaveOccurred())
			data, err := b.data()
			Expect(err).NotTo(HaveOccurred())
			return data[KeyCACert], data
		}
		// As cert-manager mounts it: tls.crt, tls.key and ca.crt. A key
		// slipped into ca.crt must not reach the ConfigMap.
		mount := func(dir string, files map[string][]byte) {
			Expect(os.MkdirAll(dir, 0o700)).To(Succeed())
			for _, k := range []string{KeyTLSCert, KeyTLSKey} {
				Expect(os.WriteFile(filepath.Join(dir, k), files[k], 0o600)).To(Succeed())
			}
			Expect(os.WriteFile(filepath.Join(dir, KeyCACert), append(append([]byte{}, files[KeyCACert]...), files[KeyCAKey]...), 0o600)).To(Succeed())
		}
		r := newReplica("a", Options{Mode: ModeExternal, MetricsServiceName: "metrics-" + name, CAConfigMapName: "ca-" + name,
			CheckInterval: time.Second}, false)
		firstCA, files := issue()
		mount(r.certDir, files)
		r.start()
		Eventually(func(g Gomega) []byte { return publishedCA(g, "ca-"+name) }).WithTimeout(10 * time.Second).Should(Equal(firstCA))
		Eventually(func() error { return r.ready(nil) }).WithTimeout(10 * time.Second).Should(Succeed())

		By("following a new CA")
		secondCA, files := issue()
		Expect(secondCA).NotTo(Equal(firstCA))
		mount(r.certDir, files)
		Eventually(func(g Gomega) []byte { return publishedCA(g, "ca-"+name) }).WithTimeout(10 * time.Second).Should(Equal(secondCA))
	})

	It("repairs a broken Secret at start, and a second replica loads the same certificate", func() {
		const name = "repair"
		broken := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: operatorNamespace, Name: "tls-" + name},
			Type:       corev1.SecretTypeTLS,
			Data:       map[string][]byte{KeyTLSCert: []byte("garbage"), KeyTLSKey: []byte("garbage")},
		}
		Expect(k8sClient.Create(ctx, broken)).To(Succeed())
		opts := Options{Namespace: operatorNamespace, ServiceName: "svc-" + name, SecretName: "tls-" + name, WebhookConfigName: name}

		a := newReplica("a", opts, false)
		sec := getSecret("tls-" + name)
		Expect(parseBundle(sec.Data).servingProblem(time.Now(), opts.pkiConfig())).To(BeEmpty())
		Expect(sec.Labels).To(HaveKeyWithValue(lightningv1alpha1.LabelManagedBy, lightningv1alpha1.ManagedByValue),
			"the repair labels the Secret for the operator's cache")

		b := newReplica("b", opts, false)
		Expect(getSecret("tls-"+name).ResourceVersion).To(Equal(sec.ResourceVersion), "the second replica wrote nothing")
		Expect(b.fileCert()).To(Equal(a.fileCert()))
	})

	It("rotates the serving certificate and the CA under load without failing a request, on every replica", func() {
		const name = "rotation"
		opts := Options{
			ServiceName: "svc-" + name, SecretName: "tls-" + name, WebhookConfigName: name,
			ExtraHosts:   []string{"127.0.0.1"},
			CertLifetime: 4 * time.Second, CALifetime: 12 * time.Second, CAPropagation: time.Second,
			CheckInterval: time.Second, SyncInterval: time.Second,
		}
		leader := newReplica("leader", opts, true)
		follower := newReplica("follower", opts, true)
		Expect(k8sClient.Create(ctx, webhookConfig(name, leader.url(), follower.url()))).To(Succeed())
		leader.start()
		Eventually(leader.mgr.Elected()).WithTimeout(20 * time.Second).Should(BeClosed())
		follower.start()
		Consistently(follower.mgr.Elected()).WithTimeout(time.Second).ShouldNot(BeClosed())

		create := func(i int) error {
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
				Name: fmt.Sprintf("cm-%d", i), Namespace: operatorNamespace,
				Labels: map[string]string{"certs.test/" + name: "true"},
			}}
			if err := k8sClient.Create(ctx, cm); err != nil {
				return err
			}
			if cm.Annotations["certs.test/leader"] != "seen" || cm.Annotations["certs.test/follower"] != "seen" {
				return fmt.Errorf("configmap %s was not admitted by both replicas: %v", cm.Name, cm.Annotations)
			}
			return nil
		}
		By("waiting until the apiserver trusts both replicas")
		i := 0
		Eventually(func() error { i++; return create(i) }).WithTimeout(20 * time.Second).Should(Succeed())

		By("creating objects through both replicas while the certificates rotate")
		var (
			mu          sync.Mutex
			served      = map[string]bool{}
			maxCAs      int
			stopSampler = make(chan struct{})
			sampled     sync.WaitGroup
		)
		sampled.Add(1)
		go func() {
			defer GinkgoRecover()
			defer sampled.Done()
			for {
				select {
				case <-stopSampler:
					return
				case <-time.After(100 * time.Millisecond):
				}
				for _, r := range []*replica{leader, follower} {
					if s, err := r.servedSerial(); err == nil {
						mu.Lock()
						served[s] = true
						mu.Unlock()
					}
				}
				sec := &corev1.Secret{}
				if err := k8sClient.Get(ctx, types.NamespacedName{Namespace: operatorNamespace, Name: opts.SecretName}, sec); err == nil {
					mu.Lock()
					maxCAs = max(maxCAs, len(parseBundle(sec.Data).cas))
					mu.Unlock()
				}
			}
		}()
		deadline := time.Now().Add(15 * time.Second)
		requests := 0
		var failures []error
		for time.Now().Before(deadline) {
			i++
			requests++
			if err := create(i); err != nil {
				failures = append(failures, err)
			}
		}
		close(stopSampler)
		sampled.Wait()
		GinkgoWriter.Printf("%d requests, %d certificates served, at most %d trusted CAs\n", requests, len(served), maxCAs)

		Expect(failures).To(BeEmpty(), "of %d requests", requests)
		Expect(len(served)).To(BeNumerically(">=", 4), "the serving certificate rotated several times")
		Expect(maxCAs).To(Equal(2), "the CA rotated, with the old CA kept in the bundle")
		// The follower reloads on a file event, or at the watcher's 10 s
		// poll; under load a second was too short (a make test run failed).
		// Both are read on each poll: the leader may rotate again meanwhile.
		Eventually(func(g Gomega) {
			f, err := follower.servedSerial()
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(f).To(Equal(must(leader.servedSerial())))
		}).WithTimeout(15*time.Second).Should(Succeed(), "both replicas serve the same certificate")
	})
})

func must[T any](v T, err error) T {
	Expect(err).NotTo(HaveOccurred())
	return v
}

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
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/keysecret"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
	"github.com/lightning-operator/lightning-operator/test/builders"
)

// tamper flips one byte inside the ciphertext, keeping the envelope well formed.
func tamper(envelope string) string {
	parts := strings.SplitN(envelope, ":", 3)
	body, err := base64.StdEncoding.DecodeString(parts[2])
	Expect(err).NotTo(HaveOccurred())
	body[len(body)-5] ^= 0x01
	return parts[0] + ":" + parts[1] + ":" + base64.StdEncoding.EncodeToString(body)
}

var _ = Describe("Keyring and LightningSecret controller", Ordered, func() {
	const ns = "profile-alice"
	var (
		ctx context.Context
		mgr *runningManager
	)

	BeforeAll(func() {
		ctx = context.Background()
		mgr = startManager(managerOptions{})
		newNamespace(ctx, ns)
	})
	AfterAll(func() { mgr.Stop() })

	It("creates the keyring once, publishes its public key, and keeps it across a restart", func() {
		var first *keyring.Keyring
		Eventually(func() error {
			var err error
			first, err = storedKeyring(ctx)
			return err
		}, 20*time.Second).Should(Succeed())
		// One key, or more when a spec that rotates ran first (containers run
		// in random order); the restart below proves nothing is made again.
		Expect(first.Len()).To(BeNumerically(">=", 1))
		Expect(first.VersionKey()).NotTo(BeNil(), "a new keyring has a version key")

		cm := &corev1.ConfigMap{}
		Eventually(func() error {
			return k8sClient.Get(ctx, types.NamespacedName{Namespace: operatorNamespace, Name: keysecret.DefaultConfigMapName}, cm)
		}).Should(Succeed())
		current, _, err := keyring.ParsePublicData(cm.Data)
		Expect(err).NotTo(HaveOccurred())
		Expect(current.ID()).To(Equal(first.Current().Private.ID()))

		mgr.Stop()
		mgr = startManager(managerOptions{})
		Consistently(func() []string {
			ring, err := storedKeyring(ctx)
			if err != nil {
				return nil
			}
			return ring.IDs()
		}, 3*time.Second, 500*time.Millisecond).Should(Equal(first.IDs()))
	})

	It("reports valid, tampered and foreign-scope secrets, and which apps use them", func() {
		pub := currentPublicKey(ctx)
		valid := sealedSecret(pub, ns, "db-password", "canary-db-value")
		tampered := sealedSecret(pub, ns, "tampered", "canary-tampered-value")
		tampered.Spec.EncryptedValue = tamper(tampered.Spec.EncryptedValue)
		renamed := sealedSecret(pub, ns, "original-name", "canary-renamed-value")
		renamed.Name = "copied-name"
		foreign := sealedSecret(pub, "profile-bob", "api-token", "canary-foreign-value")
		foreign.Namespace = ns
		for _, s := range []*lightningv1alpha1.LightningSecret{valid, tampered, renamed, foreign} {
			Expect(k8sClient.Create(ctx, s)).To(Succeed())
		}
		app := builders.App("uses-db", ns).Image("img").Secret("DB_PASSWORD", "db-password").Secret("DB_AGAIN", "db-password").Obj()
		Expect(k8sClient.Create(ctx, app)).To(Succeed())

		Eventually(getSecretStatus(ctx, ns, "db-password"), 20*time.Second).Should(And(
			WithTransform(func(s lightningv1alpha1.LightningSecretStatus) []metav1.Condition { return s.Conditions },
				Satisfy(haveCondition("Ready", "True", "Sealed"))),
			HaveField("KeyID", pub.ID()),
			HaveField("UsedBy", []string{"uses-db"}),
			HaveField("ObservedGeneration", int64(1)),
			HaveField("Version", MatchRegexp("^[0-9a-f]{16}$")),
		))
		for _, name := range []string{"tampered", "copied-name", "api-token"} {
			Eventually(func() []metav1.Condition { return getSecretStatus(ctx, ns, name)().Conditions }).
				Should(Satisfy(haveCondition("Ready", "False", "Tampered")), name)
			Expect(getSecretStatus(ctx, ns, name)().Version).To(BeEmpty(), "a value that does not open has no version")
		}
		By("kstatus, as Flux computes it, reads a value that does not open as Failed, and one that opens as Current")
		for name, want := range map[string]kstatus.Status{"db-password": kstatus.CurrentStatus, "tampered": kstatus.FailedStatus, "api-token": kstatus.FailedStatus} {
			Eventually(func(g Gomega) {
				lsec := &lightningv1alpha1.LightningSecret{}
				g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, lsec)).To(Succeed())
				obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(lsec)
				g.Expect(err).NotTo(HaveOccurred())
				res, err := kstatus.Compute(&unstructured.Unstructured{Object: obj})
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(res.Status).To(Equal(want), "%s: %s", name, res.Message)
			}).Should(Succeed())
		}

		By("the version is keyed: not a plain SHA-256 of the value, nor of scope and value")
		version := getSecretStatus(ctx, ns, "db-password")().Version
		for _, plain := range []string{"canary-db-value", ns + "/db-password/canary-db-value"} {
			sum := sha256.Sum256([]byte(plain))
			Expect(hex.EncodeToString(sum[:])).NotTo(HavePrefix(version))
		}
		msg := readyCondition(getSecretStatus(ctx, ns, "copied-name")().Conditions, "Ready").Message
		Expect(msg).To(ContainSubstring("sealed for another name or namespace"))

		By("dropping the reference, usedBy empties")
		Eventually(func() error {
			a := getApp(ctx, ns, "uses-db")()
			a.Spec.Secrets = nil
			return k8sClient.Update(ctx, a)
		}).Should(Succeed())
		Eventually(func() []string { return getSecretStatus(ctx, ns, "db-password")().UsedBy }).Should(BeEmpty())

		By("no value reaches a log line, an event or a status")
		assertNoCanary(ctx, ns, "canary-")
	})

	It("rotates to a new key and still opens what the old key sealed", func() {
		before, err := storedKeyring(ctx)
		Expect(err).NotTo(HaveOccurred())
		ring := rotateKeyring(ctx)
		Expect(ring.Len()).To(Equal(before.Len() + 1))
		Expect(ring.IDs()[:before.Len()]).To(Equal(before.IDs()))

		newPub := ring.Current().Private.Public()
		Expect(newPub.ID()).NotTo(Equal(before.Current().Private.ID()))
		Expect(k8sClient.Create(ctx, sealedSecret(newPub, ns, "after-rotation", "v"))).To(Succeed())
		Eventually(getSecretStatus(ctx, ns, "after-rotation")).Should(HaveField("KeyID", newPub.ID()))
		Eventually(func() []metav1.Condition { return getSecretStatus(ctx, ns, "after-rotation")().Conditions }).
			Should(Satisfy(haveCondition("Ready", "True", "Sealed")))
		// The keyring change re-checked the old secret: still sealed, old key.
		Consistently(func() []metav1.Condition { return getSecretStatus(ctx, ns, "db-password")().Conditions }, 2*time.Second).
			Should(Satisfy(haveCondition("Ready", "True", "Sealed")))
		Expect(getSecretStatus(ctx, ns, "db-password")().KeyID).To(Equal(before.Current().Private.ID()))
	})

	It("re-seals on request to the newest key, keeps the other recipients, and restarts no app", func() {
		recovery, err := sealing.GenerateKey()
		Expect(err).NotTo(HaveOccurred())
		cur := currentPublicKey(ctx)
		env, err := sealing.SealTo([]*sealing.PublicKey{cur, recovery.Public()}, sealing.Scope{Namespace: ns, Name: "resealed"}, []byte("canary-reseal-value"))
		Expect(err).NotTo(HaveOccurred())
		Expect(k8sClient.Create(ctx, builders.SealedSecret(ns, "resealed", env).Obj())).To(Succeed())
		Expect(k8sClient.Create(ctx, builders.App("uses-resealed", ns).Image("img").Secret("S", "resealed").Obj())).To(Succeed())
		Eventually(getSecretStatus(ctx, ns, "resealed"), 20*time.Second).Should(And(
			HaveField("KeyID", cur.ID()), HaveField("KeyIDs", []string{cur.ID(), recovery.ID()}), HaveField("Version", Not(BeEmpty()))))
		version := getSecretStatus(ctx, ns, "resealed")().Version
		var app *lightningv1alpha1.LightningApp
		Eventually(func() []metav1.Condition {
			app = getApp(ctx, ns, "uses-resealed")()
			return app.Status.Conditions
		}, 20*time.Second).Should(Satisfy(haveCondition("SecretsResolved", "True", "Resolved")))

		newest := rotateKeyring(ctx).Current().Private.Public()
		request := func(token string) {
			GinkgoHelper()
			Eventually(func() error {
				l := &lightningv1alpha1.LightningSecret{}
				if err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "resealed"}, l); err != nil {
					return err
				}
				if l.Annotations == nil {
					l.Annotations = map[string]string{}
				}
				l.Annotations[lightningv1alpha1.AnnotationResealRequest] = token
				return k8sClient.Update(ctx, l)
			}).Should(Succeed())
		}
		request("first")
		Eventually(getSecretStatus(ctx, ns, "resealed"), 20*time.Second).Should(And(
			HaveField("Reseal", HaveValue(And(HaveField("Request", "first"), HaveField("Result", "Resealed")))),
			HaveField("KeyID", newest.ID()),
			HaveField("KeyIDs", []string{newest.ID(), recovery.ID()}),
			HaveField("Version", version)))
		// One request is answered once: the pass that the spec update
		// triggers does not answer it again, Unchanged.
		Consistently(getSecretStatus(ctx, ns, "resealed"), 2*time.Second).Should(
			HaveField("Reseal", HaveValue(HaveField("Result", "Resealed"))))
		lsec := &lightningv1alpha1.LightningSecret{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "resealed"}, lsec)).To(Succeed())
		got, err := sealing.Open(offlineKey{recovery}, sealing.Scope{Namespace: ns, Name: "resealed"}, lsec.Spec.EncryptedValue)
		Expect(err).NotTo(HaveOccurred(), "the recovery key still opens it")
		Expect(string(got)).To(Equal("canary-reseal-value"))
		Consistently(func() string { return getApp(ctx, ns, "uses-resealed")().Status.SecretsHash }, 2*time.Second).
			Should(Equal(app.Status.SecretsHash), "re-sealing restarts nothing")

		By("a second request finds nothing to do")
		request("second")
		Eventually(getSecretStatus(ctx, ns, "resealed"), 20*time.Second).Should(
			HaveField("Reseal", HaveValue(And(HaveField("Request", "second"), HaveField("Result", "Unchanged")))))

		By("a value that does not open is answered Failed, and nothing is written")
		bad := sealedSecret(newest, ns, "unopenable", "canary-bad")
		bad.Spec.EncryptedValue = tamper(bad.Spec.EncryptedValue)
		bad.Annotations = map[string]string{lightningv1alpha1.AnnotationResealRequest: "x"}
		Expect(k8sClient.Create(ctx, bad)).To(Succeed())
		Eventually(getSecretStatus(ctx, ns, "unopenable"), 20*time.Second).Should(
			HaveField("Reseal", HaveValue(And(HaveField("Result", "Failed"), HaveField("Message", ContainSubstring("Tampered"))))))
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "unopenable"}, lsec)).To(Succeed())
		Expect(lsec.Spec.EncryptedValue).To(Equal(bad.Spec.EncryptedValue))
		assertNoCanary(ctx, ns, "canary-")
	})

	It("answers a re-seal request Failed when the apiserver refuses the new value, naming the reason", func() {
		frozen := sealedSecret(currentPublicKey(ctx), ns, "frozen", "canary-frozen-value")
		Expect(k8sClient.Create(ctx, frozen)).To(Succeed())
		// An admin's policy that freezes this one value.
		policy := &admissionregistrationv1.ValidatingAdmissionPolicy{
			ObjectMeta: metav1.ObjectMeta{Name: "freeze-lightningsecret"},
			Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
				FailurePolicy: ptr.To(admissionregistrationv1.Fail),
				MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
					RuleWithOperations: admissionregistrationv1.RuleWithOperations{
						Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Update},
						Rule:       admissionregistrationv1.Rule{APIGroups: []string{"lightning.ai"}, APIVersions: []string{"v1alpha1"}, Resources: []string{"lightningsecrets"}},
					}}}},
				Validations: []admissionregistrationv1.Validation{{
					Expression: "object.metadata.name != 'frozen' || object.spec.encryptedValue == oldObject.spec.encryptedValue",
					Message:    "frozen",
				}},
			},
		}
		binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "freeze-lightningsecret"},
			Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: policy.Name,
				ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}},
		}
		Expect(k8sClient.Create(ctx, policy)).To(Succeed())
		Expect(k8sClient.Create(ctx, binding)).To(Succeed())
		DeferCleanup(func() {
			Expect(k8sClient.Delete(ctx, binding)).To(Succeed())
			Expect(k8sClient.Delete(ctx, policy)).To(Succeed())
		})
		// The apiserver enforces a new policy a moment after it is created:
		// wait until it refuses a change of the value.
		Eventually(func() error {
			l := &lightningv1alpha1.LightningSecret{}
			if err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "frozen"}, l); err != nil {
				return err
			}
			l.Spec.EncryptedValue = sealedSecret(currentPublicKey(ctx), ns, "frozen", "canary-other").Spec.EncryptedValue
			return k8sClient.Update(ctx, l)
		}).Should(MatchError(ContainSubstring("frozen")))
		rotateKeyring(ctx)
		// The operator reads the keyring from its cache: a request it answers
		// before the cache holds the new key is Unchanged. Ask again until an
		// answer comes from the new key (each request is answered once).
		requests := 0
		Eventually(func() string {
			requests++
			token := fmt.Sprintf("t%d", requests)
			if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
				l := &lightningv1alpha1.LightningSecret{}
				if err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "frozen"}, l); err != nil {
					return err
				}
				l.Annotations = map[string]string{lightningv1alpha1.AnnotationResealRequest: token}
				return k8sClient.Update(ctx, l)
			}); err != nil {
				return err.Error()
			}
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				if r := getSecretStatus(ctx, ns, "frozen")().Reseal; r != nil && r.Request == token {
					return r.Result + ": " + r.Message
				}
			}
			return "no answer to " + token
		}, 40*time.Second, 100*time.Millisecond).Should(Equal("Failed: The apiserver refused the re-sealed value: Invalid"))
		Expect(getSecretStatus(ctx, ns, "frozen")().KeyID).To(Equal(frozen.Spec.EncryptedValue[3:19]), "the value is as it was")
	})

	It("gives a keyring made before value versions a version key, and keeps its sealing keys", func() {
		opts := keysecret.Options{Namespace: operatorNamespace, SecretName: "keyring-from-before-versions", ConfigMapName: "public-keys-from-before-versions"}
		old, err := keyring.New(time.Now())
		Expect(err).NotTo(HaveOccurred())
		data := old.Marshal()
		delete(data, keyring.VersionKeyEntry)
		Expect(k8sClient.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: opts.Namespace, Name: opts.SecretName}, Data: data,
		})).To(Succeed())
		ring, rotated, err := keysecret.NewWriter(k8sClient, k8sClient, opts, nil).Sync(ctx, keysecret.AnyLightningSecret(k8sClient))
		Expect(err).NotTo(HaveOccurred())
		Expect(rotated).To(BeFalse(), "adding the version key is not a rotation")
		Expect(ring.VersionKey()).NotTo(BeNil())

		stored := &corev1.Secret{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: opts.Namespace, Name: opts.SecretName}, stored)).To(Succeed())
		back, err := keyring.Unmarshal(stored.Data)
		Expect(err).NotTo(HaveOccurred())
		Expect(back.IDs()).To(Equal(old.IDs()))
		Expect(back.VersionKey().ID()).To(Equal(ring.VersionKey().ID()))

		By("the next sync keeps that version key")
		again, _, err := keysecret.NewWriter(k8sClient, k8sClient, opts, nil).Sync(ctx, keysecret.AnyLightningSecret(k8sClient))
		Expect(err).NotTo(HaveOccurred())
		Expect(again.VersionKey().ID()).To(Equal(ring.VersionKey().ID()))
	})

	It("never creates a fresh keyring over a deleted one, says why, and heals on restore", func() {
		key := types.NamespacedName{Namespace: operatorNamespace, Name: keysecret.DefaultSecretName}
		backup := &corev1.Secret{}
		Expect(k8sClient.Get(ctx, key, backup)).To(Succeed())
		Expect(k8sClient.Delete(ctx, backup)).To(Succeed())

		Eventually(func() []metav1.Condition { return getSecretStatus(ctx, ns, "db-password")().Conditions }, 20*time.Second).
			Should(Satisfy(haveCondition("Ready", "False", "KeyNotFound")))
		Expect(readyCondition(getSecretStatus(ctx, ns, "db-password")().Conditions, "Ready").Message).
			To(ContainSubstring("keyring is missing"))
		// The rotator runs every 500ms: it must keep refusing to create one.
		Consistently(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, key, &corev1.Secret{}))
		}, 3*time.Second, 250*time.Millisecond).Should(BeTrue())
		Expect(logBuffer.String()).To(ContainSubstring("refusing to create a new keyring"))

		By("restoring the backup, as docs/operations.md says")
		restored := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name, Labels: backup.Labels},
			Type:       backup.Type,
			Data:       backup.Data,
		}
		Expect(k8sClient.Create(ctx, restored)).To(Succeed())
		Eventually(func() []metav1.Condition { return getSecretStatus(ctx, ns, "db-password")().Conditions }, 20*time.Second).
			Should(Satisfy(haveCondition("Ready", "True", "Sealed")))
	})
})

// assertNoCanary greps what the operator produced for a plaintext marker:
// logs, events, and the statuses of LightningSecrets and LightningApps.
func assertNoCanary(ctx context.Context, ns, canary string) {
	ExpectWithOffset(1, logBuffer.String()).NotTo(ContainSubstring(canary), "a value reached the logs")
	events := &corev1.EventList{}
	ExpectWithOffset(1, k8sClient.List(ctx, events)).To(Succeed())
	for _, e := range events.Items {
		ExpectWithOffset(1, e.Message+e.Reason).NotTo(ContainSubstring(canary), "a value reached an event")
	}
	lsecs := &lightningv1alpha1.LightningSecretList{}
	ExpectWithOffset(1, k8sClient.List(ctx, lsecs)).To(Succeed())
	for _, l := range lsecs.Items {
		ExpectWithOffset(1, toJSON(l)).NotTo(ContainSubstring(canary), "a value reached a LightningSecret")
	}
	apps := &lightningv1alpha1.LightningAppList{}
	ExpectWithOffset(1, k8sClient.List(ctx, apps)).To(Succeed())
	for _, a := range apps.Items {
		ExpectWithOffset(1, toJSON(a)).NotTo(ContainSubstring(canary), "a value reached a LightningApp")
	}
}

// offlineKey is a key lookup of one key, for opening offline.
type offlineKey struct{ k *sealing.PrivateKey }

func (o offlineKey) PrivateKey(id string) (*sealing.PrivateKey, bool) { return o.k, o.k.ID() == id }

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
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/keysecret"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
	"github.com/lightning-operator/lightning-operator/test/builders"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// The suite starts several managers in one process; controller names repeat.
func ctrlConfigSkipNameValidation() config.Controller {
	return config.Controller{SkipNameValidation: ptr.To(true)}
}

func ctrlObjectMeta(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name} }

func newNamespace(ctx context.Context, name string) {
	ExpectWithOffset(1, k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
}

// storedKeyring reads the keyring the operator wrote.
func storedKeyring(ctx context.Context) (*keyring.Keyring, error) {
	s := &corev1.Secret{}
	if err := k8sClient.Get(ctx, types.NamespacedName{Namespace: operatorNamespace, Name: keysecret.DefaultSecretName}, s); err != nil {
		return nil, err
	}
	return keyring.Unmarshal(s.Data)
}

// rotateKeyring syncs the keyring as the leader would at a time one period
// past its current key, so it rotates whatever ran before.
func rotateKeyring(ctx context.Context) *keyring.Keyring {
	before, err := storedKeyring(ctx)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	const period = 720 * time.Hour
	later := func() time.Time { return before.Current().Created.Add(period + time.Hour) }
	writer := keysecret.NewWriter(k8sClient, k8sClient, keysecret.Options{Namespace: operatorNamespace, RotationPeriod: period}, later)
	// The running manager's keyring controller publishes the public keys
	// too, on the keyring's change: a conflict there is retried (the
	// rotation, done once, is not repeated at the same time).
	var ring *keyring.Keyring
	rotatedOnce := false
	EventuallyWithOffset(1, func() error {
		var rotated bool
		var err error
		ring, rotated, err = writer.Sync(ctx, keysecret.AnyLightningSecret(k8sClient))
		rotatedOnce = rotatedOnce || rotated
		return err
	}).Should(Succeed())
	ExpectWithOffset(1, rotatedOnce).To(BeTrue())
	return ring
}

func currentPublicKey(ctx context.Context) *sealing.PublicKey {
	var ring *keyring.Keyring
	EventuallyWithOffset(1, func() error {
		var err error
		ring, err = storedKeyring(ctx)
		return err
	}).Should(Succeed())
	return ring.Current().Private.Public()
}

// sealedSecret seals value for ns/name as `kubectl lightning secret create` would.
func sealedSecret(pub *sealing.PublicKey, ns, name, value string) *lightningv1alpha1.LightningSecret {
	env, err := sealing.Seal(pub, sealing.Scope{Namespace: ns, Name: name}, []byte(value))
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return builders.SealedSecret(ns, name, env).Obj()
}

// reseal gives the stored LightningSecret ns/name a new sealed value.
func reseal(ctx context.Context, pub *sealing.PublicKey, ns, name, value string) {
	lsec := &lightningv1alpha1.LightningSecret{}
	ExpectWithOffset(1, k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, lsec)).To(Succeed())
	lsec.Spec.EncryptedValue = sealedSecret(pub, ns, name, value).Spec.EncryptedValue
	ExpectWithOffset(1, k8sClient.Update(ctx, lsec)).To(Succeed())
}

func readyCondition(conds []metav1.Condition, condType string) metav1.Condition {
	if c := meta.FindStatusCondition(conds, condType); c != nil {
		return *c
	}
	return metav1.Condition{}
}

func getSecretStatus(ctx context.Context, ns, name string) func() lightningv1alpha1.LightningSecretStatus {
	return func() lightningv1alpha1.LightningSecretStatus {
		l := &lightningv1alpha1.LightningSecret{}
		if err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, l); err != nil {
			return lightningv1alpha1.LightningSecretStatus{}
		}
		return l.Status
	}
}

func getApp(ctx context.Context, ns, name string) func() *lightningv1alpha1.LightningApp {
	return func() *lightningv1alpha1.LightningApp {
		a := &lightningv1alpha1.LightningApp{}
		if err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, a); err != nil {
			return &lightningv1alpha1.LightningApp{}
		}
		return a
	}
}

func haveCondition(condType, status, reason string) func(conds []metav1.Condition) bool {
	return func(conds []metav1.Condition) bool {
		c := meta.FindStatusCondition(conds, condType)
		return c != nil && string(c.Status) == status && c.Reason == reason
	}
}

func toJSON(v any) string {
	data, err := json.Marshal(v)
	ExpectWithOffset(2, err).NotTo(HaveOccurred())
	return string(data)
}

// objectsIn lists every object in ns, of every kind the apiserver serves, as
// Kind/name. Events are left out: they record what happened, belong to no
// one and expire on their own.
func objectsIn(ctx context.Context, ns string) []string {
	quiet := rest.CopyConfig(cfg)
	quiet.WarningHandler = rest.NoWarnings{} // listing v1 Endpoints warns
	lists, err := discovery.NewDiscoveryClientForConfigOrDie(quiet).ServerPreferredNamespacedResources()
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	mc := metadata.NewForConfigOrDie(quiet)
	var out []string
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		ExpectWithOffset(1, err).NotTo(HaveOccurred())
		for _, r := range l.APIResources {
			if r.Kind == "Event" || !slices.Contains(r.Verbs, "list") {
				continue
			}
			items, err := mc.Resource(gv.WithResource(r.Name)).Namespace(ns).List(ctx, metav1.ListOptions{})
			ExpectWithOffset(1, err).NotTo(HaveOccurred(), r.Name)
			for _, o := range items.Items {
				out = append(out, r.Kind+"/"+o.Name)
			}
		}
	}
	return out
}

// warningReasons lists the reasons of the Warning Events in ns.
func warningReasons(ctx context.Context, ns string) []string {
	events := &corev1.EventList{}
	Expect(k8sClient.List(ctx, events, client.InNamespace(ns))).To(Succeed())
	var out []string
	for _, e := range events.Items {
		if e.Type == corev1.EventTypeWarning {
			out = append(out, e.Reason)
		}
	}
	return out
}

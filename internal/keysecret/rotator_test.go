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

package keysecret_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/keysecret"
)

// startRotator runs the keyring's controller on a manager whose cache
// holds only our labelled Secrets, as the operator's does, until the test
// ends. exist answers whether LightningSecrets exist; calls counts its
// calls.
func startRotator(t *testing.T, opts keysecret.Options, interval time.Duration, exist *atomic.Bool, calls *atomic.Int32) {
	t.Helper()
	runRotator(t, opts, interval, func(context.Context) (bool, error) {
		calls.Add(1)
		return exist.Load(), nil
	}, false)
}

// runRotator is startRotator's manager; withSource also gives the Rotator
// a Source reading through the manager's cache (as the controllers' one
// does), and returns it.
func runRotator(t *testing.T, opts keysecret.Options, interval time.Duration, secretsExist keysecret.SecretsExist, withSource bool) *keysecret.Source {
	t.Helper()
	return runRotatorWriting(t, opts, interval, secretsExist, withSource, nil)
}

// runRotatorWriting is runRotator whose Writer writes through
// writes(the manager's client), to make a write fail; nil: as it is.
func runRotatorWriting(t *testing.T, opts keysecret.Options, interval time.Duration, secretsExist keysecret.SecretsExist, withSource bool,
	writes func(client.Client) client.Client) *keysecret.Source {
	t.Helper()
	mgr, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  cache.Options{ByObject: map[client.Object]cache.ByObject{&corev1.Secret{}: {Label: ours}}},
		// Each test runs its own manager: the controller name repeats.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := mgr.GetClient()
	if writes != nil {
		c = writes(c)
	}
	w := keysecret.NewWriter(c, mgr.GetAPIReader(), opts, nil)
	rotator := keysecret.NewRotator(w, secretsExist, interval, mgr.GetEventRecorder("lightning-keyring"))
	var source *keysecret.Source
	if withSource {
		source = keysecret.NewSource(mgr.GetClient(), opts)
		rotator.WithSource(source)
	}
	if err := rotator.SetupWithManager(mgr); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the manager stopped with %v", err)
		}
	})
	if withSource && !mgr.GetCache().WaitForCacheSync(ctx) {
		t.Fatal("the manager's cache did not sync")
	}
	return source
}

// eventually polls check every 50ms until it returns "" or 10s pass.
func eventually(t *testing.T, what string, check func() string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		msg := check()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s", what, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func storedKeyring(t *testing.T, key types.NamespacedName) (*corev1.Secret, *keyring.Keyring, error) {
	t.Helper()
	sec := &corev1.Secret{}
	if err := k8sClient.Get(context.Background(), key, sec); err != nil {
		return nil, nil, err
	}
	ring, err := keyring.Unmarshal(sec.Data)
	return sec, ring, err
}

// reconcileErrors is controller-runtime's count of failed reconciles of
// the keyring controller: errors are returned, so its backoff runs.
func reconcileErrors(t *testing.T) float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "controller_runtime_reconcile_errors_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			if hasLabel(m, "controller", "keyring") {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func hasLabel(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

// TestRotatorKeepsTheKeyring runs the controller: it creates the keyring at
// start, republishes the public keys (not watched) within its interval,
// refuses to recreate a deleted keyring while LightningSecrets exist
// (an Event, a returned error retried with backoff), and labels a keyring
// restored without the label (outside its cache).
func TestRotatorKeepsTheKeyring(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	opts := keysecret.Options{Namespace: ns}
	key := types.NamespacedName{Namespace: ns, Name: keysecret.DefaultSecretName}
	cmKey := types.NamespacedName{Namespace: ns, Name: keysecret.DefaultConfigMapName}
	var exist atomic.Bool
	var calls atomic.Int32
	startRotator(t, opts, 300*time.Millisecond, &exist, &calls)

	eventually(t, "the keyring created at start", func() string {
		if _, _, err := storedKeyring(t, key); err != nil {
			return err.Error()
		}
		if err := k8sClient.Get(ctx, cmKey, &corev1.ConfigMap{}); err != nil {
			return "public keys: " + err.Error()
		}
		return ""
	})

	if err := k8sClient.Delete(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: cmKey.Name}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the public keys republished", func() string {
		if err := k8sClient.Get(ctx, cmKey, &corev1.ConfigMap{}); err != nil {
			return err.Error()
		}
		return ""
	})

	backup, _, err := storedKeyring(t, key)
	if err != nil {
		t.Fatal(err)
	}
	exist.Store(true)
	errorsBefore := reconcileErrors(t)
	callsBefore := calls.Load()
	if err := k8sClient.Delete(ctx, backup); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a KeyringUnavailable Event, and the failed check retried", func() string {
		events := &eventsv1.EventList{}
		if err := k8sClient.List(ctx, events, client.InNamespace(ns)); err != nil {
			return err.Error()
		}
		found := false
		for _, e := range events.Items {
			found = found || (e.Reason == "KeyringUnavailable" && e.Regarding.Name == key.Name)
		}
		switch {
		case !found:
			return "no KeyringUnavailable Event"
		case calls.Load()-callsBefore < 3:
			return "checked fewer than 3 times"
		case reconcileErrors(t)-errorsBefore < 3:
			return "fewer than 3 errors returned to controller-runtime"
		}
		return ""
	})
	if _, _, err := storedKeyring(t, key); !apierrors.IsNotFound(err) {
		t.Fatalf("a keyring was made while LightningSecrets exist: %v", err)
	}

	restored := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: key.Name}, // no label: outside the cache
		Type:       backup.Type,
		Data:       backup.Data,
	}
	if err := k8sClient.Create(ctx, restored); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the restored keyring labelled", func() string {
		sec, _, err := storedKeyring(t, key)
		if err != nil {
			return err.Error()
		}
		if sec.Labels[lightningv1alpha1.LabelManagedBy] != lightningv1alpha1.ManagedByValue {
			return "no label yet"
		}
		return ""
	})
}

// TestRotatorRotatesWhenDue: with an interval of an hour, only the
// rotation's due time can bring the next key.
func TestRotatorRotatesWhenDue(t *testing.T) {
	ns := newNamespace(t)
	key := types.NamespacedName{Namespace: ns, Name: keysecret.DefaultSecretName}
	var exist atomic.Bool
	var calls atomic.Int32
	startRotator(t, keysecret.Options{Namespace: ns, RotationPeriod: 2 * time.Second}, time.Hour, &exist, &calls)
	eventually(t, "three keys, a rotation every 2s", func() string {
		_, ring, err := storedKeyring(t, key)
		switch {
		case err != nil:
			return err.Error()
		case ring.Len() < 3:
			return ring.String()
		}
		return ""
	})
}

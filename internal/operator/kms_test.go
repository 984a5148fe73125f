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

package operator_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/keysecret"
	"github.com/lightning-operator/lightning-operator/internal/kms/kmstest"
	"github.com/lightning-operator/lightning-operator/internal/operator"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
	"github.com/lightning-operator/lightning-operator/test/builders"
)

// TestMain removes the SoftHSM plugin kmstest built for this package.
func TestMain(m *testing.M) {
	code := m.Run()
	kmstest.Cleanup()
	os.Exit(code)
}

// The whole operator with its keyring wrapped by the SoftHSM plugin: a
// LightningSecret and an app resolve; a new leader started while the
// plugin is down cannot open the keyring, so both say KMSUnavailable
// (waiting, not Stalled) and the app keeps its Secret; when the plugin
// returns, both heal without anyone touching them.
func TestKMSPluginDownStatus(t *testing.T) {
	plugin := kmstest.StartSoftHSM(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const opNS, ns = "lightning-system", "apps"
	cfg, scheme, admin := startAPIServer(ctx, t, opNS, ns)

	// start runs the operator, the leader at once, until the returned stop.
	start := func() (stop func()) {
		t.Helper()
		mgr, err := ctrl.NewManager(cfg, ctrl.Options{
			Scheme:                 scheme,
			Cache:                  operator.CacheOptions("lightning-operator-mutating-webhook-configuration"),
			Metrics:                metricsserver.Options{BindAddress: "0"},
			HealthProbeBindAddress: "0",
			Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
		})
		if err != nil {
			t.Fatal(err)
		}
		mctx, cancel := context.WithCancel(ctx)
		if err := operator.Setup(mctx, mgr, operator.Options{
			Namespace:         opNS,
			KeyRotationPeriod: 720 * time.Hour,
			KeyCheckInterval:  500 * time.Millisecond,
			Workers:           2,
			WebhookConfigName: "lightning-operator-mutating-webhook-configuration",
			KMS:               plugin.Client(),
		}); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- mgr.Start(mctx) }()
		stopped := false
		stop = func() {
			if stopped {
				return
			}
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("the manager stopped with %v", err)
			}
		}
		t.Cleanup(stop)
		return stop
	}

	stop := start()
	key := types.NamespacedName{Namespace: opNS, Name: keysecret.DefaultSecretName}
	var ring *keyring.Keyring
	eventually(t, "the keyring, created wrapped", func() error {
		s := &corev1.Secret{}
		if err := admin.Get(ctx, key, s); err != nil {
			return err
		}
		if !keyring.IsWrapped(s.Data) {
			return fmt.Errorf("not wrapped: entries %v", slices.Sorted(maps.Keys(s.Data)))
		}
		var err error
		ring, err = keysecret.NewSource(admin, keysecret.Options{Namespace: opNS, KMS: plugin.Client()}).Keyring(ctx)
		return err
	})
	envelope, err := sealing.Seal(ring.Current().Private.Public(), sealing.Scope{Namespace: ns, Name: "db"}, []byte("kms-canary"))
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.Create(ctx, builders.SealedSecret(ns, "db", envelope).Obj()); err != nil {
		t.Fatal(err)
	}
	if err := admin.Create(ctx, builders.App("my-app", ns).Secret("DB", "db").Obj()); err != nil {
		t.Fatal(err)
	}
	lsec, app := &lightningv1alpha1.LightningSecret{}, &lightningv1alpha1.LightningApp{}
	reasons := func() (secretReady, appResolved *metav1.Condition, err error) {
		if err := admin.Get(ctx, types.NamespacedName{Namespace: ns, Name: "db"}, lsec); err != nil {
			return nil, nil, err
		}
		if err := admin.Get(ctx, types.NamespacedName{Namespace: ns, Name: "my-app"}, app); err != nil {
			return nil, nil, err
		}
		secretReady = meta.FindStatusCondition(lsec.Status.Conditions, lightningv1alpha1.ConditionReady)
		appResolved = meta.FindStatusCondition(app.Status.Conditions, lightningv1alpha1.ConditionSecretsResolved)
		if secretReady == nil || appResolved == nil || lsec.Status.ObservedGeneration != lsec.Generation || app.Status.ObservedGeneration != app.Generation {
			return nil, nil, fmt.Errorf("no status of this generation yet: %+v, %+v", lsec.Status.Conditions, app.Status.Conditions)
		}
		return secretReady, appResolved, nil
	}
	resolved := func(what string) {
		t.Helper()
		eventually(t, what, func() error {
			ready, res, err := reasons()
			switch {
			case err != nil:
				return err
			case ready.Reason != lightningv1alpha1.ReasonSealed || res.Status != metav1.ConditionTrue || app.Status.SecretName == "":
				return fmt.Errorf("LightningSecret Ready %s/%s, app SecretsResolved %s/%s", ready.Status, ready.Reason, res.Status, res.Reason)
			}
			return nil
		})
	}
	resolved("the value opened, and the app resolved, through the plugin")
	appSecret := app.Status.SecretName

	t.Log("stopping the operator and the plugin, then starting a new leader, which has not opened the keyring")
	stop()
	plugin.Stop()
	start()
	eventually(t, "KMSUnavailable on both, waiting rather than Stalled", func() error {
		ready, res, err := reasons()
		switch {
		case err != nil:
			return err
		case ready.Reason != lightningv1alpha1.ReasonKMSUnavailable || res.Reason != lightningv1alpha1.ReasonKMSUnavailable:
			return fmt.Errorf("LightningSecret Ready %s/%s, app SecretsResolved %s/%s", ready.Status, ready.Reason, res.Status, res.Reason)
		}
		return nil
	})
	for _, c := range [][]metav1.Condition{lsec.Status.Conditions, app.Status.Conditions} {
		if s := meta.FindStatusCondition(c, lightningv1alpha1.ConditionStalled); s != nil {
			t.Errorf("Stalled=%s (%s) while the plugin is down", s.Status, s.Reason)
		}
	}
	ready := meta.FindStatusCondition(lsec.Status.Conditions, lightningv1alpha1.ConditionReady)
	appReady := meta.FindStatusCondition(app.Status.Conditions, lightningv1alpha1.ConditionReady)
	t.Logf("LightningSecret %s/db, plugin down: Ready=%s %s: %s", ns, ready.Status, ready.Reason, ready.Message)
	t.Logf("LightningApp %s/my-app, plugin down: Ready=%s %s: %s (phase %s)", ns, appReady.Status, appReady.Reason, appReady.Message, app.Status.Phase)
	if app.Status.SecretName != appSecret || appReady.Reason != lightningv1alpha1.ReasonKMSUnavailable {
		t.Errorf("the app's Secret %q (was %q), Ready reason %s; want it kept, and KMSUnavailable", app.Status.SecretName, appSecret, appReady.Reason)
	}
	if err := admin.Get(ctx, types.NamespacedName{Namespace: ns, Name: appSecret}, &corev1.Secret{}); err != nil {
		t.Errorf("the app's Secret %s while the plugin is down: %v", appSecret, err)
	}

	plugin.Start()
	resolved("healed once the plugin answers, untouched")
	if app.Status.SecretName != appSecret {
		t.Errorf("the app's Secret after healing: %s, want %s", app.Status.SecretName, appSecret)
	}
}

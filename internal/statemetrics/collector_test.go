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

package statemetrics_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/keysecret"
	"github.com/lightning-operator/lightning-operator/internal/operator"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
	"github.com/lightning-operator/lightning-operator/internal/statemetrics"
	"github.com/lightning-operator/lightning-operator/internal/testenv"
)

// gather scrapes the registry the metrics endpoint serves and returns this
// package's series as `name{label="value",…}` to their values.
func gather(t *testing.T) map[string]float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatalf("gathering the metrics: %v", err)
	}
	ours := []string{statemetrics.AppCondition, statemetrics.SecretCondition, statemetrics.SealedToKey, statemetrics.KeyCreated}
	out := map[string]float64{}
	for _, f := range families {
		if !slices.Contains(ours, f.GetName()) {
			continue
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			out[f.GetName()+"{"+strings.Join(labels, ",")+"}"] = m.GetGauge().GetValue()
		}
	}
	return out
}

func condSeries(metric, ns, name, cond, status string) string {
	return fmt.Sprintf("%s{condition=%q,name=%q,namespace=%q,status=%q}", metric, cond, name, ns, status)
}

func keySeries(metric, id string) string { return fmt.Sprintf("%s{key_id=%q}", metric, id) }

// conditionIs is the three series of a condition whose status is current.
func conditionIs(metric, ns, name, cond, current string) map[string]float64 {
	out := map[string]float64{}
	for _, st := range []string{"True", "False", "Unknown"} {
		out[condSeries(metric, ns, name, cond, st)] = 0
	}
	out[condSeries(metric, ns, name, cond, current)] = 1
	return out
}

// waitFor polls the scrape until want holds (a value, or absent for a key in
// gone), or fails with the last scrape.
func waitFor(t *testing.T, what string, want map[string]float64, gone []string) {
	t.Helper()
	var got map[string]float64
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		got = gather(t)
		if holds(got, want, gone) {
			return
		}
	}
	t.Fatalf("%s: want %v without %v; the scrape has %v", what, want, gone, got)
}

func holds(got, want map[string]float64, gone []string) bool {
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			return false
		}
	}
	for _, k := range gone {
		if _, ok := got[k]; ok {
			return false
		}
	}
	return true
}

func merge(ms ...map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// The operator's manager, as main.go wires it, exports the gauges of what
// its cache holds: conditions as the controllers set them, secrets per key
// and the keys' creation times; a deleted object's series go, and a stopped
// manager exports none.
func TestGaugesFromTheCache(t *testing.T) {
	logs := &testenv.SyncBuffer{}
	ctrl.SetLogger(zap.New(zap.WriteTo(logs), zap.UseDevMode(true)))
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(logs.String())
		}
	})
	cfg := testenv.Start(t)
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = lightningv1alpha1.AddToScheme(scheme)
	k8s, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const opNS, ns = "lightning-system", "team"
	for _, n := range []string{opNS, ns} {
		if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}); err != nil {
			t.Fatal(err)
		}
	}

	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  operator.CacheOptions(""),
		Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	mctx, stop := context.WithCancel(ctx)
	defer stop()
	if err := operator.Setup(mctx, mgr, operator.Options{Namespace: opNS, KeyCheckInterval: 500 * time.Millisecond, Workers: 2}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mctx) }()

	// The leader makes the keyring on first start.
	keys := keysecret.NewSource(k8s, keysecret.Options{Namespace: opNS})
	var current *sealing.PublicKey
	var created time.Time
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if ring, err := keys.Keyring(ctx); err == nil {
			current, created = ring.Current().Private.Public(), ring.Current().Created
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no keyring")
		}
	}
	foreign, err := sealing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	value := []byte("gauge-test-value-7f3a")
	seal := func(name string, to *sealing.PublicKey) {
		t.Helper()
		env, err := sealing.SealTo([]*sealing.PublicKey{to}, sealing.Scope{Namespace: ns, Name: name}, value)
		if err != nil {
			t.Fatal(err)
		}
		s := &lightningv1alpha1.LightningSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: lightningv1alpha1.LightningSecretSpec{EncryptedValue: env}}
		if err := k8s.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	seal("good", current)
	seal("foreign", foreign.Public()) // a key this cluster does not hold: KeyNotFound
	app := func(name, secretRef string) *lightningv1alpha1.LightningApp {
		t.Helper()
		a := &lightningv1alpha1.LightningApp{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: lightningv1alpha1.LightningAppSpec{Image: "registry.example/app:1.0",
				Secrets: []lightningv1alpha1.SecretEnvVar{{Name: "MY_APP_SECRET", SecretRef: secretRef}}}}
		if err := k8s.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	app("my-app", "good")
	broken := app("broken", "missing")

	A, S := statemetrics.AppCondition, statemetrics.SecretCondition
	sealedTo := func(id string) string { return keySeries(statemetrics.SealedToKey, id) }
	waitFor(t, "the gauges of what was created", merge(
		conditionIs(S, ns, "good", "Ready", "True"),
		conditionIs(S, ns, "foreign", "Ready", "False"),
		conditionIs(A, ns, "my-app", "SecretsResolved", "True"),
		conditionIs(A, ns, "broken", "SecretsResolved", "False"),
		conditionIs(A, ns, "broken", "Ready", "False"),
		map[string]float64{
			sealedTo(current.ID()):                           1,
			sealedTo(foreign.ID()):                           1,
			keySeries(statemetrics.KeyCreated, current.ID()): float64(created.Unix()),
		}), nil)

	if err := k8s.Delete(ctx, broken); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Delete(ctx, &lightningv1alpha1.LightningSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "foreign"}}); err != nil {
		t.Fatal(err)
	}
	var gone []string
	for _, st := range []string{"True", "False", "Unknown"} {
		gone = append(gone, condSeries(S, ns, "foreign", "Ready", st), condSeries(A, ns, "broken", "SecretsResolved", st), condSeries(A, ns, "broken", "Ready", st))
	}
	gone = append(gone, sealedTo(foreign.ID()))
	waitFor(t, "the deleted objects' series gone", merge(
		conditionIs(S, ns, "good", "Ready", "True"),
		conditionIs(A, ns, "my-app", "SecretsResolved", "True"),
		map[string]float64{sealedTo(current.ID()): 1}), gone)

	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := gather(t); len(got) != 0 {
		t.Errorf("a stopped manager still exports %v", got)
	}
	if strings.Contains(logs.String(), string(value)) {
		t.Error("the log holds the secret value")
	}
}

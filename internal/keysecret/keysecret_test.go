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
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/keysecret"
	"github.com/lightning-operator/lightning-operator/internal/kms/kmstest"
	"github.com/lightning-operator/lightning-operator/internal/testenv"
)

var (
	restConfig *rest.Config
	k8sClient  client.Client
	scheme     = runtime.NewScheme()
)

// TestMain starts one real apiserver (envtest) for the package's tests.
func TestMain(m *testing.M) {
	os.Exit(runWithEnvtest(m))
}

func runWithEnvtest(m *testing.M) int {
	defer kmstest.Cleanup() // the SoftHSM plugin built for these tests
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		panic(err)
	}
	if err := lightningv1alpha1.AddToScheme(scheme); err != nil {
		panic(err)
	}
	env, err := testenv.New(testenv.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if restConfig, err = env.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "starting envtest:", err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	if k8sClient, err = client.New(restConfig, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "keysecret-"}}
	if err := k8sClient.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// logContext returns a context whose logger writes to the returned buffer:
// the operator's logger (controller-runtime's zap, JSON), so values are
// encoded as in production ([]byte as base64).
func logContext(t *testing.T) (context.Context, *testenv.SyncBuffer) {
	t.Helper()
	buf := &testenv.SyncBuffer{}
	log := zap.New(zap.WriteTo(buf), zap.UseDevMode(false))
	ctx, cancel := context.WithCancel(logf.IntoContext(context.Background(), log))
	t.Cleanup(cancel)
	return ctx, buf
}

// material is every encoding of a keyring's secrets that must never be
// logged: each seed and the version key in base64, hex and Go's %v of a
// []byte, and each stored entry as base64 (as zap and a Secret manifest
// encode []byte) and as %v.
func material(t *testing.T, kr *keyring.Keyring) []string {
	t.Helper()
	var out []string
	for _, k := range kr.Keys() {
		seed := k.Private.Bytes()
		out = append(out, base64.StdEncoding.EncodeToString(seed), fmt.Sprintf("%x", seed), fmt.Sprint(seed))
	}
	for name, v := range kr.Marshal() {
		out = append(out, base64.StdEncoding.EncodeToString(v), fmt.Sprint(v))
		if name == keyring.VersionKeyEntry {
			var e struct{ Key string }
			if err := json.Unmarshal(v, &e); err != nil || e.Key == "" {
				t.Fatalf("reading the version key entry: %v", err)
			}
			raw, _ := base64.StdEncoding.DecodeString(e.Key)
			out = append(out, e.Key, fmt.Sprintf("%x", raw), fmt.Sprint(raw))
		}
	}
	return out
}

func assertNoMaterial(t *testing.T, where, text string, kr *keyring.Keyring) {
	t.Helper()
	for _, m := range material(t, kr) {
		if strings.Contains(text, m) {
			t.Errorf("%s holds key material", where)
		}
	}
}

// ours selects what the manager caches; the same selector as
// internal/operator's CacheOptions for Secrets.
var ours = labels.SelectorFromSet(labels.Set{lightningv1alpha1.LabelManagedBy: lightningv1alpha1.ManagedByValue})

func noSecrets(context.Context) (bool, error) { return true, nil }

func TestSyncLabelsAnUnlabelledKeyring(t *testing.T) {
	made := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	oldRing, err := keyring.New(made)
	if err != nil {
		t.Fatal(err)
	}
	// A keyring from before value versions: one key, no version key.
	var noVersion map[string][]byte
	{
		data := oldRing.Marshal()
		delete(data, keyring.VersionKeyEntry)
		noVersion = data
	}

	tests := []struct {
		name   string
		labels map[string]string
		data   map[string][]byte
		period time.Duration
		// what Sync must do
		wantWrite, wantRotated, wantVersionKey bool
		wantLabels                             map[string]string
		wantErr                                error
	}{
		{
			name:       "no labels: labelled, data unchanged",
			data:       oldRing.Marshal(),
			wantWrite:  true,
			wantLabels: map[string]string{lightningv1alpha1.LabelManagedBy: lightningv1alpha1.ManagedByValue},
		},
		{
			name:       "another managed-by and other labels: ours set, the others kept",
			labels:     map[string]string{lightningv1alpha1.LabelManagedBy: "Helm", "team": "platform"},
			data:       oldRing.Marshal(),
			wantWrite:  true,
			wantLabels: map[string]string{lightningv1alpha1.LabelManagedBy: lightningv1alpha1.ManagedByValue, "team": "platform"},
		},
		{
			name:        "due for rotation: one write rotates and labels",
			data:        oldRing.Marshal(),
			period:      time.Hour,
			wantWrite:   true,
			wantRotated: true,
			wantLabels:  map[string]string{lightningv1alpha1.LabelManagedBy: lightningv1alpha1.ManagedByValue},
		},
		{
			name:           "no version key: one write adds it and labels",
			data:           noVersion,
			wantWrite:      true,
			wantVersionKey: true,
			wantLabels:     map[string]string{lightningv1alpha1.LabelManagedBy: lightningv1alpha1.ManagedByValue},
		},
		{
			name:       "already labelled: nothing written",
			labels:     map[string]string{lightningv1alpha1.LabelManagedBy: lightningv1alpha1.ManagedByValue},
			data:       oldRing.Marshal(),
			wantLabels: map[string]string{lightningv1alpha1.LabelManagedBy: lightningv1alpha1.ManagedByValue},
		},
		{
			name:    "corrupt and unlabelled: refused, left untouched",
			data:    map[string][]byte{keyring.EntryPrefix + oldRing.IDs()[0]: []byte("{}")},
			wantErr: keyring.ErrCorrupt,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, logs := logContext(t)
			ns := newNamespace(t)
			stored := &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: keysecret.DefaultSecretName, Labels: tc.labels},
				Type:       corev1.SecretTypeOpaque,
				Data:       tc.data,
			}
			if err := k8sClient.Create(ctx, stored); err != nil {
				t.Fatal(err)
			}
			period := tc.period
			if period == 0 {
				period = 365 * 24 * time.Hour
			}
			opts := keysecret.Options{Namespace: ns, RotationPeriod: period}
			now := func() time.Time { return made.Add(2 * time.Hour) }

			got, rotated, err := keysecret.NewWriter(k8sClient, k8sClient, opts, now).Sync(ctx, noSecrets)
			after := &corev1.Secret{}
			if gerr := k8sClient.Get(ctx, client.ObjectKeyFromObject(stored), after); gerr != nil {
				t.Fatal(gerr)
			}
			assertNoMaterial(t, "the log", logs.String(), oldRing)
			if err != nil {
				assertNoMaterial(t, "the error", err.Error(), oldRing)
			}
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Sync: err = %v, want %v", err, tc.wantErr)
				}
				if after.ResourceVersion != stored.ResourceVersion {
					t.Errorf("the Secret was written (resourceVersion %s → %s)", stored.ResourceVersion, after.ResourceVersion)
				}
				return
			}
			if err != nil {
				t.Fatalf("Sync: %v", err)
			}
			assertNoMaterial(t, "the log", logs.String(), got)

			if wrote := after.ResourceVersion != stored.ResourceVersion; wrote != tc.wantWrite {
				t.Errorf("wrote the Secret: %v, want %v", wrote, tc.wantWrite)
			}
			if !maps.Equal(after.Labels, tc.wantLabels) {
				t.Errorf("labels = %v, want %v", after.Labels, tc.wantLabels)
			}
			if rotated != tc.wantRotated {
				t.Errorf("rotated = %v, want %v", rotated, tc.wantRotated)
			}
			if !tc.wantRotated && !tc.wantVersionKey && !maps.EqualFunc(after.Data, tc.data, bytes.Equal) {
				t.Errorf("only the label was to change, but the data did")
			}
			parsed, err := keyring.Unmarshal(after.Data)
			if err != nil {
				t.Fatalf("stored keyring: %v", err)
			}
			if parsed.VersionKey() == nil {
				t.Errorf("stored keyring has no version key")
			}
			wantKeys := 1
			if tc.wantRotated {
				wantKeys = 2
			}
			if parsed.Len() != wantKeys || parsed.IDs()[0] != oldRing.IDs()[0] {
				t.Errorf("stored keys %v, want %d starting with %s", parsed.IDs(), wantKeys, oldRing.IDs()[0])
			}

			labelled := tc.wantWrite && tc.labels[lightningv1alpha1.LabelManagedBy] != lightningv1alpha1.ManagedByValue
			if line := "Labelled the keyring Secret"; strings.Contains(logs.String(), line) != labelled {
				t.Errorf("log has %q: %v, want %v; log:\n%s", line, !labelled, labelled, logs.String())
			} else if labelled && !strings.Contains(logs.String(), oldRing.IDs()[0]) {
				t.Errorf("the label's log line does not name the key IDs:\n%s", logs.String())
			}
		})
	}
}

// TestSourceSeesTheKeyringOnceLabelled is the operator's view: its Source
// reads through a cache that holds only our labelled Secrets. A keyring
// restored without the label is missing to it until Sync labels it.
func TestSourceSeesTheKeyringOnceLabelled(t *testing.T) {
	ctx, _ := logContext(t)
	ns := newNamespace(t)
	ring, err := keyring.New(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	restored := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: keysecret.DefaultSecretName},
		Type:       corev1.SecretTypeOpaque,
		Data:       ring.Marshal(),
	}
	if err := k8sClient.Create(ctx, restored); err != nil {
		t.Fatal(err)
	}

	c, err := cache.New(restConfig, cache.Options{Scheme: scheme, ByObject: map[client.Object]cache.ByObject{
		&corev1.Secret{}: {Label: ours},
	}})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = c.Start(ctx) }()
	// Start the Secret informer before asking.
	if _, err := c.GetInformer(ctx, &corev1.Secret{}); err != nil {
		t.Fatal(err)
	}
	if !c.WaitForCacheSync(ctx) {
		t.Fatal("cache did not sync")
	}
	opts := keysecret.Options{Namespace: ns}
	source := keysecret.NewSource(c, opts)
	if _, err := source.Keyring(ctx); !errors.Is(err, keysecret.ErrMissing) {
		t.Fatalf("before Sync: err = %v, want ErrMissing (the cache must not see an unlabelled Secret)", err)
	}

	if _, _, err := keysecret.NewWriter(k8sClient, k8sClient, opts, nil).Sync(ctx, noSecrets); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := source.Keyring(ctx)
		if err == nil {
			if !slices.Equal(got.IDs(), ring.IDs()) || got.VersionKey().ID() != ring.VersionKey().ID() {
				t.Fatalf("the Source found %v, want %v", got, ring)
			}
			break
		}
		if !errors.Is(err, keysecret.ErrMissing) || time.Now().After(deadline) {
			t.Fatalf("after Sync: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stored := &corev1.Secret{}
	if err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: keysecret.DefaultSecretName}, stored); err != nil {
		t.Fatal(err)
	}
	if !maps.EqualFunc(stored.Data, restored.Data, bytes.Equal) {
		t.Error("Sync changed the restored data")
	}
}

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
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/keysecret"
	"github.com/lightning-operator/lightning-operator/internal/kms"
	"github.com/lightning-operator/lightning-operator/internal/kms/kmstest"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

// noLightningSecrets lets a Writer create the keyring.
func noLightningSecrets(context.Context) (bool, error) { return false, nil }

// countingKMS counts the unwraps of the plugin it holds.
type countingKMS struct {
	keyring.KeyWrapper
	unwraps atomic.Int32
}

func (c *countingKMS) Unwrap(ctx context.Context, keyID string, ciphertext []byte, annotations map[string][]byte) ([]byte, error) {
	c.unwraps.Add(1)
	return c.KeyWrapper.Unwrap(ctx, keyID, ciphertext, annotations)
}

// updateLog records the resourceVersion each Update of a keyring Secret
// carried.
type updateLog struct {
	mu  sync.Mutex
	rvs []string
}

func (u *updateLog) last() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.rvs) == 0 {
		return ""
	}
	return u.rvs[len(u.rvs)-1]
}

func (u *updateLog) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.rvs)
}

// recordingClient is a client of the test's apiserver that records in u
// the updates of keyring Secrets.
func recordingClient(t *testing.T, u *updateLog) client.Client {
	t.Helper()
	base, err := client.NewWithWatch(restConfig, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return interceptor.NewClient(base, interceptor.Funcs{
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			if obj.GetName() == keysecret.DefaultSecretName {
				u.mu.Lock()
				u.rvs = append(u.rvs, obj.GetResourceVersion())
				u.mu.Unlock()
			}
			return c.Update(ctx, obj, opts...)
		},
	})
}

// describe is a keyring Secret's data for the test log: each entry's name,
// the key ID it shows, and its field names. Never a value.
func describe(data map[string][]byte) string {
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(data)) {
		var e map[string]any
		if err := json.Unmarshal(data[name], &e); err != nil {
			fmt.Fprintf(&b, "\n  %s: not JSON", name)
			continue
		}
		id, _ := e["id"].(string)
		label := "id"
		if name == keyring.DataKeyEntry {
			id, _ = e["keyID"].(string)
			label = "KMS key ID"
		}
		fmt.Fprintf(&b, "\n  %s: %s %s, fields %v", name, label, id, slices.Sorted(maps.Keys(e)))
	}
	return b.String()
}

// assertNothingOpensFrom checks that data holds no key material of ring in
// any encoding, and does not read as a plain keyring.
func assertNothingOpensFrom(t *testing.T, data map[string][]byte, ring *keyring.Keyring) {
	t.Helper()
	for name, v := range data {
		assertNoMaterial(t, "entry "+name+" of the wrapped Secret", string(v), ring)
	}
	if _, err := keyring.Unmarshal(data); err == nil {
		t.Error("the wrapped Secret reads as a plain keyring")
	}
}

func getSecret(t *testing.T, key types.NamespacedName) *corev1.Secret {
	t.Helper()
	s := &corev1.Secret{}
	if err := k8sClient.Get(context.Background(), key, s); err != nil {
		t.Fatal(err)
	}
	return s
}

func keyringKey(ns string) types.NamespacedName {
	return types.NamespacedName{Namespace: ns, Name: keysecret.DefaultSecretName}
}

// logLines are the lines of a JSON log holding msg.
func logLines(log, msg string) string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, msg) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestKMSWrappedKeyringLifecycle runs the real SoftHSM plugin: the keyring
// is created wrapped; a restart (new client, new Source) opens it, asking
// the plugin once per change of the Secret; after the plugin's key is
// rotated, the data key is wrapped again, checked, and written with the
// resourceVersion read.
func TestKMSWrappedKeyringLifecycle(t *testing.T) {
	plugin := kmstest.StartSoftHSM(t)
	ctx, logs := logContext(t)
	ns := newNamespace(t)
	key := keyringKey(ns)
	firstKMSKey := plugin.KeyID()

	var updates updateLog
	opts := keysecret.Options{Namespace: ns, KMS: plugin.Client()}
	rep, err := keysecret.NewWriter(recordingClient(t, &updates), k8sClient, opts, nil).SyncReport(ctx, noLightningSecrets)
	if err != nil {
		t.Fatalf("first start with a KMS: %v\nplugin log:\n%s", err, plugin.Log())
	}
	created := getSecret(t, key)
	t.Logf("keyring Secret %s created wrapped:%s", key, describe(created.Data))
	if id, err := keyring.WrappedKeyID(created.Data); err != nil || id != firstKMSKey || rep.KMSKeyID != firstKMSKey {
		t.Fatalf("created wrapped under KMS key %q (%v), reported %q; want the plugin's %s", id, err, rep.KMSKeyID, firstKMSKey)
	}
	if got := created.Annotations[lightningv1alpha1.AnnotationKMSKeyID]; got != firstKMSKey {
		t.Errorf("annotation %s = %q, want %s", lightningv1alpha1.AnnotationKMSKeyID, got, firstKMSKey)
	}
	ring := rep.Ring
	assertNothingOpensFrom(t, created.Data, ring)
	if l := logLines(logs.String(), "Created keyring"); !strings.Contains(l, `"kmsKeyID":"`+firstKMSKey+`"`) {
		t.Errorf("the creation's log line does not name the KMS key ID: %s", l)
	}

	// A restart: a new client of the plugin and a new Source open it, asking
	// the plugin once per change of the Secret.
	counting := &countingKMS{KeyWrapper: plugin.Client()}
	source := keysecret.NewSource(k8sClient, keysecret.Options{Namespace: ns, KMS: counting})
	for range 3 {
		opened, err := source.Keyring(ctx)
		if err != nil {
			t.Fatalf("opening after a restart: %v", err)
		}
		if !slices.Equal(opened.IDs(), ring.IDs()) || opened.VersionKey().ID() != ring.VersionKey().ID() {
			t.Fatalf("opened %v, want %v", opened, ring)
		}
	}
	if n := counting.unwraps.Load(); n != 1 {
		t.Errorf("the plugin unwrapped %d times for three opens of one resourceVersion, want 1", n)
	}
	sealed, err := sealing.Seal(ring.Current().Private.Public(), sealing.Scope{Namespace: "apps", Name: "db"}, []byte("hunter2"))
	if err != nil {
		t.Fatal(err)
	}

	// The plugin's key is rotated: the next sync wraps the data key again.
	newKMSKey := plugin.Rotate()
	t.Logf("the plugin's key was rotated: %s -> %s", firstKMSKey, newKMSKey)
	before := getSecret(t, key)
	rep, err = keysecret.NewWriter(recordingClient(t, &updates), k8sClient, keysecret.Options{Namespace: ns, KMS: plugin.Client()}, nil).SyncReport(ctx, noLightningSecrets)
	if err != nil {
		t.Fatal(err)
	}
	after := getSecret(t, key)
	t.Logf("keyring Secret after the plugin's key rotation:%s", describe(after.Data))
	t.Logf("log: %s", logLines(logs.String(), "Wrapped the keyring again"))
	if rep.RewrappedFrom != firstKMSKey || rep.KMSKeyID != newKMSKey || rep.Rotated {
		t.Errorf("report: re-wrapped from %q to %q, rotated %v; want %s to %s, no new sealing key", rep.RewrappedFrom, rep.KMSKeyID, rep.Rotated, firstKMSKey, newKMSKey)
	}
	if id, _ := keyring.WrappedKeyID(after.Data); id != newKMSKey || after.Annotations[lightningv1alpha1.AnnotationKMSKeyID] != newKMSKey {
		t.Errorf("stored under KMS key %s, annotated %s; want %s", id, after.Annotations[lightningv1alpha1.AnnotationKMSKeyID], newKMSKey)
	}
	if updates.last() != before.ResourceVersion || after.ResourceVersion == before.ResourceVersion {
		t.Errorf("the re-wrap was written with resourceVersion %q, want the one read, %s", updates.last(), before.ResourceVersion)
	}
	if !slices.Equal(slices.Sorted(maps.Keys(after.Data)), slices.Sorted(maps.Keys(before.Data))) {
		t.Errorf("entries changed: %v -> %v", slices.Sorted(maps.Keys(before.Data)), slices.Sorted(maps.Keys(after.Data)))
	}
	assertNothingOpensFrom(t, after.Data, ring)
	line := logLines(logs.String(), "Wrapped the keyring again")
	if !strings.Contains(line, `"fromKMSKeyID":"`+firstKMSKey+`"`) || !strings.Contains(line, `"kmsKeyID":"`+newKMSKey+`"`) {
		t.Errorf("the re-wrap's log line does not name both KMS key IDs: %q", line)
	}
	assertNoMaterial(t, "the log", logs.String(), ring)

	// The Secret changed: the Source opens it again, once, to the same keys,
	// and a value sealed before opens.
	reopened, err := source.Keyring(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := counting.unwraps.Load(); n != 2 {
		t.Errorf("the plugin unwrapped %d times after one change of the Secret, want 2", n)
	}
	if plain, err := sealing.Open(reopened, sealing.Scope{Namespace: "apps", Name: "db"}, sealed); err != nil || string(plain) != "hunter2" {
		t.Errorf("a value sealed before the re-wrap does not open: %v", err)
	}

	// Nothing more to do: no write.
	n := updates.count()
	if _, err := keysecret.NewWriter(recordingClient(t, &updates), k8sClient, keysecret.Options{Namespace: ns, KMS: plugin.Client()}, nil).SyncReport(ctx, noLightningSecrets); err != nil {
		t.Fatal(err)
	}
	if updates.count() != n {
		t.Error("a sync with nothing to do wrote the keyring Secret")
	}
}

// TestKMSMigrationOnlyWithTheFlag: a plain keyring stays plain with a KMS
// set, until MigrateToKMS wraps it, once, with the same keys, written with
// the resourceVersion read.
func TestKMSMigrationOnlyWithTheFlag(t *testing.T) {
	plugin := kmstest.StartSoftHSM(t)
	ctx, logs := logContext(t)
	ns := newNamespace(t)
	key := keyringKey(ns)
	plain, err := keysecret.NewWriter(k8sClient, k8sClient, keysecret.Options{Namespace: ns}, nil).SyncReport(ctx, noLightningSecrets)
	if err != nil {
		t.Fatal(err)
	}
	before := getSecret(t, key)
	t.Logf("keyring Secret %s before wrapping (plain):%s", key, describe(before.Data))

	var updates updateLog
	rep, err := keysecret.NewWriter(recordingClient(t, &updates), k8sClient, keysecret.Options{Namespace: ns, KMS: plugin.Client()}, nil).SyncReport(ctx, noLightningSecrets)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.NotWrapped || rep.Migrated || rep.KMSKeyID != "" {
		t.Errorf("without the flag: report %+v, want NotWrapped only", rep)
	}
	if still := getSecret(t, key); still.ResourceVersion != before.ResourceVersion || keyring.IsWrapped(still.Data) {
		t.Fatal("without the flag the plain keyring was written")
	}

	rep, err = keysecret.NewWriter(recordingClient(t, &updates), k8sClient, keysecret.Options{Namespace: ns, KMS: plugin.Client(), MigrateToKMS: true}, nil).SyncReport(ctx, noLightningSecrets)
	if err != nil {
		t.Fatal(err)
	}
	after := getSecret(t, key)
	t.Logf("keyring Secret %s after wrapping (--kms-migrate):%s", key, describe(after.Data))
	t.Logf("log: %s", logLines(logs.String(), "Wrapped the keyring with the KMS plugin"))
	kmsKey := plugin.KeyID()
	if !rep.Migrated || rep.KMSKeyID != kmsKey {
		t.Errorf("with the flag: report %+v, want migrated under %s", rep, kmsKey)
	}
	if updates.count() != 1 || updates.last() != before.ResourceVersion {
		t.Errorf("updates carried resourceVersions %v, want one, %s", updates.rvs, before.ResourceVersion)
	}
	assertNothingOpensFrom(t, after.Data, plain.Ring)
	opened, err := keysecret.NewSource(k8sClient, keysecret.Options{Namespace: ns, KMS: plugin.Client()}).Keyring(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(opened.IDs(), plain.Ring.IDs()) || opened.VersionKey().ID() != plain.Ring.VersionKey().ID() {
		t.Errorf("the wrapped keyring opens to %v, want the plain one's keys %v", opened, plain.Ring)
	}
	line := logLines(logs.String(), "Wrapped the keyring with the KMS plugin")
	if !strings.Contains(line, plain.Ring.IDs()[0]) || !strings.Contains(line, `"kmsKeyID":"`+kmsKey+`"`) {
		t.Errorf("the migration's log line does not name the key IDs and the KMS key ID: %q", line)
	}
	assertNoMaterial(t, "the log", logs.String(), plain.Ring)

	// Migrated once: the flag left on writes nothing more.
	if _, err := keysecret.NewWriter(recordingClient(t, &updates), k8sClient, keysecret.Options{Namespace: ns, KMS: plugin.Client(), MigrateToKMS: true}, nil).SyncReport(ctx, noLightningSecrets); err != nil {
		t.Fatal(err)
	}
	if updates.count() != 1 {
		t.Error("the flag left on wrote the wrapped keyring again")
	}
}

// TestKMSCopiedKeyringOpensNothing: the wrapped keyring's data copied into
// another Secret, in another namespace or under another name, opens
// nothing: not without the plugin, not with it.
func TestKMSCopiedKeyringOpensNothing(t *testing.T) {
	plugin := kmstest.StartSoftHSM(t)
	ctx, _ := logContext(t)
	ns := newNamespace(t)
	rep, err := keysecret.NewWriter(k8sClient, k8sClient, keysecret.Options{Namespace: ns, KMS: plugin.Client()}, nil).SyncReport(ctx, noLightningSecrets)
	if err != nil {
		t.Fatal(err)
	}
	data := getSecret(t, keyringKey(ns)).Data
	assertNothingOpensFrom(t, data, rep.Ring)

	other := newNamespace(t)
	for _, copied := range []types.NamespacedName{{Namespace: other, Name: keysecret.DefaultSecretName}, {Namespace: ns, Name: "stolen"}} {
		if err := k8sClient.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: copied.Namespace, Name: copied.Name}, Data: data}); err != nil {
			t.Fatal(err)
		}
		without := keysecret.NewSource(k8sClient, keysecret.Options{Namespace: copied.Namespace, SecretName: copied.Name})
		_, err := without.Keyring(ctx)
		if !errors.Is(err, keysecret.ErrNoKMS) || errors.Is(err, keysecret.ErrMissing) {
			t.Errorf("copy %s without the plugin: error = %v, want ErrNoKMS", copied, err)
		}
		t.Logf("copy %s without the plugin: %v", copied, err)
		with := keysecret.NewSource(k8sClient, keysecret.Options{Namespace: copied.Namespace, SecretName: copied.Name, KMS: plugin.Client()})
		_, err = with.Keyring(ctx)
		if !errors.Is(err, keyring.ErrCorrupt) || errors.Is(err, keyring.ErrKMS) {
			t.Errorf("copy %s with the plugin: error = %v, want ErrCorrupt (bound to its Secret)", copied, err)
		}
		t.Logf("copy %s with the plugin: %v", copied, err)
	}
}

// kmsGauge is lightning_keyring_kms_available for endpoint; -1 when absent.
func kmsGauge(t *testing.T, endpoint string) float64 {
	t.Helper()
	return gauge(t, "lightning_keyring_kms_available", "endpoint", endpoint)
}

// gauge is the value of the gauge name (with label=value, when given), or -1.
func gauge(t *testing.T, name string, labelValue ...string) float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if len(labelValue) < 2 || hasLabel(m, labelValue[0], labelValue[1]) {
				return m.GetGauge().GetValue()
			}
		}
	}
	return -1
}

// eventOf is the newest Event of reason about the keyring Secret in ns.
func eventOf(t *testing.T, ns, reason string) *eventsv1.Event {
	t.Helper()
	events := &eventsv1.EventList{}
	if err := k8sClient.List(context.Background(), events, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var found *eventsv1.Event
	for i, e := range events.Items {
		if e.Reason == reason && e.Regarding.Name == keysecret.DefaultSecretName {
			found = &events.Items[i]
		}
	}
	return found
}

// TestKMSPluginDown runs the keyring's controller with the real SoftHSM
// plugin, and kills the plugin while a rotation falls due: nothing is
// written; an Event, the metric and the error say so; the keys already
// opened keep opening, and a Source that had none waits. When the plugin
// is back, the rotation is written, an Event says it is back, and what
// waited is brought back by the AnnotationKMSReopened write.
func TestKMSPluginDown(t *testing.T) {
	plugin := kmstest.StartSoftHSM(t)
	ctx, _ := logContext(t)
	ns := newNamespace(t)
	key := keyringKey(ns)
	const period = 3 * time.Second
	opts := keysecret.Options{Namespace: ns, KMS: plugin.Client(), RotationPeriod: period}
	waiting := runRotator(t, opts, 300*time.Millisecond, noLightningSecrets, true)

	eventually(t, "the keyring created wrapped", func() string {
		s := &corev1.Secret{}
		if err := k8sClient.Get(ctx, key, s); err != nil {
			return err.Error()
		}
		if !keyring.IsWrapped(s.Data) {
			return "not wrapped"
		}
		return ""
	})
	// The controllers' Source of a running operator, which opened the keyring.
	loaded := keysecret.NewSource(k8sClient, keysecret.Options{Namespace: ns, KMS: plugin.Client()})
	ring, err := loaded.Keyring(ctx)
	if err != nil {
		t.Fatal(err)
	}
	scope := sealing.Scope{Namespace: "apps", Name: "db"}
	sealed, err := sealing.Seal(ring.Current().Private.Public(), scope, []byte("hunter2"))
	if err != nil {
		t.Fatal(err)
	}
	if got := kmsGauge(t, plugin.Endpoint()); got != 1 {
		t.Errorf("lightning_keyring_kms_available = %v with the plugin up, want 1", got)
	}

	plugin.Stop()
	down := getSecret(t, key)
	eventually(t, "a KMSUnavailable Event and the metric at 0", func() string {
		if eventOf(t, ns, keysecret.ReasonKMSUnavailable) == nil {
			return "no KMSUnavailable Event"
		}
		if got := kmsGauge(t, plugin.Endpoint()); got != 0 {
			return fmt.Sprintf("lightning_keyring_kms_available = %v", got)
		}
		return ""
	})
	ev := eventOf(t, ns, keysecret.ReasonKMSUnavailable)
	t.Logf("Event %s %s: %s", ev.Type, ev.Reason, ev.Note)
	t.Logf("metric: lightning_keyring_kms_available{endpoint=%q} %v", plugin.Endpoint(), kmsGauge(t, plugin.Endpoint()))
	if !strings.Contains(ev.Note, "KMS plugin at "+plugin.Endpoint()+" is unavailable") || ev.Type != corev1.EventTypeWarning {
		t.Errorf("the Event does not say the plugin is down: %s %q", ev.Type, ev.Note)
	}

	// A Source that never opened it (a new leader) waits, and says why.
	_, err = waiting.Keyring(ctx)
	if !errors.Is(err, keyring.ErrKMS) || !errors.Is(err, kms.ErrUnavailable) || errors.Is(err, keysecret.ErrMissing) {
		t.Fatalf("opening with the plugin down: error = %v, want ErrKMS and kms.ErrUnavailable", err)
	}
	// The statuses this gives: internal/operator's TestKMSPluginDownStatus.
	// Keys already opened keep working.
	if again, err := loaded.Keyring(ctx); err != nil || again != ring {
		t.Errorf("the Source that opened the keyring: %v, want its keys", err)
	}
	if plain, err := sealing.Open(ring, scope, sealed); err != nil || string(plain) != "hunter2" {
		t.Errorf("a value does not open with the keys already opened: %v", err)
	}

	// The rotation falls due while the plugin is down: nothing is written.
	time.Sleep(time.Until(ring.Current().Created.Add(period + 2*time.Second)))
	if now := getSecret(t, key); now.ResourceVersion != down.ResourceVersion {
		t.Fatalf("the keyring Secret was written while the plugin was down (resourceVersion %s -> %s)", down.ResourceVersion, now.ResourceVersion)
	}

	plugin.Start()
	eventually(t, "healed: the metric at 1, a KMSAvailable Event, the due rotation written, the waiting opens brought back", func() string {
		if got := kmsGauge(t, plugin.Endpoint()); got != 1 {
			return fmt.Sprintf("lightning_keyring_kms_available = %v", got)
		}
		if eventOf(t, ns, keysecret.ReasonKMSAvailable) == nil {
			return "no KMSAvailable Event"
		}
		s := getSecret(t, key)
		if s.Annotations[lightningv1alpha1.AnnotationKMSReopened] == "" {
			return "no " + lightningv1alpha1.AnnotationKMSReopened + " annotation"
		}
		opened, err := waiting.Keyring(ctx)
		if err != nil {
			return err.Error()
		}
		if opened.Len() < 2 {
			return "not rotated yet: " + opened.String()
		}
		return ""
	})
	ev = eventOf(t, ns, keysecret.ReasonKMSAvailable)
	t.Logf("Event %s %s: %s", ev.Type, ev.Reason, ev.Note)
	if opened, _ := waiting.Keyring(ctx); !keyring.IsWrapped(getSecret(t, key).Data) || opened.IDs()[0] != ring.IDs()[0] {
		t.Errorf("after the plugin came back: %v, want the first keys, wrapped", opened)
	}
}

// TestKMSFakePluginDown covers, with the pure-Go fake, what the SoftHSM
// cases cannot force: a plugin down when the keyring is to be created, a
// wrapped keyring without a plugin configured, and a failed open answered
// from memory rather than asking a plugin that hangs each time.
func TestKMSFakePluginDown(t *testing.T) {
	ctx, _ := logContext(t)
	fake := kmstest.NewFake()

	t.Run("down at first start: nothing is created", func(t *testing.T) {
		ns := newNamespace(t)
		fake.SetDown(true)
		defer fake.SetDown(false)
		_, err := keysecret.NewWriter(k8sClient, k8sClient, keysecret.Options{Namespace: ns, KMS: fake}, nil).SyncReport(ctx, noLightningSecrets)
		if !errors.Is(err, keyring.ErrKMS) || !errors.Is(err, kms.ErrUnavailable) {
			t.Fatalf("error = %v, want ErrKMS", err)
		}
		if err := k8sClient.Get(ctx, keyringKey(ns), &corev1.Secret{}); !apierrors.IsNotFound(err) {
			t.Fatalf("a keyring Secret was created with the plugin down: %v", err)
		}
	})

	ns := newNamespace(t)
	rep, err := keysecret.NewWriter(k8sClient, k8sClient, keysecret.Options{Namespace: ns, KMS: fake}, nil).SyncReport(ctx, noLightningSecrets)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("wrapped, no plugin configured: an error naming it, not a missing keyring", func(t *testing.T) {
		_, err := keysecret.NewSource(k8sClient, keysecret.Options{Namespace: ns}).Keyring(ctx)
		if !errors.Is(err, keysecret.ErrNoKMS) || errors.Is(err, keysecret.ErrMissing) || !strings.Contains(err.Error(), keyringKey(ns).String()) ||
			!strings.Contains(err.Error(), rep.KMSKeyID) {
			t.Errorf("Source: error = %v, want ErrNoKMS naming the Secret and the KMS key ID", err)
		}
		before := getSecret(t, keyringKey(ns))
		_, err = keysecret.NewWriter(k8sClient, k8sClient, keysecret.Options{Namespace: ns, RotationPeriod: time.Nanosecond}, nil).SyncReport(ctx, noLightningSecrets)
		if !errors.Is(err, keysecret.ErrNoKMS) {
			t.Errorf("Writer: error = %v, want ErrNoKMS", err)
		}
		if after := getSecret(t, keyringKey(ns)); after.ResourceVersion != before.ResourceVersion {
			t.Error("the Writer without a plugin wrote the wrapped keyring")
		}
	})

	t.Run("down: a failed open is answered from memory for a while", func(t *testing.T) {
		fake.SetDown(true)
		defer fake.SetDown(false)
		source := keysecret.NewSource(k8sClient, keysecret.Options{Namespace: ns, KMS: fake})
		unwraps := fake.Calls().Unwrap
		for range 5 {
			if _, err := source.Keyring(ctx); !errors.Is(err, keyring.ErrKMS) {
				t.Fatalf("error = %v, want ErrKMS", err)
			}
		}
		if n := fake.Calls().Unwrap - unwraps; n != 1 {
			t.Errorf("five opens asked the plugin that is down %d times, want 1", n)
		}
		fake.SetDown(false)
		time.Sleep(2100 * time.Millisecond) // kmsRetry
		if _, err := source.Keyring(ctx); err != nil {
			t.Errorf("the plugin is back: %v", err)
		}
	})

	t.Run("down, the Secret changed: the keys already opened are kept", func(t *testing.T) {
		source := keysecret.NewSource(k8sClient, keysecret.Options{Namespace: ns, KMS: fake})
		ring, err := source.Keyring(ctx)
		if err != nil {
			t.Fatal(err)
		}
		fake.SetDown(true)
		defer fake.SetDown(false)
		s := getSecret(t, keyringKey(ns))
		s.Labels["team"] = "platform"
		if err := k8sClient.Update(ctx, s); err != nil {
			t.Fatal(err)
		}
		if got, err := source.Keyring(ctx); err != nil || got != ring {
			t.Errorf("Keyring = %v, %v; want the keys already opened", got, err)
		}
	})
}

// TestKMSReopenedWriteFailsIsNoOutage: when the annotation that brings
// back what waited for the plugin cannot be written, the keyring is still
// fine: KMSAvailable is told, no KeyringUnavailable Event,
// and the annotation is written once it can be.
func TestKMSReopenedWriteFailsIsNoOutage(t *testing.T) {
	ctx, _ := logContext(t)
	ns := newNamespace(t)
	fake := kmstest.NewFake()
	var refuse atomic.Bool
	refuse.Store(true)
	live, err := client.NewWithWatch(restConfig, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	writes := func(client.Client) client.Client {
		return interceptor.NewClient(live, interceptor.Funcs{Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			if refuse.Load() && obj.GetAnnotations()[lightningv1alpha1.AnnotationKMSReopened] != "" {
				return apierrors.NewConflict(corev1.Resource("secrets"), obj.GetName(), errors.New("refused by the test"))
			}
			return c.Update(ctx, obj, opts...)
		}})
	}
	opts := keysecret.Options{Namespace: ns, KMS: fake}
	waiting := runRotatorWriting(t, opts, 300*time.Millisecond, noLightningSecrets, true, writes)
	eventually(t, "the keyring created wrapped", func() string {
		s := &corev1.Secret{}
		if err := k8sClient.Get(ctx, keyringKey(ns), s); err != nil {
			return err.Error()
		}
		if !keyring.IsWrapped(s.Data) {
			return "not wrapped"
		}
		return ""
	})

	fake.SetDown(true)
	// The Source reads through the manager's cache, which may not hold the
	// new Secret yet.
	eventually(t, "an open with the plugin down fails on the plugin", func() string {
		if _, err := waiting.Keyring(ctx); !errors.Is(err, keyring.ErrKMS) {
			return fmt.Sprintf("%v, want ErrKMS", err)
		}
		return ""
	})
	eventually(t, "a KMSUnavailable Event", func() string {
		if eventOf(t, ns, keysecret.ReasonKMSUnavailable) == nil {
			return "none"
		}
		return ""
	})
	fake.SetDown(false)
	eventually(t, "a KMSAvailable Event though the annotation is refused", func() string {
		if eventOf(t, ns, keysecret.ReasonKMSAvailable) == nil {
			return "none"
		}
		return ""
	})
	time.Sleep(time.Second) // a few refused annotations, retried
	if ev := eventOf(t, ns, keysecret.ReasonKeyringUnavailable); ev != nil {
		t.Errorf("a refused annotation was reported as an outage: %s %s", ev.Reason, ev.Note)
	}
	if s := getSecret(t, keyringKey(ns)); s.Annotations[lightningv1alpha1.AnnotationKMSReopened] != "" {
		t.Fatal("the annotation was written while the test refused it")
	}
	refuse.Store(false)
	eventually(t, "the annotation written once it may be", func() string {
		if getSecret(t, keyringKey(ns)).Annotations[lightningv1alpha1.AnnotationKMSReopened] == "" {
			return "not yet"
		}
		return ""
	})
}

// TestKMSRotatorWarnsOfAPlainKeyring: a KMS without MigrateToKMS leaves a
// plain keyring plain, loudly: a Warning Event, and the wrapped metric at 0.
func TestKMSRotatorWarnsOfAPlainKeyring(t *testing.T) {
	ctx, _ := logContext(t)
	ns := newNamespace(t)
	if _, err := keysecret.NewWriter(k8sClient, k8sClient, keysecret.Options{Namespace: ns}, nil).SyncReport(ctx, noLightningSecrets); err != nil {
		t.Fatal(err)
	}
	before := getSecret(t, keyringKey(ns))
	runRotator(t, keysecret.Options{Namespace: ns, KMS: kmstest.NewFake()}, time.Hour, noLightningSecrets, false)
	eventually(t, "a KeyringNotWrapped Event", func() string {
		if eventOf(t, ns, keysecret.ReasonKeyringNotWrapped) == nil {
			return "none yet"
		}
		return ""
	})
	ev := eventOf(t, ns, keysecret.ReasonKeyringNotWrapped)
	t.Logf("Event %s %s: %s", ev.Type, ev.Reason, ev.Note)
	if ev.Type != corev1.EventTypeWarning || !strings.Contains(ev.Note, "--kms-migrate") {
		t.Errorf("Event %s %q, want a Warning that names --kms-migrate", ev.Type, ev.Note)
	}
	if got := gauge(t, "lightning_keyring_kms_wrapped"); got != 0 {
		t.Errorf("lightning_keyring_kms_wrapped = %v for a plain keyring, want 0", got)
	}
	if after := getSecret(t, keyringKey(ns)); after.ResourceVersion != before.ResourceVersion || !bytes.Equal(after.Data[keyring.VersionKeyEntry], before.Data[keyring.VersionKeyEntry]) {
		t.Error("the plain keyring was written without --kms-migrate")
	}
}

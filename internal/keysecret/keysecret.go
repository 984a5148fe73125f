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

// Package keysecret keeps the operator's keyring in a Kubernetes Secret,
// publishes its public keys in a ConfigMap, and rotates it on the leader.
// With a KMS v2 plugin it keeps the keyring wrapped (internal/keyring's
// wrap.go), so the Secret alone opens nothing. It never regenerates a
// keyring over lost, corrupt or unopenable data: that is reported, and the
// data is left alone.
package keysecret

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;create;update,namespace=system
// The keyring Secret, read through the cache (list, watch) and written by
// the leader. The Role in the operator's namespace grants it on its own, for
// a namespace-scoped operator that holds no cluster-wide Secret access.
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update,namespace=system
// Its Events (a missing keyring, a new key) are about that Secret.
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch,namespace=system

// Defaults for the objects this package owns in the operator's namespace.
const (
	DefaultSecretName    = "lightning-operator-keyring"
	DefaultConfigMapName = "lightning-operator-public-keys"
)

// ErrMissing says the keyring Secret does not exist.
var ErrMissing = errors.New("keyring Secret not found")

// ErrNoKMS says the keyring Secret is wrapped by a KMS and the operator has
// no KMS plugin to open it: a configuration error, never "no keyring".
var ErrNoKMS = errors.New("it is wrapped by a KMS, and no KMS plugin is configured (--kms-endpoint)")

// Options name the keyring's objects and its rotation policy.
type Options struct {
	Namespace      string
	SecretName     string
	ConfigMapName  string
	RotationPeriod time.Duration
	// Cutoff forces a new key when the newest key was made before it.
	Cutoff time.Time
	// DefaultRecipients are published beside the public keys; the CLI seals
	// every value to them too (an offline recovery key).
	DefaultRecipients []*sealing.PublicKey
	// KMS, when set, keeps the keyring wrapped by a KMS v2 plugin: its
	// private entries are stored sealed under a data key the plugin wraps.
	// Nil keeps it plain, and a wrapped keyring is then an error (ErrNoKMS).
	KMS keyring.KeyWrapper
	// MigrateToKMS lets the leader wrap a plain keyring it finds, KMS set.
	// Without it a plain keyring keeps working, with a warning.
	MigrateToKMS bool
}

func (o *Options) ref() keyring.SecretRef {
	return keyring.SecretRef{Namespace: o.Namespace, Name: o.SecretName}
}

func (o *Options) defaults() {
	if o.SecretName == "" {
		o.SecretName = DefaultSecretName
	}
	if o.ConfigMapName == "" {
		o.ConfigMapName = DefaultConfigMapName
	}
	if o.RotationPeriod == 0 {
		o.RotationPeriod = 30 * 24 * time.Hour
	}
}

// Source hands the controllers the current keyring. It reads the Secret
// through the given reader (the manager's cache) and opens it again only
// when its resourceVersion changed: a wrapped keyring asks the KMS plugin
// once per change of the Secret.
type Source struct {
	reader client.Reader
	key    types.NamespacedName
	opts   Options
	now    func() time.Time

	mu      sync.Mutex
	version string
	ring    *keyring.Keyring
	// The last open of failedVersion failed on the KMS plugin, failures
	// times in a row: the plugin is not asked again for it before retryAt,
	// so a plugin that hangs costs one timeout now and then, not one per
	// reconcile. A change of the Secret is tried at once.
	failedVersion string
	failedErr     error
	failures      int
	retryAt       time.Time

	// waiting: an open failed on the KMS plugin since the Rotator last
	// brought the controllers back (Rotator.WithSource); waits tells it.
	waiting atomic.Bool
	waits   chan event.GenericEvent
}

// A failed open on the KMS plugin is answered from memory for kmsRetry,
// doubling with each failure up to kmsMaxRetry, before the plugin is
// asked again.
const (
	kmsRetry    = 2 * time.Second
	kmsMaxRetry = 30 * time.Second
)

// kmsRetryAfter is how long the failures-th failure in a row is kept.
func kmsRetryAfter(failures int) time.Duration {
	d := kmsRetry
	for i := 1; i < failures && d < kmsMaxRetry; i++ {
		d *= 2
	}
	return min(d, kmsMaxRetry)
}

// NewSource reads the keyring named by opts through reader.
func NewSource(reader client.Reader, opts Options) *Source {
	opts.defaults()
	return &Source{reader: reader, key: types.NamespacedName{Namespace: opts.Namespace, Name: opts.SecretName}, opts: opts,
		now: time.Now, waits: make(chan event.GenericEvent, 1)}
}

// SecretKey names the keyring Secret.
func (s *Source) SecretKey() types.NamespacedName { return s.key }

// Keyring returns the current keyring; ErrMissing when the Secret is gone;
// keyring.ErrCorrupt/ErrEmpty when it cannot be read; ErrNoKMS when it is
// wrapped and no KMS plugin is configured; keyring.ErrKMS when the plugin
// cannot open it now. On ErrKMS the keys already opened keep being
// returned, so what opened keeps opening; without them, opens wait.
func (s *Source) Keyring(ctx context.Context) (*keyring.Keyring, error) {
	secret := &corev1.Secret{}
	if err := s.reader.Get(ctx, s.key, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("%w: %s", ErrMissing, s.key)
		}
		return nil, fmt.Errorf("reading keyring Secret %s: %w", s.key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ring != nil && s.version == secret.ResourceVersion {
		return s.ring, nil
	}
	if s.failedErr != nil && s.failedVersion == secret.ResourceVersion && s.now().Before(s.retryAt) {
		return s.kmsFallback(s.failedErr)
	}
	ring, err := openKeyring(ctx, s.opts.KMS, s.key, secret.Data)
	switch {
	case errors.Is(err, keyring.ErrKMS):
		err = kmsFailed(s.key, err)
		if s.failedVersion != secret.ResourceVersion || s.failedErr == nil {
			s.failures = 0
			log := logf.FromContext(ctx).WithValues("secret", s.key.String())
			if s.ring != nil {
				log.Error(err, "The KMS plugin cannot open the changed keyring Secret; the keys already opened keep working", "keyIDs", s.ring.IDs())
			} else {
				log.Error(err, "The KMS plugin cannot open the keyring Secret; opens wait for it")
			}
		}
		s.failures++
		s.failedVersion, s.failedErr, s.retryAt = secret.ResourceVersion, err, s.now().Add(kmsRetryAfter(s.failures))
		s.tellRotator()
		return s.kmsFallback(err)
	case err != nil:
		return nil, fmt.Errorf("keyring Secret %s: %w", s.key, err)
	}
	s.ring, s.version, s.failedErr = ring, secret.ResourceVersion, nil
	return ring, nil
}

// kmsFallback answers an open that failed on the KMS plugin: with the keys
// already opened, if any.
func (s *Source) kmsFallback(err error) (*keyring.Keyring, error) {
	if s.ring != nil {
		return s.ring, nil
	}
	return nil, err
}

// tellRotator records that an open failed on the KMS plugin, and wakes the
// Rotator (Rotator.WithSource), so the controllers come back to what failed
// once the plugin answers.
func (s *Source) tellRotator() {
	s.waiting.Store(true)
	select {
	case s.waits <- event.GenericEvent{Object: &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: s.key.Namespace, Name: s.key.Name}}}:
	default: // one is pending
	}
}

// openKeyring opens the keyring Secret's data: plain, or wrapped with w.
func openKeyring(ctx context.Context, w keyring.KeyWrapper, key types.NamespacedName, data map[string][]byte) (*keyring.Keyring, error) {
	if !keyring.IsWrapped(data) {
		return keyring.Unmarshal(data)
	}
	if w == nil {
		return nil, noKMS(data)
	}
	ring, err := keyring.UnmarshalWrapped(ctx, w, keyring.SecretRef{Namespace: key.Namespace, Name: key.Name}, data)
	reportKMS(w, err)
	return ring, err
}

func noKMS(data map[string][]byte) error {
	id, err := keyring.WrappedKeyID(data)
	if err != nil {
		return fmt.Errorf("%w, and its %s entry is unreadable: %v", ErrNoKMS, keyring.DataKeyEntry, err)
	}
	return fmt.Errorf("%w: start the operator with the KMS plugin that wrapped it (KMS key ID %s); nothing was regenerated", ErrNoKMS, id)
}

// kmsFailed says that the KMS plugin cannot open the keyring now; it stays
// an ErrKMS (and kms.ErrUnavailable when the plugin is down).
func kmsFailed(key types.NamespacedName, err error) error {
	return fmt.Errorf("keyring Secret %s is wrapped by a KMS, and the KMS plugin cannot open it now, so the keyring is unavailable until it does (nothing was written or regenerated): %w", key, err)
}

// Writer creates, rotates and publishes the keyring. Only the leader runs it.
type Writer struct {
	client client.Client
	// apiReader reads past the cache, so decisions are made on what is stored.
	apiReader client.Reader
	opts      Options
	now       func() time.Time
}

// NewWriter returns a Writer; now is injectable for tests.
func NewWriter(c client.Client, apiReader client.Reader, opts Options, now func() time.Time) *Writer {
	opts.defaults()
	if now == nil {
		now = time.Now
	}
	return &Writer{client: c, apiReader: apiReader, opts: opts, now: now}
}

// SecretsExist reports whether any LightningSecret exists in the cluster; a
// missing keyring is only created when none do.
type SecretsExist func(ctx context.Context) (bool, error)

// Report is what a sync of the keyring found and did.
type Report struct {
	// Ring is the keyring as stored after the sync.
	Ring *keyring.Keyring
	// Rotated: a new sealing key was written (the first one too).
	Rotated bool
	// KMSKeyID is the KMS key the stored keyring is wrapped under; empty
	// when it is plain.
	KMSKeyID string
	// RewrappedFrom is the KMS key ID the keyring was wrapped under before
	// this sync wrapped it again under the plugin's new key KMSKeyID.
	RewrappedFrom string
	// Migrated: a plain keyring was wrapped (MigrateToKMS).
	Migrated bool
	// NotWrapped: a KMS is set, and the keyring stays plain (no MigrateToKMS).
	NotWrapped bool
}

// storage is how the leader keeps the keyring it finds.
type storage int

const (
	storePlain      storage = iota // no KMS, a plain keyring
	storeWrapped                   // a wrapped keyring, kept wrapped under the plugin's current key
	storeMigrate                   // a plain keyring, wrapped now (MigrateToKMS)
	storeNotWrapped                // a plain keyring, a KMS without MigrateToKMS: kept plain, with a warning
	storeNoKMS                     // a wrapped keyring, no KMS: nothing opens it
)

// storageFor decides how a keyring found wrapped or not is kept.
func storageFor(kmsSet, migrate, wrapped bool) storage {
	switch {
	case wrapped && kmsSet:
		return storeWrapped
	case wrapped:
		return storeNoKMS
	case kmsSet && migrate:
		return storeMigrate
	case kmsSet:
		return storeNotWrapped
	}
	return storePlain
}

// Sync makes the stored keyring current: it creates it on first start (when
// no LightningSecret exists), rotates it when due, and publishes the public
// keys. A keyring without a version key gets one, and a keyring Secret
// without the managed-by label (which the manager's cache selects on) gets
// the label. It returns the keyring and whether it wrote a new sealing key.
// SyncReport tells more.
func (w *Writer) Sync(ctx context.Context, secretsExist SecretsExist) (*keyring.Keyring, bool, error) {
	rep, err := w.SyncReport(ctx, secretsExist)
	return rep.Ring, rep.Rotated, err
}

// SyncReport is Sync, and says what it found and did. With a KMS it also
// keeps the keyring wrapped: created wrapped, wrapped again when the
// plugin's key changed, and a plain one wrapped with MigrateToKMS. Every
// write of a wrapped keyring is checked to open first, and carries the
// resourceVersion read; when the plugin fails, nothing is written.
func (w *Writer) SyncReport(ctx context.Context, secretsExist SecretsExist) (Report, error) {
	log := logf.FromContext(ctx).WithValues("secret", w.opts.Namespace+"/"+w.opts.SecretName)
	key := types.NamespacedName{Namespace: w.opts.Namespace, Name: w.opts.SecretName}
	secret := &corev1.Secret{}
	err := w.apiReader.Get(ctx, key, secret)
	switch {
	case apierrors.IsNotFound(err):
		return w.create(ctx, key, secretsExist)
	case err != nil:
		return Report{}, fmt.Errorf("reading keyring Secret %s: %w", key, err)
	}

	mode := storageFor(w.opts.KMS != nil, w.opts.MigrateToKMS, keyring.IsWrapped(secret.Data))
	if mode == storeNoKMS {
		return Report{}, fmt.Errorf("keyring Secret %s: %w", key, noKMS(secret.Data))
	}
	ring, err := openKeyring(ctx, w.opts.KMS, key, secret.Data)
	switch {
	case errors.Is(err, keyring.ErrKMS):
		return Report{}, kmsFailed(key, err)
	case err != nil:
		return Report{}, fmt.Errorf("keyring Secret %s is unreadable, left untouched: %w", key, err)
	}
	rep := Report{Migrated: mode == storeMigrate, NotWrapped: mode == storeNotWrapped}
	if mode == storeWrapped {
		rep.KMSKeyID, _ = keyring.WrappedKeyID(secret.Data) // it opened
		rewrap, _, err := keyring.NeedsRewrap(ctx, w.opts.KMS, secret.Data)
		reportKMS(w.opts.KMS, err)
		if err != nil {
			return Report{}, kmsFailed(key, err)
		}
		if rewrap {
			rep.RewrappedFrom = rep.KMSKeyID
		}
	}

	next, err := ring.WithVersionKey(w.now())
	if err != nil {
		return Report{}, err
	}
	addedVersionKey := next != ring
	rep.Rotated = keyring.NeedsRotation(next, w.now(), w.opts.RotationPeriod, w.opts.Cutoff)
	if rep.Rotated {
		if next, err = next.Rotate(w.now()); err != nil {
			return Report{}, err
		}
	}
	data := secret.Data
	rewrite := addedVersionKey || rep.Rotated || rep.RewrappedFrom != "" || rep.Migrated
	if rewrite {
		if data, rep.KMSKeyID, err = w.marshal(ctx, next, mode == storeWrapped || rep.Migrated); err != nil {
			return Report{}, fmt.Errorf("keyring Secret %s was not written, and is left as it was: %w", key, err)
		}
	}
	// The manager's cache holds only Secrets with our label, so a keyring
	// restored without it (kubectl apply of an old backup) would stay
	// invisible to the controllers: label it, in the same write as any other.
	unlabelled := secret.Labels[lightningv1alpha1.LabelManagedBy] != lightningv1alpha1.ManagedByValue
	staleKeyID := secret.Annotations[lightningv1alpha1.AnnotationKMSKeyID] != rep.KMSKeyID
	rep.Ring = ring
	if !rewrite && !unlabelled && !staleKeyID {
		return rep, w.publish(ctx, ring)
	}
	updated := secret.DeepCopy()
	updated.Data = data
	if updated.Labels == nil {
		updated.Labels = map[string]string{}
	}
	updated.Labels[lightningv1alpha1.LabelManagedBy] = lightningv1alpha1.ManagedByValue
	SetKMSKeyID(updated, rep.KMSKeyID)
	// Update carries the resourceVersion we read: a concurrent change fails
	// the write instead of being lost.
	if err := w.client.Update(ctx, updated); err != nil {
		return Report{}, writeError("writing", key, err)
	}
	if unlabelled {
		log.Info("Labelled the keyring Secret so the controllers see it", "label", lightningv1alpha1.LabelManagedBy+"="+lightningv1alpha1.ManagedByValue,
			"keyIDs", ring.IDs())
	}
	if addedVersionKey {
		// Keyrings made before value versions had none; versions, and so
		// app hashes, start here.
		log.Info("Added a version key to the keyring", "versionKeyID", next.VersionKey().ID())
	}
	if rep.Migrated {
		log.Info("Wrapped the keyring with the KMS plugin", "keyIDs", next.IDs(), "versionKeyID", next.VersionKey().ID(), "kmsKeyID", rep.KMSKeyID)
	}
	if rep.RewrappedFrom != "" {
		log.Info("Wrapped the keyring again under the KMS plugin's new key", "fromKMSKeyID", rep.RewrappedFrom, "kmsKeyID", rep.KMSKeyID, "keyIDs", next.IDs())
	}
	if rep.Rotated {
		log.Info("Rotated keyring", "keyID", next.Current().Private.ID(), "keys", next.Len())
	}
	rep.Ring = next
	return rep, w.publish(ctx, next)
}

// create makes the keyring on first start, wrapped when a KMS is set: only
// when no LightningSecret exists, and never over a Secret made meanwhile.
func (w *Writer) create(ctx context.Context, key types.NamespacedName, secretsExist SecretsExist) (Report, error) {
	exist, err := secretsExist(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("checking for existing LightningSecrets: %w", err)
	}
	if exist {
		return Report{}, fmt.Errorf("%w: %s, while LightningSecrets exist; refusing to create a new keyring that could not open them (restore the Secret from backup, see docs/operations.md)", ErrMissing, key)
	}
	ring, err := keyring.New(w.now())
	if err != nil {
		return Report{}, err
	}
	data, kmsKeyID, err := w.marshal(ctx, ring, w.opts.KMS != nil)
	if err != nil {
		return Report{}, fmt.Errorf("keyring Secret %s was not created: %w", key, err)
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:      key.Name,
			Namespace: key.Namespace,
			Labels:    map[string]string{lightningv1alpha1.LabelManagedBy: lightningv1alpha1.ManagedByValue},
		},
		Type: corev1.SecretTypeOpaque,
		Data: data,
	}
	SetKMSKeyID(secret, kmsKeyID)
	if err := w.client.Create(ctx, secret); err != nil {
		// Create, never overwrite: another writer may have won the race.
		return Report{}, writeError("creating", key, err)
	}
	kv := []any{"keyID", ring.Current().Private.ID(), "versionKeyID", ring.VersionKey().ID()}
	if kmsKeyID != "" {
		kv = append(kv, "kmsKeyID", kmsKeyID)
	}
	logf.FromContext(ctx).Info("Created keyring", append(kv, "secret", key.String())...)
	return Report{Ring: ring, Rotated: true, KMSKeyID: kmsKeyID}, w.publish(ctx, ring)
}

// marshal is ring's Secret data: wrapped by the KMS plugin when wrap is
// set, with the KMS key ID it is wrapped under.
func (w *Writer) marshal(ctx context.Context, ring *keyring.Keyring, wrap bool) (map[string][]byte, string, error) {
	if !wrap {
		return ring.Marshal(), "", nil
	}
	data, err := ring.MarshalWrapped(ctx, w.opts.KMS, w.opts.ref())
	reportKMS(w.opts.KMS, err)
	if err != nil {
		return nil, "", err
	}
	id, err := keyring.WrappedKeyID(data)
	return data, id, err
}

// SetKMSKeyID keeps the key ID annotation, for people, on a wrapped
// keyring's Secret (kmsKeyID, as the operator and a restore write it); a
// plain one ("") has none.
func SetKMSKeyID(s *corev1.Secret, kmsKeyID string) {
	if kmsKeyID == "" {
		delete(s.Annotations, lightningv1alpha1.AnnotationKMSKeyID)
		return
	}
	if s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	s.Annotations[lightningv1alpha1.AnnotationKMSKeyID] = kmsKeyID
}

// markReopened annotates the keyring Secret with the time: the event of
// the write brings the controllers back to the LightningSecrets and apps
// that waited for the KMS plugin. Only metadata is written.
func (w *Writer) markReopened(ctx context.Context) error {
	key := types.NamespacedName{Namespace: w.opts.Namespace, Name: w.opts.SecretName}
	secret := &corev1.Secret{}
	if err := w.apiReader.Get(ctx, key, secret); err != nil {
		return fmt.Errorf("reading keyring Secret %s: %w", key, err)
	}
	if secret.Annotations == nil {
		secret.Annotations = map[string]string{}
	}
	secret.Annotations[lightningv1alpha1.AnnotationKMSReopened] = w.now().UTC().Format(time.RFC3339Nano)
	if err := w.client.Update(ctx, secret); err != nil {
		return writeError("annotating", key, err)
	}
	return nil
}

// publish writes the public keys to the ConfigMap when they changed.
func (w *Writer) publish(ctx context.Context, ring *keyring.Keyring) error {
	key := types.NamespacedName{Namespace: w.opts.Namespace, Name: w.opts.ConfigMapName}
	want := ring.PublicData(w.opts.DefaultRecipients...)
	cm := &corev1.ConfigMap{}
	err := w.apiReader.Get(ctx, key, cm)
	if apierrors.IsNotFound(err) {
		cm = &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{
				Name: key.Name, Namespace: key.Namespace,
				Labels: map[string]string{lightningv1alpha1.LabelManagedBy: lightningv1alpha1.ManagedByValue},
			},
			Data: want,
		}
		if err := w.client.Create(ctx, cm); err != nil {
			return fmt.Errorf("publishing public keys in ConfigMap %s: %w", key, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading public-key ConfigMap %s: %w", key, err)
	}
	if equality.Semantic.DeepEqual(cm.Data, want) {
		return nil
	}
	cm.Data = want
	if err := w.client.Update(ctx, cm); err != nil {
		return fmt.Errorf("publishing public keys in ConfigMap %s: %w", key, err)
	}
	return nil
}

// writeError names a failed write of the keyring Secret by the apiserver's
// reason only: its message can quote the object (an Invalid error, a
// policy's denial), and so the keys, and it reaches logs and Events.
func writeError(verb string, key types.NamespacedName, err error) error {
	return fmt.Errorf("%s keyring Secret %s: %s (HTTP %d)", verb, key, apierrors.ReasonForError(err), statusCode(err))
}

func statusCode(err error) int32 {
	if s, ok := err.(apierrors.APIStatus); ok {
		return s.Status().Code
	}
	return 0
}

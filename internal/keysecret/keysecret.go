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
// It never regenerates a keyring over lost or corrupt data: that is
// reported, and the data is left alone.
package keysecret

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
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
// through the given reader (the manager's cache) and parses it again only
// when its resourceVersion changed.
type Source struct {
	reader client.Reader
	key    types.NamespacedName

	mu      sync.Mutex
	version string
	ring    *keyring.Keyring
}

// NewSource reads the keyring named by opts through reader.
func NewSource(reader client.Reader, opts Options) *Source {
	opts.defaults()
	return &Source{reader: reader, key: types.NamespacedName{Namespace: opts.Namespace, Name: opts.SecretName}}
}

// SecretKey names the keyring Secret.
func (s *Source) SecretKey() types.NamespacedName { return s.key }

// Keyring returns the current keyring, ErrMissing when the Secret is gone,
// or keyring.ErrCorrupt/ErrEmpty when it cannot be read.
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
	ring, err := keyring.Unmarshal(secret.Data)
	if err != nil {
		return nil, fmt.Errorf("keyring Secret %s: %w", s.key, err)
	}
	s.ring, s.version = ring, secret.ResourceVersion
	return ring, nil
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

// Sync makes the stored keyring current: it creates it on first start (when
// no LightningSecret exists), rotates it when due, and publishes the public
// keys. A keyring without a version key gets one, and a keyring Secret
// without the managed-by label (which the manager's cache selects on) gets
// the label. It returns the keyring and whether it wrote a new sealing key.
func (w *Writer) Sync(ctx context.Context, secretsExist SecretsExist) (*keyring.Keyring, bool, error) {
	log := logf.FromContext(ctx).WithValues("secret", w.opts.Namespace+"/"+w.opts.SecretName)
	key := types.NamespacedName{Namespace: w.opts.Namespace, Name: w.opts.SecretName}
	secret := &corev1.Secret{}
	err := w.apiReader.Get(ctx, key, secret)
	switch {
	case apierrors.IsNotFound(err):
		exist, err := secretsExist(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("checking for existing LightningSecrets: %w", err)
		}
		if exist {
			return nil, false, fmt.Errorf("%w: %s, while LightningSecrets exist; refusing to create a new keyring that could not open them (restore the Secret from backup, see docs/operations.md)", ErrMissing, key)
		}
		ring, err := keyring.New(w.now())
		if err != nil {
			return nil, false, err
		}
		secret = w.secretFor(ring)
		if err := w.client.Create(ctx, secret); err != nil {
			// Create, never overwrite: another writer may have won the race.
			return nil, false, writeError("creating", key, err)
		}
		log.Info("Created keyring", "keyID", ring.Current().Private.ID(), "versionKeyID", ring.VersionKey().ID())
		return ring, true, w.publish(ctx, ring)
	case err != nil:
		return nil, false, fmt.Errorf("reading keyring Secret %s: %w", key, err)
	}

	ring, err := keyring.Unmarshal(secret.Data)
	if err != nil {
		return nil, false, fmt.Errorf("keyring Secret %s is unreadable, left untouched: %w", key, err)
	}
	next, err := ring.WithVersionKey(w.now())
	if err != nil {
		return nil, false, err
	}
	addedVersionKey := next != ring
	rotated := keyring.NeedsRotation(next, w.now(), w.opts.RotationPeriod, w.opts.Cutoff)
	if rotated {
		if next, err = next.Rotate(w.now()); err != nil {
			return nil, false, err
		}
	}
	// The manager's cache holds only Secrets with our label, so a keyring
	// restored without it (kubectl apply of an old backup) would stay
	// invisible to the controllers: label it, in the same write as any other.
	unlabelled := secret.Labels[lightningv1alpha1.LabelManagedBy] != lightningv1alpha1.ManagedByValue
	if addedVersionKey || rotated || unlabelled {
		updated := secret.DeepCopy()
		if addedVersionKey || rotated {
			updated.Data = next.Marshal()
		}
		if updated.Labels == nil {
			updated.Labels = map[string]string{}
		}
		updated.Labels[lightningv1alpha1.LabelManagedBy] = lightningv1alpha1.ManagedByValue
		// Update carries the resourceVersion we read: a concurrent change fails
		// the write instead of being lost.
		if err := w.client.Update(ctx, updated); err != nil {
			return nil, false, writeError("writing", key, err)
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
		if rotated {
			log.Info("Rotated keyring", "keyID", next.Current().Private.ID(), "keys", next.Len())
		}
		ring = next
	}
	return ring, rotated, w.publish(ctx, ring)
}

func (w *Writer) secretFor(ring *keyring.Keyring) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:      w.opts.SecretName,
			Namespace: w.opts.Namespace,
			Labels:    map[string]string{lightningv1alpha1.LabelManagedBy: lightningv1alpha1.ManagedByValue},
		},
		Type: corev1.SecretTypeOpaque,
		Data: ring.Marshal(),
	}
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

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
	"context"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

// store reads and writes the TLS Secret. Every write is a Create or a
// resourceVersion-guarded Update, so concurrent writers (two replicas
// bootstrapping at once) cannot overwrite each other: the loser re-reads.
type store struct {
	reader client.Reader // live reads: decisions never rest on a stale cache
	writer client.Client
	key    types.NamespacedName
	cfg    *pkiConfig
	log    logr.Logger
}

const maxAttempts = 5

// ensure returns a servable bundle, creating or updating the Secret as plan
// says. renew false only repairs; renew true also rotates what is due.
func (s *store) ensure(ctx context.Context, now time.Time, renew bool) (*bundle, error) {
	var lastErr error
	for range maxAttempts {
		sec := &corev1.Secret{}
		err := s.reader.Get(ctx, s.key, sec)
		switch {
		case apierrors.IsNotFound(err):
			b, _, err := plan(&bundle{}, now, s.cfg, renew)
			if err != nil {
				return nil, err
			}
			if err := s.create(ctx, b); err != nil {
				if apierrors.IsAlreadyExists(err) {
					lastErr = err
					continue // another replica won; use its Secret
				}
				return nil, err
			}
			s.log.Info("Created the webhook certificate", "secret", s.key,
				"notAfter", b.serving.NotAfter, "caNotAfter", b.cas[0].cert.NotAfter)
			rotations.WithLabelValues("created").Inc()
			return b, nil
		case err != nil:
			return nil, err
		}

		b := parseBundle(sec.Data)
		nb, changes, err := plan(b, now, s.cfg, renew)
		if err != nil {
			return nil, err
		}
		if len(changes) == 0 && hasLabels(sec) {
			return b, nil
		}
		if err := s.update(ctx, sec, nb); err != nil {
			if apierrors.IsConflict(err) {
				lastErr = err
				continue
			}
			return nil, err
		}
		if len(changes) > 0 {
			s.log.Info("Rotated the webhook certificate", "secret", s.key, "changes", changes,
				"notAfter", nb.serving.NotAfter, "caNotAfter", nb.cas[0].cert.NotAfter, "trustedCAs", len(nb.cas))
			rotations.WithLabelValues("rotated").Inc()
		} else {
			s.log.Info("Labelled the webhook certificate Secret for the operator's cache", "secret", s.key)
		}
		return nb, nil
	}
	return nil, fmt.Errorf("gave up after %d conflicting writes: %w", maxAttempts, lastErr)
}

func hasLabels(sec *corev1.Secret) bool {
	return sec.Labels[lightningv1alpha1.LabelManagedBy] == lightningv1alpha1.ManagedByValue
}

func (s *store) create(ctx context.Context, b *bundle) error {
	data, err := b.data()
	if err != nil {
		return err
	}
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: s.key.Namespace, Name: s.key.Name},
		Type:       corev1.SecretTypeTLS,
		Data:       data,
	}
	setLabels(sec)
	return s.writer.Create(ctx, sec)
}

func (s *store) update(ctx context.Context, sec *corev1.Secret, b *bundle) error {
	data, err := b.data()
	if err != nil {
		return err
	}
	sec.Data = data
	setLabels(sec)
	return s.writer.Update(ctx, sec) // guarded by sec.ResourceVersion
}

func setLabels(sec *corev1.Secret) {
	if sec.Labels == nil {
		sec.Labels = map[string]string{}
	}
	sec.Labels[lightningv1alpha1.LabelManagedBy] = lightningv1alpha1.ManagedByValue
	sec.Labels[lightningv1alpha1.LabelName] = "lightning-operator"
	sec.Labels[lightningv1alpha1.LabelComponentK8s] = "webhook-tls"
}

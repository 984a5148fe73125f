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

package cmdutil

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/keysecret"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

// DefaultOperatorNamespace is where the operator publishes its public keys.
const DefaultOperatorNamespace = "lightning-system"

// PublicKeysConfigMap is the ConfigMap, in the operator's namespace, that
// publishes the sealing public keys.
const PublicKeysConfigMap = keysecret.DefaultConfigMapName

// Published is what the operator publishes in its public-key ConfigMap.
type Published struct {
	Key types.NamespacedName
	// Current is the key new values are sealed to; All are every key,
	// oldest first (Current last).
	Current *sealing.PublicKey
	All     []*sealing.PublicKey
	data    map[string]string
}

// Has reports whether id is one of the cluster's keys.
func (p *Published) Has(id string) bool {
	return slices.ContainsFunc(p.All, func(k *sealing.PublicKey) bool { return k.ID() == id })
}

// DefaultRecipients are the extra recipients every value sealed against the
// cluster gets (an offline recovery key); none when not published.
func (p *Published) DefaultRecipients() ([]*sealing.PublicKey, error) {
	defaults, err := keyring.DefaultRecipients(p.data)
	if err != nil {
		return nil, fmt.Errorf("ConfigMap %s does not hold valid default recipients: %w", p.Key, err)
	}
	return defaults, nil
}

// PublishedKeys reads the operator's public-key ConfigMap in
// --operator-namespace.
func (f *Factory) PublishedKeys(ctx context.Context, c client.Client) (*Published, error) {
	cm := &corev1.ConfigMap{}
	key := types.NamespacedName{Namespace: f.OperatorNamespace, Name: PublicKeysConfigMap}
	if err := c.Get(ctx, key, cm); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("the operator's public keys are not published: ConfigMap %s not found; is lightning-operator installed there? (use --operator-namespace, or seal offline with --cert FILE)", key)
		}
		return nil, fmt.Errorf("reading the operator's public keys from ConfigMap %s: %w", key, APIError(err))
	}
	current, all, err := keyring.ParsePublicData(cm.Data)
	if err != nil {
		return nil, fmt.Errorf("ConfigMap %s does not hold valid public keys: %w", key, err)
	}
	return &Published{Key: key, Current: current, All: all, data: cm.Data}, nil
}

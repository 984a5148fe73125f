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

package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

// published is what the operator publishes in its public-key ConfigMap.
type published struct {
	key types.NamespacedName
	// current is the key new values are sealed to; all are every key,
	// oldest first (current last).
	current *sealing.PublicKey
	all     []*sealing.PublicKey
	// defaults are the extra recipients every value sealed against the
	// cluster gets (an offline recovery key); none when not published.
	defaults []*sealing.PublicKey
}

// has reports whether id is one of the cluster's keys.
func (p *published) has(id string) bool {
	return slices.ContainsFunc(p.all, func(k *sealing.PublicKey) bool { return k.ID() == id })
}

// publishedKeys reads the operator's public-key ConfigMap: its keys and its
// default recipients. Its errors read as publicKeys' do.
func (e *env) publishedKeys(ctx context.Context, c client.Client) (*published, error) {
	cm := &corev1.ConfigMap{}
	key := types.NamespacedName{Namespace: e.operatorNamespace, Name: PublicKeysConfigMap}
	if err := ValidateNamespace(key.Namespace); err != nil {
		return nil, fmt.Errorf("--operator-namespace: %w", err)
	}
	if err := c.Get(ctx, key, cm); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("the operator's public keys are not published: ConfigMap %s not found; is lightning-operator installed there? (use --operator-namespace, or seal offline with --cert FILE)", key)
		}
		return nil, fmt.Errorf("reading the operator's public keys from ConfigMap %s: %w", key, apiError(err))
	}
	current, all, err := keyring.ParsePublicData(cm.Data)
	if err != nil {
		return nil, fmt.Errorf("ConfigMap %s does not hold valid public keys: %w", key, err)
	}
	defaults, err := keyring.DefaultRecipients(cm.Data)
	if err != nil {
		return nil, fmt.Errorf("ConfigMap %s does not hold valid default recipients: %w", key, err)
	}
	return &published{key: key, current: current, all: all, defaults: defaults}, nil
}

// recipients are the keys a value is sealed to, in order, each once.
type recipients struct {
	keys []*sealing.PublicKey
}

// add appends the keys not there yet.
func (r *recipients) add(keys ...*sealing.PublicKey) {
	for _, k := range keys {
		if !slices.ContainsFunc(r.keys, func(o *sealing.PublicKey) bool { return o.ID() == k.ID() }) {
			r.keys = append(r.keys, k)
		}
	}
}

func (r *recipients) ids() []string { return keyIDs(r.keys) }

// check refuses more recipients than an envelope holds.
func (r *recipients) check() error {
	if len(r.keys) > sealing.MaxRecipients {
		return fmt.Errorf("the value would be sealed to %d keys (%s), more than the %d a sealed value holds: give fewer --cert or --recipient files",
			len(r.keys), strings.Join(r.ids(), ", "), sealing.MaxRecipients)
	}
	return nil
}

func keyIDs(keys []*sealing.PublicKey) []string {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID()
	}
	return ids
}

// readKeyFile reads a PEM file of public keys (from 'cert', or a recovery
// key's .pub), oldest first; flag names the flag in errors.
func readKeyFile(flag, path string) ([]*sealing.PublicKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", flag, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCertFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", flag, err)
	}
	if len(data) > maxCertFileSize {
		return nil, fmt.Errorf("%s %s is larger than %d bytes; it is not a public key file", flag, path, maxCertFileSize)
	}
	keys, err := sealing.ParsePublicKeysPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, path, err)
	}
	return keys, nil
}

// envelopeKeyIDs are the recipients of s: its envelope's header, which is
// what opens; the operator's status only when the envelope does not parse.
func envelopeKeyIDs(s *lightningv1alpha1.LightningSecret) []string {
	if env, err := sealing.ParseEnvelope(s.Spec.EncryptedValue); err == nil {
		return env.KeyIDs
	}
	if len(s.Status.KeyIDs) > 0 {
		return s.Status.KeyIDs
	}
	if s.Status.KeyID != "" {
		return []string{s.Status.KeyID}
	}
	return nil
}

// statusKeyIDs are the recipients as the operator reports them
// (status.keyIDs), or as the envelope's header names them before it has.
func statusKeyIDs(s *lightningv1alpha1.LightningSecret) []string {
	if len(s.Status.KeyIDs) > 0 {
		return s.Status.KeyIDs
	}
	if env, err := sealing.ParseEnvelope(s.Spec.EncryptedValue); err == nil {
		return env.KeyIDs
	}
	return nil
}

// objectNames lists ns/name, at most limit of them, then "and N more".
func objectNames(names []string, limit int) string {
	if len(names) <= limit {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:limit], ", "), len(names)-limit)
}

// keysWord is "key" or "keys".
func keysWord(n int) string {
	if n == 1 {
		return "key"
	}
	return "keys"
}

// sealingKeys are the recipients of a new value, in order: the cluster's
// current key (or, offline, the first --cert's), every other --cert's
// current key, the cluster's default recipients, and each --recipient's
// keys. defaults are the default recipients the cluster published.
func (o *secretCreateOptions) sealingKeys(ctx context.Context, c client.Client) (pubs *recipients, defaults []*sealing.PublicKey, err error) {
	pubs = &recipients{}
	if len(o.certs) > 0 {
		for _, cert := range o.certs {
			keys, err := readKeyFile("--cert", cert)
			if err != nil {
				return nil, nil, err
			}
			pubs.add(keys[len(keys)-1])
		}
	} else {
		p, err := o.publishedKeys(ctx, c)
		if err != nil {
			return nil, nil, err
		}
		pubs.add(p.current)
		pubs.add(p.defaults...)
		defaults = p.defaults
	}
	for _, file := range o.recipients {
		keys, err := readKeyFile("--recipient", file)
		if err != nil {
			return nil, nil, err
		}
		pubs.add(keys...)
	}
	return pubs, defaults, pubs.check()
}

// sealedTo says on stderr which keys the value is sealed to.
func (o *secretCreateOptions) sealedTo(pubs *recipients, defaults []*sealing.PublicKey) {
	if len(defaults) > 0 {
		fmt.Fprintf(o.errOut(), "Also sealed to the default recipient(s) %s that the cluster publishes\n", strings.Join(keyIDs(defaults), ", "))
	}
	fmt.Fprintf(o.errOut(), "Sealed to %s %s\n", keysWord(len(pubs.keys)), strings.Join(pubs.ids(), ", "))
}

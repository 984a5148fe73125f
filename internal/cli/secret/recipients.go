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

package secret

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

// maxCertFileSize bounds a --cert file; a keyring's PEM is a few KiB a key.
const maxCertFileSize = 4 << 20

// publishedKeys reads the operator's public keys and its default
// recipients, in a valid --operator-namespace.
func publishedKeys(ctx context.Context, f *cmdutil.Factory, c client.Client) (*cmdutil.Published, []*sealing.PublicKey, error) {
	if err := cmdutil.ValidateNamespace(f.OperatorNamespace); err != nil {
		return nil, nil, fmt.Errorf("--operator-namespace: %w", err)
	}
	p, err := f.PublishedKeys(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	defaults, err := p.DefaultRecipients()
	if err != nil {
		return nil, nil, err
	}
	return p, defaults, nil
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

// EnvelopeKeyIDs are the recipients of s: its envelope's header, which is
// what opens; the operator's status only when the envelope does not parse.
func EnvelopeKeyIDs(s *lightningv1alpha1.LightningSecret) []string {
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
func (o *createOptions) sealingKeys(ctx context.Context, c client.Client) (pubs *recipients, defaults []*sealing.PublicKey, err error) {
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
		var p *cmdutil.Published
		if p, defaults, err = publishedKeys(ctx, o.f, c); err != nil {
			return nil, nil, err
		}
		pubs.add(p.Current)
		pubs.add(defaults...)
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
func (o *createOptions) sealedTo(pubs *recipients, defaults []*sealing.PublicKey) {
	if len(defaults) > 0 {
		fmt.Fprintf(o.f.ErrOut, "Also sealed to the default recipient(s) %s that the cluster publishes\n", strings.Join(keyIDs(defaults), ", "))
	}
	fmt.Fprintf(o.f.ErrOut, "Sealed to %s %s\n", keysWord(len(pubs.keys)), strings.Join(pubs.ids(), ", "))
}

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

package localcluster

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// EtcdGet reads a key straight from etcd, past the apiserver: the bytes as
// stored, which for a Secret are the encrypted envelope.
func (c *Cluster) EtcdGet(ctx context.Context, key string) ([]byte, error) {
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{c.EtcdURL},
		DialTimeout: 10 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		return nil, fmt.Errorf("connecting to etcd at %s: %w", c.EtcdURL, err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	resp, err := cli.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("reading %s from etcd: %w", key, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, fmt.Errorf("etcd has no key %s", key)
	}
	return resp.Kvs[0].Value, nil
}

// SecretKey is the etcd key of a Secret.
func SecretKey(namespace, name string) string {
	return "/registry/secrets/" + namespace + "/" + name
}

// AtRest describes how a value is stored in etcd, without its content.
type AtRest struct {
	Key    string
	Size   int
	Prefix string // the envelope header up to the key name, e.g. k8s:enc:secretbox:v1:key1:
	// Encrypted is true when the bytes start with EncryptedPrefix.
	Encrypted bool
	// Contains is true when one of the probes was found in the bytes.
	Contains bool
}

// InspectAtRest reads key from etcd and checks it is encrypted and that
// none of the probes (values that must not be stored in the clear)
// appears in it. The result never carries the stored bytes or a probe.
func (c *Cluster) InspectAtRest(ctx context.Context, key string, probes ...[]byte) (AtRest, error) {
	raw, err := c.EtcdGet(ctx, key)
	if err != nil {
		return AtRest{}, err
	}
	r := AtRest{Key: key, Size: len(raw), Encrypted: bytes.HasPrefix(raw, []byte(EncryptedPrefix))}
	if r.Encrypted {
		// k8s:enc:<provider>:v1:<key name>: is the header; the rest is ciphertext.
		parts := strings.SplitN(string(raw), ":", 6)
		if len(parts) == 6 {
			r.Prefix = strings.Join(parts[:5], ":") + ":"
		}
	}
	for _, p := range probes {
		if len(p) > 0 && bytes.Contains(raw, p) {
			r.Contains = true
		}
	}
	return r, nil
}

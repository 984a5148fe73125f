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

// Package kms is a small client of a Kubernetes KMS v2 plugin (k8s.io/kms,
// the gRPC API the kube-apiserver uses for encryption at rest) on a unix
// socket. It wraps and unwraps the keyring's data key and holds no key of its
// own. It sits on the generated client alone: k8s.io/apiserver's kmsv2
// client pulls in some 300 packages, and the manager stays pure Go.
package kms

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"path"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	kmsapi "k8s.io/kms/apis/v2"
)

// DefaultTimeout bounds each call to the plugin, as the kube-apiserver's
// own KMS v2 default does.
const DefaultTimeout = 3 * time.Second

const (
	// A unix socket path holds at most 107 bytes and the closing NUL.
	maxSocketPath = 107
	// KMS v2 limits key IDs and ciphertexts to under 1 kB.
	maxKeyIDSize      = 1024
	maxCiphertextSize = 1024
)

// ErrUnavailable: the plugin cannot be reached, did not answer in time, or
// says it is unhealthy. Match it with errors.Is; retry later.
var ErrUnavailable = errors.New("unavailable")

// Client calls one plugin. It is safe for concurrent use.
type Client struct {
	endpoint string
	timeout  time.Duration
	conn     *grpc.ClientConn
	api      kmsapi.KeyManagementServiceClient
}

// Status is what the plugin's Status call reports.
type Status struct {
	Version string
	Healthz string
	KeyID   string
}

// SocketPath returns the socket of an endpoint unix:///<absolute path>.
func SocketPath(endpoint string) (string, error) {
	p, ok := strings.CutPrefix(endpoint, "unix://")
	switch {
	case !ok || !path.IsAbs(p) || path.Clean(p) != p:
		return "", fmt.Errorf("KMS endpoint %q is not unix:///<absolute socket path>", endpoint)
	case len(p) > maxSocketPath:
		return "", fmt.Errorf("KMS endpoint %q: the socket path is %d bytes, over the %d a unix socket allows", endpoint, len(p), maxSocketPath)
	}
	return p, nil
}

// New returns a client of the plugin at endpoint (unix:///path). It does not
// connect yet: a plugin that starts later is found on the first call.
// timeout <= 0 means DefaultTimeout.
func New(endpoint string, timeout time.Duration) (*Client, error) {
	if _, err := SocketPath(endpoint); err != nil {
		return nil, err
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	// A sidecar that restarts is back within seconds: retry that soon, not
	// after gRPC's default backoff of up to two minutes.
	retry := backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 2 * time.Second}
	conn, err := grpc.NewClient(endpoint,
		grpc.WithTransportCredentials(insecure.NewCredentials()), // a local socket
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: retry, MinConnectTimeout: timeout}))
	if err != nil {
		return nil, fmt.Errorf("KMS plugin at %s: %v", endpoint, err)
	}
	return &Client{endpoint: endpoint, timeout: timeout, conn: conn, api: kmsapi.NewKeyManagementServiceClient(conn)}, nil
}

// Endpoint is the plugin's address, for logs and errors.
func (c *Client) Endpoint() string { return c.endpoint }

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Status asks the plugin for its status, as it is.
func (c *Client) Status(ctx context.Context) (Status, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	res, err := c.api.Status(ctx, &kmsapi.StatusRequest{})
	if err != nil {
		return Status{}, c.fail("Status", err)
	}
	return Status{Version: res.Version, Healthz: res.Healthz, KeyID: res.KeyId}, nil
}

// KeyID returns the plugin's current key ID when it is healthy, else an
// error matching ErrUnavailable.
func (c *Client) KeyID(ctx context.Context) (string, error) {
	st, err := c.Status(ctx)
	if err != nil {
		return "", err
	}
	if err := checkStatus(st); err != nil {
		return "", fmt.Errorf("KMS plugin at %s is %w: %v", c.endpoint, ErrUnavailable, err)
	}
	return st.KeyID, nil
}

// checkStatus says what makes a status unusable, as the apiserver checks it.
func checkStatus(st Status) error {
	switch {
	case st.Version != "v2" && st.Version != "v2beta1":
		return fmt.Errorf("it speaks KMS API %q, not v2", clip(st.Version))
	case st.Healthz != "ok":
		return fmt.Errorf("its healthz is %q, not \"ok\"", clip(st.Healthz))
	}
	return checkKeyID(st.KeyID)
}

func checkKeyID(id string) error {
	switch {
	case id == "":
		return errors.New("it reports an empty key ID")
	case len(id) >= maxKeyIDSize:
		return fmt.Errorf("it reports a key ID of %d bytes, over KMS v2's limit of %d", len(id), maxKeyIDSize-1)
	}
	return nil
}

// Wrap encrypts plaintext (a data key) under the plugin's current key and
// returns what Unwrap needs: the key ID, the ciphertext and the plugin's
// annotations.
func (c *Client) Wrap(ctx context.Context, plaintext []byte) (string, []byte, map[string][]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	res, err := c.api.Encrypt(ctx, &kmsapi.EncryptRequest{Plaintext: plaintext, Uid: rand.Text()})
	if err != nil {
		return "", nil, nil, c.fail("Encrypt", err)
	}
	if err := checkKeyID(res.KeyId); err != nil {
		return "", nil, nil, fmt.Errorf("KMS plugin at %s: Encrypt: %v", c.endpoint, err)
	}
	if n := len(res.Ciphertext); n == 0 || n >= maxCiphertextSize {
		return "", nil, nil, fmt.Errorf("KMS plugin at %s: Encrypt returned %d bytes of ciphertext (KMS v2 wants 1 to %d)", c.endpoint, n, maxCiphertextSize-1)
	}
	return res.KeyId, res.Ciphertext, maps.Clone(res.Annotations), nil
}

// Unwrap decrypts what Wrap returned.
func (c *Client) Unwrap(ctx context.Context, keyID string, ciphertext []byte, annotations map[string][]byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	res, err := c.api.Decrypt(ctx, &kmsapi.DecryptRequest{Ciphertext: ciphertext, KeyId: keyID, Annotations: annotations, Uid: rand.Text()})
	if err != nil {
		return nil, c.fail("Decrypt", err)
	}
	return res.Plaintext, nil
}

// fail names the endpoint and the call in one line. Unreachable and timed
// out are ErrUnavailable; anything else is the plugin's refusal.
func (c *Client) fail(call string, err error) error {
	st := status.Convert(err)
	switch st.Code() {
	case codes.Unavailable:
		return fmt.Errorf("KMS plugin at %s is %w (%s: %s)", c.endpoint, ErrUnavailable, call, clip(st.Message()))
	case codes.DeadlineExceeded:
		return fmt.Errorf("KMS plugin at %s is %w (%s: no answer within %s)", c.endpoint, ErrUnavailable, call, c.timeout)
	}
	return fmt.Errorf("KMS plugin at %s: %s failed (%s): %s", c.endpoint, call, st.Code(), clip(st.Message()))
}

// clip keeps what a plugin says to one short line.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}

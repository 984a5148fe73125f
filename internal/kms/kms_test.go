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

package kms

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	kmsapi "k8s.io/kms/apis/v2"
)

func TestSocketPath(t *testing.T) {
	long := "/" + strings.Repeat("s", maxSocketPath)
	tests := []struct {
		endpoint, want, wantErr string
	}{
		{endpoint: "unix:///run/kms/socket", want: "/run/kms/socket"},
		{endpoint: "unix://" + long[:maxSocketPath], want: long[:maxSocketPath]},
		{endpoint: "unix://" + long, wantErr: "the socket path is 108 bytes, over the 107 a unix socket allows"},
		{endpoint: "/run/kms/socket", wantErr: "is not unix:///<absolute socket path>"},
		{endpoint: "unix://run/kms/socket", wantErr: "is not unix:///<absolute socket path>"},
		{endpoint: "unix:///run/../kms/socket", wantErr: "is not unix:///<absolute socket path>"},
		{endpoint: "tcp://127.0.0.1:80", wantErr: "is not unix:///<absolute socket path>"},
		{endpoint: "", wantErr: `KMS endpoint "" is not`},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			got, err := SocketPath(tt.endpoint)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("SocketPath(%q) error = %v, want one containing %q", tt.endpoint, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("SocketPath(%q) = %q, %v; want %q", tt.endpoint, got, err, tt.want)
			}
		})
	}
	if _, err := New("unix://relative", 0); err == nil {
		t.Error("New accepted a relative socket path")
	}
}

func TestCheckStatus(t *testing.T) {
	tests := []struct {
		name    string
		st      Status
		wantErr string
	}{
		{name: "v2", st: Status{Version: "v2", Healthz: "ok", KeyID: "k1"}},
		{name: "v2beta1", st: Status{Version: "v2beta1", Healthz: "ok", KeyID: "k1"}},
		{name: "v1", st: Status{Version: "v1beta1", Healthz: "ok", KeyID: "k1"}, wantErr: `it speaks KMS API "v1beta1", not v2`},
		{name: "unhealthy", st: Status{Version: "v2", Healthz: "token\nlocked", KeyID: "k1"}, wantErr: `its healthz is "token locked", not "ok"`},
		{name: "no key ID", st: Status{Version: "v2", Healthz: "ok"}, wantErr: "it reports an empty key ID"},
		{name: "key ID too long", st: Status{Version: "v2", Healthz: "ok", KeyID: strings.Repeat("k", 1024)}, wantErr: "it reports a key ID of 1024 bytes, over KMS v2's limit of 1023"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkStatus(tt.st)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("checkStatus = %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("checkStatus = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// fakePlugin serves KMS v2 on a socket. Its "encryption" reverses the bytes
// and appends the key ID: enough to see what travels, not a cipher.
type fakePlugin struct {
	kmsapi.UnimplementedKeyManagementServiceServer
	keyID   string
	healthz string
	hang    bool // Status blocks until the call times out
}

func (f *fakePlugin) Status(ctx context.Context, _ *kmsapi.StatusRequest) (*kmsapi.StatusResponse, error) {
	if f.hang {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return &kmsapi.StatusResponse{Version: "v2", Healthz: f.healthz, KeyId: f.keyID}, nil
}

func (f *fakePlugin) Encrypt(_ context.Context, req *kmsapi.EncryptRequest) (*kmsapi.EncryptResponse, error) {
	if req.Uid == "" {
		return nil, status.Error(codes.InvalidArgument, "no uid")
	}
	ct := append(reversed(req.Plaintext), f.keyID...)
	return &kmsapi.EncryptResponse{Ciphertext: ct, KeyId: f.keyID, Annotations: map[string][]byte{"fake.example.com": []byte("a")}}, nil
}

func (f *fakePlugin) Decrypt(_ context.Context, req *kmsapi.DecryptRequest) (*kmsapi.DecryptResponse, error) {
	body, ok := bytes.CutSuffix(req.Ciphertext, []byte(req.KeyId))
	if !ok || req.KeyId != f.keyID || string(req.Annotations["fake.example.com"]) != "a" {
		return nil, status.Errorf(codes.InvalidArgument, "key %s cannot decrypt this", req.KeyId)
	}
	return &kmsapi.DecryptResponse{Plaintext: reversed(body)}, nil
}

func reversed(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[len(b)-1-i] = c
	}
	return out
}

// shortSocket is a socket path under the short system temp dir: t.TempDir()
// holds the test's name and can pass the 107-byte limit.
func shortSocket(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "kms")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return filepath.Join(dir, "sock")
}

// serve runs the plugin on socket until the test ends; it listens before it
// returns, so no call races its start.
func serve(t *testing.T, socket string, plugin *fakePlugin) *grpc.Server {
	t.Helper()
	ln, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	kmsapi.RegisterKeyManagementServiceServer(srv, plugin)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return srv
}

func newClient(t *testing.T, socket string, timeout time.Duration) *Client {
	t.Helper()
	c, err := New("unix://"+socket, timeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestClient(t *testing.T) {
	ctx := t.Context()
	socket := shortSocket(t)
	plugin := &fakePlugin{keyID: "key-1", healthz: "ok"}
	serve(t, socket, plugin)
	c := newClient(t, socket, 0)

	id, err := c.KeyID(ctx)
	if err != nil || id != "key-1" {
		t.Fatalf("KeyID = %q, %v; want key-1", id, err)
	}
	dataKey := bytes.Repeat([]byte{7, 8}, 16)
	keyID, ct, ann, err := c.Wrap(ctx, dataKey)
	if err != nil {
		t.Fatal(err)
	}
	if keyID != "key-1" || bytes.Contains(ct, dataKey) {
		t.Fatalf("Wrap = key ID %q, ciphertext holding the data key %v; want key-1 and a wrapped key", keyID, bytes.Contains(ct, dataKey))
	}
	got, err := c.Unwrap(ctx, keyID, ct, ann)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(dataKey, got); diff != "" {
		t.Errorf("Unwrap (-want +got):\n%s", diff)
	}

	// A refusal names the endpoint and the call, and is not "unavailable".
	_, err = c.Unwrap(ctx, "key-0", ct, ann)
	want := "KMS plugin at unix://" + socket + ": Decrypt failed (InvalidArgument): key key-0 cannot decrypt this"
	if err == nil || err.Error() != want || errors.Is(err, ErrUnavailable) {
		t.Errorf("Unwrap under another key ID: error = %v, want %q", err, want)
	}

	plugin.healthz = "HSM token not logged in"
	_, err = c.KeyID(ctx)
	want = "KMS plugin at unix://" + socket + ` is unavailable: its healthz is "HSM token not logged in", not "ok"`
	if !errors.Is(err, ErrUnavailable) || err.Error() != want {
		t.Errorf("KeyID of an unhealthy plugin: error = %v, want %q", err, want)
	}
}

func TestClientPluginDown(t *testing.T) {
	ctx := t.Context()
	socket := shortSocket(t)
	srv := serve(t, socket, &fakePlugin{keyID: "key-1", healthz: "ok"})
	// A long timeout: a down plugin must fail at once, not when it runs out.
	c := newClient(t, socket, time.Minute)
	if _, err := c.KeyID(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	_ = os.Remove(socket)

	for _, call := range []func() error{
		func() error { _, err := c.KeyID(ctx); return err },
		func() error { _, _, _, err := c.Wrap(ctx, []byte("k")); return err },
		func() error { _, err := c.Unwrap(ctx, "key-1", []byte("k"), nil); return err },
	} {
		err := call()
		if !errors.Is(err, ErrUnavailable) || !strings.HasPrefix(err.Error(), "KMS plugin at unix://"+socket+" is unavailable (") {
			t.Errorf("call to a stopped plugin: error = %v, want ErrUnavailable naming the endpoint", err)
		}
		if err != nil && strings.Contains(err.Error(), "no answer within") {
			t.Errorf("call to a stopped plugin waited for its timeout: %v", err)
		}
	}

	// Back on the same socket, it is found again without a new client.
	serve(t, socket, &fakePlugin{keyID: "key-2", healthz: "ok"})
	deadline := time.Now().Add(30 * time.Second)
	for {
		id, err := c.KeyID(ctx)
		if err == nil {
			if id != "key-2" {
				t.Fatalf("KeyID after the restart = %q, want key-2", id)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the client did not reconnect to the restarted plugin: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestClientTimeout(t *testing.T) {
	socket := shortSocket(t)
	serve(t, socket, &fakePlugin{hang: true})
	c := newClient(t, socket, 200*time.Millisecond)
	_, err := c.KeyID(t.Context())
	want := "KMS plugin at unix://" + socket + " is unavailable (Status: no answer within 200ms)"
	if !errors.Is(err, ErrUnavailable) || err.Error() != want {
		t.Errorf("KeyID of a hung plugin: error = %v, want %q", err, want)
	}
}

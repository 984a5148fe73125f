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

package kms_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/kms"
	"github.com/lightning-operator/lightning-operator/internal/kms/kmstest"
)

var (
	_ keyring.KeyWrapper = (*kms.Client)(nil)
	_ keyring.KeyWrapper = (*kmstest.Fake)(nil)
)

func TestSoftHSMPlugin(t *testing.T) {
	plugin := kmstest.StartSoftHSM(t)
	ctx := t.Context()
	// A long timeout: a plugin that is down must fail at once, not when it runs out.
	c, err := kms.New(plugin.Endpoint(), 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })

	firstID := plugin.KeyID()
	if st, err := c.Status(ctx); err != nil || st != (kms.Status{Version: "v2", Healthz: "ok", KeyID: firstID}) {
		t.Fatalf("Status = %+v, %v; want v2, ok and key %s", st, err, firstID)
	}

	// A 32-byte data key wraps to nonce, ciphertext and tag, under the token's key.
	dataKey := make([]byte, 32)
	_, _ = rand.Read(dataKey)
	keyID, wrapped, ann, err := c.Wrap(ctx, dataKey)
	if err != nil {
		t.Fatal(err)
	}
	if keyID != firstID || len(wrapped) != 12+32+16 || bytes.Contains(wrapped, dataKey) {
		t.Fatalf("Wrap = key ID %s, %d bytes; want %s, 60 bytes that do not hold the key", keyID, len(wrapped), firstID)
	}
	if got, err := c.Unwrap(ctx, keyID, wrapped, ann); err != nil || !bytes.Equal(got, dataKey) {
		t.Fatalf("Unwrap did not give the data key back: %v", err)
	}
	other := strings.Repeat("0", len(keyID))
	if _, err := c.Unwrap(ctx, other, wrapped, ann); err == nil || errors.Is(err, kms.ErrUnavailable) ||
		!strings.Contains(err.Error(), "Decrypt failed") || !strings.Contains(err.Error(), other) {
		t.Errorf("Unwrap under another key ID: error = %v, want a refusal naming the key ID", err)
	}
	flipped := bytes.Clone(wrapped)
	flipped[20] ^= 1
	if _, err := c.Unwrap(ctx, keyID, flipped, ann); err == nil || !strings.Contains(err.Error(), "does not decrypt this ciphertext") {
		t.Errorf("Unwrap of a tampered wrap: error = %v, want a refusal", err)
	}

	// The keyring wraps through the real plugin.
	ref := keyring.SecretRef{Namespace: "lightning-system", Name: "lightning-operator-keyring"}
	ring, err := keyring.New(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ringData, err := ring.MarshalWrapped(ctx, c, ref)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := keyring.UnmarshalWrapped(ctx, c, ref, ringData); err != nil || back.Current().Private.ID() != ring.Current().Private.ID() {
		t.Fatalf("the keyring wrapped by the plugin does not open: %v", err)
	}

	// Rotate: Status reports a new key, and the old wrap still opens.
	rotatedID := plugin.Rotate()
	if got, err := c.Unwrap(ctx, firstID, wrapped, ann); err != nil || !bytes.Equal(got, dataKey) {
		t.Errorf("the wrap under the old key does not open after the rotation: %v", err)
	}
	if id, _, _, err := c.Wrap(ctx, dataKey); err != nil || id != rotatedID {
		t.Errorf("Wrap after the rotation = key ID %s, %v; want %s", id, err, rotatedID)
	}
	needs, _, err := keyring.NeedsRewrap(ctx, c, ringData)
	if err != nil || !needs {
		t.Fatalf("NeedsRewrap after the plugin's rotation = %v, %v; want true", needs, err)
	}
	// As the keyring controller does: open with the old wrap, wrap again.
	opened, err := keyring.UnmarshalWrapped(ctx, c, ref, ringData)
	if err != nil {
		t.Fatal(err)
	}
	if ringData, err = opened.MarshalWrapped(ctx, c, ref); err != nil {
		t.Fatal(err)
	}
	if id, _ := keyring.WrappedKeyID(ringData); id != rotatedID {
		t.Errorf("the keyring is wrapped under %s after wrapping it again, want %s", id, rotatedID)
	}

	// Killed: Unavailable at once, and its socket is left behind.
	plugin.Stop()
	socket, _ := kms.SocketPath(plugin.Endpoint())
	if _, err := os.Lstat(socket); err != nil {
		t.Fatalf("the killed plugin's socket: %v", err)
	}
	start := time.Now()
	_, err = c.KeyID(ctx)
	if !errors.Is(err, kms.ErrUnavailable) || strings.Contains(err.Error(), "no answer within") {
		t.Errorf("KeyID of a killed plugin: error = %v, want ErrUnavailable at once", err)
	}
	if _, err := keyring.UnmarshalWrapped(ctx, c, ref, ringData); !errors.Is(err, keyring.ErrKMS) || !errors.Is(err, kms.ErrUnavailable) {
		t.Errorf("opening the keyring with the plugin killed: error = %v, want ErrKMS and ErrUnavailable", err)
	}
	t.Logf("the killed plugin was reported unavailable in %v", time.Since(start).Round(time.Microsecond))

	// Restarted on the same socket: the same client finds it, with the same keys.
	plugin.Start()
	if id := plugin.KeyID(); id != rotatedID {
		t.Errorf("the restarted plugin's key ID = %s, want %s (kept on the token)", id, rotatedID)
	}
	// The client reconnects with gRPC's backoff (up to 2 s after a failure
	// it saw while the plugin was down): give it a few seconds on a busy machine.
	var got []byte
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if got, err = c.Unwrap(ctx, firstID, wrapped, ann); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil || !bytes.Equal(got, dataKey) {
		t.Errorf("the wrap under the first key does not open after the restart: %v", err)
	}
	if _, err := keyring.UnmarshalWrapped(ctx, c, ref, ringData); err != nil {
		t.Errorf("the keyring does not open after the restart: %v", err)
	}

	// The plugin logs key IDs, never a key.
	for _, s := range []string{hex.EncodeToString(dataKey), base64.StdEncoding.EncodeToString(dataKey)} {
		if strings.Contains(plugin.Log(), s) {
			t.Error("the plugin's log holds the data key")
		}
	}
}

// TestFakeActsAsAPlugin: the fake that the keysecret tests use wraps,
// refuses another key ID, keeps old keys after a rotation, and is down with
// kms.ErrUnavailable.
func TestFakeActsAsAPlugin(t *testing.T) {
	ctx := t.Context()
	f := kmstest.NewFake()
	dataKey := []byte("0123456789abcdef0123456789abcdef")
	id, ct, ann, err := f.Wrap(ctx, dataKey)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := f.Unwrap(ctx, id, ct, ann); err != nil || !bytes.Equal(got, dataKey) {
		t.Fatalf("Unwrap = %v; want the data key", err)
	}
	newID := f.Rotate()
	if cur, _ := f.KeyID(ctx); cur != newID || newID == id {
		t.Fatalf("after Rotate the key ID is %s, want a new one (%s)", cur, newID)
	}
	if _, err := f.Unwrap(ctx, newID, ct, ann); err == nil {
		t.Error("a wrap opened under another key ID")
	}
	if got, err := f.Unwrap(ctx, id, ct, ann); err != nil || !bytes.Equal(got, dataKey) {
		t.Errorf("the old key does not unwrap after the rotation: %v", err)
	}
	f.SetDown(true)
	if _, err := f.KeyID(ctx); !errors.Is(err, kms.ErrUnavailable) {
		t.Errorf("KeyID of a fake that is down: %v, want ErrUnavailable", err)
	}
	if _, err := f.Unwrap(ctx, id, ct, ann); !errors.Is(err, kms.ErrUnavailable) {
		t.Errorf("Unwrap of a fake that is down: %v, want ErrUnavailable", err)
	}
	if c := f.Calls(); c != (kmstest.Calls{KeyID: 2, Wrap: 1, Unwrap: 4}) {
		t.Errorf("Calls = %+v", c)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	kmstest.Cleanup()
	os.Exit(code)
}

// A token provisioned with --make-key, as an admin provisions one before
// mounting it read-only beside the manager, serves the key it printed;
// --make-key again keeps it, and with --rotate makes a newer current one.
func TestSoftHSMPluginMakeKey(t *testing.T) {
	module, ok := kmstest.SoftHSMModule()
	if !ok {
		t.Skip(kmstest.SkipMessage)
	}
	token, err := kmstest.InitToken(kmstest.TempDir(t), module)
	if err != nil {
		t.Fatal(err)
	}
	bin := kmstest.PluginBinary(t)
	first, err := token.MakeKey(t.Context(), bin, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hex.DecodeString(first); err != nil || len(first) != 16 {
		t.Fatalf("--make-key printed %q, want a 16-hex key ID", first)
	}
	if again, err := token.MakeKey(t.Context(), bin, false); err != nil || again != first {
		t.Fatalf("--make-key on a token with a key = %q, %v; want the same key %s", again, err, first)
	}
	rotated, err := token.MakeKey(t.Context(), bin, true)
	if err != nil || rotated == first || rotated < first {
		t.Fatalf("--make-key --rotate = %q, %v; want a newer key than %s", rotated, err, first)
	}
	if served := kmstest.StartSoftHSMOn(t, token).KeyID(); served != rotated {
		t.Fatalf("the plugin serves key %s, want %s, the newest --make-key made", served, rotated)
	}
}

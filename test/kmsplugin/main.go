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

// Command kmsplugin is a Kubernetes KMS v2 plugin for tests: it wraps data
// keys with AES-256-GCM under a key held on a PKCS#11 token (SoftHSM here).
// It is its own module because PKCS#11 needs cgo, and the operator's
// manager is built without it.
//
// Its keys are AES-256 secret keys on the token, labelled --key-label. Each
// has a CKA_ID of 8 bytes, the time it was made in Unix nanoseconds; the key
// ID the plugin reports is that CKA_ID in hex, and the newest key is the
// current one. With none on the token, it makes one. --rotate, or SIGHUP
// while it runs, makes a new one; older keys still decrypt. --make-key
// does that much, prints the current key ID and exits without serving, to
// provision a token that is then mounted read-only.
package main

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ThalesGroup/crypto11"
	"k8s.io/kms/pkg/service"
)

// A unix socket path holds at most 107 bytes and the closing NUL.
const maxSocketPath = 107

// aadPrefix starts the additional data of every wrap; the key ID follows,
// so it is never empty and a wrap opens only under the ID it names.
const aadPrefix = "lightning-operator/kmsplugin/v1\x00"

func main() {
	var (
		listen   = flag.String("listen", "", "endpoint to serve on: unix:///<absolute socket path>")
		module   = flag.String("module", "", "PKCS#11 module, e.g. SoftHSM's libsofthsm2.so")
		token    = flag.String("token-label", "", "label of the token holding the keys")
		pinFile  = flag.String("pin-file", "", "file holding the token's user PIN")
		keyLabel = flag.String("key-label", "lightning-kms", "label of the plugin's AES keys on the token")
		rotate   = flag.Bool("rotate", false, "make a new current key at start; older keys still decrypt")
		makeKey  = flag.Bool("make-key", false, "make a key if the token has none (a new one with --rotate), print the current key ID and exit without serving")
		timeout  = flag.Duration("timeout", 5*time.Second, "the gRPC connection timeout")
	)
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log, *listen, *module, *token, *pinFile, *keyLabel, *rotate, *makeKey, *timeout); err != nil {
		log.Error("KMS plugin stopped", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger, listen, module, token, pinFile, keyLabel string, rotate, makeKey bool, timeout time.Duration) error {
	var socket string
	var err error
	if !makeKey {
		if socket, err = socketPath(listen); err != nil {
			return err
		}
	}
	if module == "" || token == "" || pinFile == "" {
		return errors.New("--module, --token-label and --pin-file are required")
	}
	pin, err := os.ReadFile(pinFile)
	if err != nil {
		return fmt.Errorf("reading the PIN: %w", err)
	}
	// GCM's standard 96-bit nonce; crypto11 defaults to 128 bits.
	hsm, err := crypto11.Configure(&crypto11.Config{Path: module, TokenLabel: token, Pin: strings.TrimSpace(string(pin)), GCMIVLength: 12})
	if err != nil {
		return fmt.Errorf("opening token %q with %s: %w", token, module, err)
	}
	defer func() { _ = hsm.Close() }()

	p := &plugin{hsm: hsm, label: []byte(keyLabel)}
	if err := p.load(); err != nil {
		return err
	}
	if p.current == "" || rotate {
		if err := p.rotate(); err != nil {
			return err
		}
	}
	if makeKey {
		fmt.Println(p.keyID())
		return nil
	}
	log.Info("Serving KMS v2", "endpoint", listen, "token", token, "keyLabel", keyLabel, "keyID", p.keyID())

	// A plugin killed without Close leaves its socket behind, and
	// ListenAndServe cannot bind over it.
	if fi, err := os.Lstat(socket); err == nil && fi.Mode().Type() == fs.ModeSocket {
		if err := os.Remove(socket); err != nil {
			return fmt.Errorf("removing the stale socket %s: %w", socket, err)
		}
	}
	srv := service.NewGRPCService(socket, timeout, p)
	served := make(chan error, 1)
	go func() { served <- srv.ListenAndServe() }()

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
	for {
		select {
		case err := <-served:
			return fmt.Errorf("serving on %s: %w", listen, err)
		case sig := <-signals:
			if sig != syscall.SIGHUP {
				srv.Shutdown()
				log.Info("Stopped", "signal", sig.String())
				return nil
			}
			if err := p.rotate(); err != nil {
				log.Error("Could not rotate the key", "err", err)
				continue
			}
			log.Info("Rotated the key", "keyID", p.keyID())
		}
	}
}

func socketPath(endpoint string) (string, error) {
	p, ok := strings.CutPrefix(endpoint, "unix://")
	switch {
	case !ok || !strings.HasPrefix(p, "/"):
		return "", fmt.Errorf("--listen %q is not unix:///<absolute socket path>", endpoint)
	case len(p) > maxSocketPath:
		return "", fmt.Errorf("--listen %q: the socket path is %d bytes, over the %d a unix socket allows", endpoint, len(p), maxSocketPath)
	}
	return p, nil
}

// plugin implements k8s.io/kms's service.Service over the token.
type plugin struct {
	hsm   *crypto11.Context
	label []byte

	mu      sync.Mutex
	current string                 // the newest key's ID
	keys    map[string]cipher.AEAD // by key ID
}

var _ service.Service = (*plugin)(nil)

// load finds the plugin's keys on the token.
func (p *plugin) load() error {
	found, err := p.hsm.FindKeys(nil, p.label)
	if err != nil {
		return fmt.Errorf("finding keys labelled %q: %w", p.label, err)
	}
	p.keys = map[string]cipher.AEAD{}
	for _, k := range found {
		attr, err := p.hsm.GetAttribute(k, crypto11.CkaId)
		if err != nil || attr == nil {
			return fmt.Errorf("reading the CKA_ID of a key labelled %q: %v", p.label, err)
		}
		if err := p.add(hex.EncodeToString(attr.Value), k); err != nil {
			return err
		}
	}
	ids := slices.Sorted(maps.Keys(p.keys))
	if len(ids) > 0 {
		p.current = ids[len(ids)-1] // fixed-width hex of a time: the newest sorts last
	}
	return nil
}

func (p *plugin) add(id string, k *crypto11.SecretKey) error {
	aead, err := k.NewGCM()
	if err != nil {
		return fmt.Errorf("key %s: %w", id, err)
	}
	p.keys[id] = aead
	return nil
}

// rotate makes a new AES-256 key on the token and makes it current.
func (p *plugin) rotate() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	raw := binary.BigEndian.AppendUint64(nil, uint64(time.Now().UnixNano()))
	k, err := p.hsm.GenerateSecretKeyWithLabel(raw, p.label, 256, crypto11.CipherAES)
	if err != nil {
		return fmt.Errorf("generating an AES-256 key on the token: %w", err)
	}
	id := hex.EncodeToString(raw)
	if err := p.add(id, k); err != nil {
		return err
	}
	p.current = id
	return nil
}

func (p *plugin) keyID() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.current
}

func (p *plugin) key(id string) (cipher.AEAD, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	aead, ok := p.keys[id]
	if !ok {
		return nil, fmt.Errorf("no key %q labelled %q on the token", id, p.label)
	}
	return aead, nil
}

// Status reports the current key ID; healthz is "ok" while the token answers.
func (p *plugin) Status(context.Context) (*service.StatusResponse, error) {
	id := p.keyID()
	healthz := "ok"
	if _, err := p.hsm.FindKey(mustHex(id), p.label); err != nil {
		healthz = "the token does not find the current key: " + err.Error()
	}
	return &service.StatusResponse{Version: "v2", Healthz: healthz, KeyID: id}, nil
}

// Encrypt seals data under the current key: nonce, then ciphertext and tag.
func (p *plugin) Encrypt(_ context.Context, _ string, data []byte) (res *service.EncryptResponse, err error) {
	id := p.keyID()
	aead, err := p.key(id)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	// crypto11's Seal panics when the token fails.
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("the token could not encrypt under key %s: %v", id, r)
		}
	}()
	ct := aead.Seal(nonce, nonce, data, []byte(aadPrefix+id))
	return &service.EncryptResponse{Ciphertext: ct, KeyID: id}, nil
}

// Decrypt opens what Encrypt sealed under req.KeyID.
func (p *plugin) Decrypt(_ context.Context, _ string, req *service.DecryptRequest) (pt []byte, err error) {
	aead, err := p.key(req.KeyID)
	if err != nil {
		return nil, err
	}
	if len(req.Ciphertext) < aead.NonceSize()+aead.Overhead() {
		return nil, errors.New("the ciphertext is too short")
	}
	defer func() {
		if r := recover(); r != nil {
			pt, err = nil, fmt.Errorf("the token could not decrypt under key %s: %v", req.KeyID, r)
		}
	}()
	n := aead.NonceSize()
	pt, err = aead.Open(nil, req.Ciphertext[:n], req.Ciphertext[n:], []byte(aadPrefix+req.KeyID))
	if err != nil {
		return nil, fmt.Errorf("key %s does not decrypt this ciphertext", req.KeyID)
	}
	return pt, nil
}

func mustHex(id string) []byte {
	b, _ := hex.DecodeString(id) // IDs are made by rotate or read as hex
	return b
}

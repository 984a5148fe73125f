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
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// syncer copies the Secret's serving certificate to the webhook server's
// CertDir. It runs on every replica, leader or not, since each serves the
// certificate from its own disk: at start, on every event of the Secret,
// and at least every interval (a file changed on disk is put back).
type syncer struct {
	files    *servedFiles
	cache    client.Reader
	key      types.NamespacedName
	interval time.Duration
	log      logr.Logger
}

var _ reconcile.Reconciler = (*syncer)(nil)

func (s *syncer) setupWithManager(mgr ctrl.Manager) error {
	opts := timedOptions(s.interval)
	opts.NeedLeaderElection = ptr.To(false)
	return ctrl.NewControllerManagedBy(mgr).
		Named("webhook-certificate-files").
		For(&corev1.Secret{}, builder.WithPredicates(only(s.key))).
		WatchesRawSource(atStart(s.key)).
		WithOptions(opts).
		Complete(s)
}

// Reconcile writes the files when they differ from the cached Secret.
func (s *syncer) Reconcile(ctx context.Context, _ reconcile.Request) (reconcile.Result, error) {
	err := s.sync(ctx)
	if ctx.Err() != nil {
		return reconcile.Result{}, nil // stopping
	}
	if err != nil {
		s.log.Error(err, "Failed to sync the webhook certificate", "secret", s.key)
		return reconcile.Result{}, err
	}
	return reconcile.Result{RequeueAfter: s.interval}, nil
}

func (s *syncer) sync(ctx context.Context) error {
	sec := &corev1.Secret{}
	if err := s.cache.Get(ctx, s.key, sec); err != nil {
		if apierrors.IsNotFound(err) {
			s.log.Info("Found no webhook certificate Secret; serving the current certificate until the leader recreates it", "secret", s.key)
			return nil
		}
		return err
	}
	b := parseBundle(sec.Data)
	if b.serving == nil || len(b.cas) == 0 {
		s.log.Info("Found no valid certificate in the Secret; serving the current one until the leader repairs it", "secret", s.key)
		return nil
	}
	return s.files.write(b)
}

// servedFiles are the certificate files of the webhook server, and what the
// readiness check verifies the served certificate against.
type servedFiles struct {
	dir     string
	cfg     *pkiConfig
	address string
	log     logr.Logger

	mu      sync.RWMutex
	current *bundle
}

// write puts tls.key and tls.crt in place, each by an atomic rename, when
// they changed. certwatcher sees the renames; between the two it may read
// a mismatched pair, which it rejects while it keeps serving the previous
// certificate, so no request is dropped.
func (f *servedFiles) write(b *bundle) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	setExpiry(b)
	if f.current != nil && bytes.Equal(f.current.servingPEM, b.servingPEM) && bytes.Equal(f.current.keyPEM, b.keyPEM) &&
		fileEquals(filepath.Join(f.dir, KeyTLSCert), b.servingPEM) {
		f.current = b // the trust bundle may have changed
		return nil
	}
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return fmt.Errorf("creating the webhook certificate directory: %w", err)
	}
	if err := writeAtomic(filepath.Join(f.dir, KeyTLSKey), b.keyPEM, 0o600); err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(f.dir, KeyTLSCert), b.servingPEM, 0o644); err != nil {
		return err
	}
	f.current = b
	f.log.Info("Wrote the webhook serving certificate", "dir", f.dir,
		"serial", b.serving.SerialNumber.Text(16), "notAfter", b.serving.NotAfter)
	return nil
}

func fileEquals(path string, want []byte) bool {
	got, err := os.ReadFile(path)
	return err == nil && bytes.Equal(got, want)
}

func writeAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// readyCheck passes when the webhook server serves a certificate for the
// Service that verifies against the trust bundle the apiserver gets.
func (f *servedFiles) readyCheck(_ *http.Request) error {
	f.mu.RLock()
	b := f.current
	f.mu.RUnlock()
	if b == nil {
		return errors.New("no webhook certificate loaded yet")
	}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", f.address,
		&tls.Config{RootCAs: b.pool(), ServerName: f.cfg.dnsNames[0], MinVersion: tls.VersionTLS12})
	if err != nil {
		return fmt.Errorf("the webhook server at %s does not serve the expected certificate yet: %w", f.address, err)
	}
	return conn.Close()
}

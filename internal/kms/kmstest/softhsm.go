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

// Package kmstest runs KMS v2 plugins for tests: the SoftHSM test plugin
// (test/kmsplugin, over PKCS#11) on a fresh token, and a pure-Go fake.
package kmstest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lightning-operator/lightning-operator/internal/kms"
)

// SkipMessage is the one line a SoftHSM case skips with where softhsm2 is
// missing.
const SkipMessage = "SoftHSM cases skipped: softhsm2 is not installed (make softhsm installs it, as root on Debian)"

// softHSMLibraries are where Debian and a source build put SoftHSM's module.
var softHSMLibraries = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so",
}

// SoftHSM is test/kmsplugin serving KMS v2 on a unix socket, with its keys
// on a SoftHSM token of its own. Stop and Start it to take the plugin down
// and bring it back: the token, and so its keys, stay.
type SoftHSM struct {
	tb       testing.TB
	bin      string
	args     []string
	env      []string
	endpoint string
	log      *Buffer
	cmd      *exec.Cmd
	probe    *kms.Client
}

// StartSoftHSM initializes a token, builds and starts the plugin, and waits
// until it serves; it skips the test with SkipMessage where softhsm2 is
// missing. The plugin is killed when the test ends.
func StartSoftHSM(tb testing.TB) *SoftHSM {
	tb.Helper()
	module := ""
	for _, m := range softHSMLibraries {
		if _, err := os.Stat(m); err == nil {
			module = m
			break
		}
	}
	if _, err := exec.LookPath("softhsm2-util"); module == "" || err != nil {
		tb.Skip(SkipMessage)
	}
	dir := TempDir(tb)
	conf := filepath.Join(dir, "softhsm2.conf")
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(conf, fmt.Appendf(nil, "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n", tokens), 0o600); err != nil {
		tb.Fatal(err)
	}
	pinFile := filepath.Join(dir, "pin")
	if err := os.WriteFile(pinFile, []byte("4321\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	// The token's settings go to softhsm2-util and the plugin only, so tests
	// with tokens of their own may run side by side.
	env := append(os.Environ(), "SOFTHSM2_CONF="+conf)
	const token = "lightning-test"
	initToken := exec.Command("softhsm2-util", "--init-token", "--free", "--label", token, "--pin", "4321", "--so-pin", "8765")
	initToken.Env = env
	if out, err := initToken.CombinedOutput(); err != nil {
		tb.Fatalf("softhsm2-util --init-token: %v\n%s", err, out)
	}

	endpoint := "unix://" + filepath.Join(dir, "kms.sock")
	probe, err := kms.New(endpoint, 20*time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = probe.Close() })
	p := &SoftHSM{
		tb:       tb,
		bin:      buildPlugin(tb),
		args:     []string{"--listen", endpoint, "--module", module, "--token-label", token, "--pin-file", pinFile},
		env:      env,
		endpoint: endpoint,
		log:      &Buffer{},
		probe:    probe,
	}
	p.Start()
	return p
}

// TempDir is a directory removed when the test ends, under the system's
// short temp dir rather than t.TempDir's long path: a socket path holds at
// most 107 bytes.
func TempDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "kms")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// The plugin is built once per test process, into built.dir.
var built struct {
	mu  sync.Mutex
	dir string
	bin string
}

// buildPlugin builds test/kmsplugin, its own module with cgo, the first
// time a test asks for it.
func buildPlugin(tb testing.TB) string {
	tb.Helper()
	built.mu.Lock()
	defer built.mu.Unlock()
	if built.bin != "" {
		return built.bin
	}
	dir, err := os.MkdirTemp("", "kmsplugin")
	if err != nil {
		tb.Fatal(err)
	}
	_, file, _, _ := runtime.Caller(0)
	bin := filepath.Join(dir, "kmsplugin")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..", "..", "test", "kmsplugin")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		tb.Fatalf("building test/kmsplugin: %v\n%s", err, out)
	}
	built.dir, built.bin = dir, bin
	return bin
}

// Cleanup removes the plugin built for this test process; call it from
// TestMain after the tests ran.
func Cleanup() {
	built.mu.Lock()
	defer built.mu.Unlock()
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
		built.dir, built.bin = "", ""
	}
}

// Endpoint is where the plugin serves: unix:///<socket>.
func (p *SoftHSM) Endpoint() string { return p.endpoint }

// Log is what the plugin wrote, for a failing test's message.
func (p *SoftHSM) Log() string { return p.log.String() }

// Start runs the plugin (again) on its socket and waits until it serves.
func (p *SoftHSM) Start() {
	p.tb.Helper()
	if p.cmd != nil && p.cmd.ProcessState == nil {
		p.tb.Fatal("the KMS plugin is already running")
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		p.tb.Fatal(err)
	}
	p.cmd = cmd
	p.tb.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	p.KeyID()
}

// Stop kills the plugin, as a crash would: its socket stays behind.
func (p *SoftHSM) Stop() {
	p.tb.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		p.tb.Fatal(err)
	}
	_ = p.cmd.Wait()
}

// Process is the running plugin, for signals of a test's own.
func (p *SoftHSM) Process() *os.Process { return p.cmd.Process }

// KeyID waits until the plugin serves, and returns its current key ID.
func (p *SoftHSM) KeyID() string {
	p.tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		id, err := p.probe.KeyID(context.Background())
		if err == nil {
			return id
		}
		if time.Now().After(deadline) {
			p.tb.Fatalf("the KMS plugin did not serve: %v\nits log:\n%s", err, p.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Rotate has the plugin make a new current key (SIGHUP), waits until its
// Status reports it, and returns its ID. Older keys still unwrap.
func (p *SoftHSM) Rotate() string {
	p.tb.Helper()
	before := p.KeyID()
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		p.tb.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if id := p.KeyID(); id != before {
			return id
		}
		if time.Now().After(deadline) {
			p.tb.Fatalf("the KMS plugin still reports key %s after SIGHUP\nits log:\n%s", before, p.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Client is a new client of the plugin, as the operator makes one, closed
// when the test ends.
func (p *SoftHSM) Client() *kms.Client {
	p.tb.Helper()
	c, err := kms.New(p.endpoint, 0)
	if err != nil {
		p.tb.Fatal(err)
	}
	p.tb.Cleanup(func() { _ = c.Close() })
	return c
}

// Buffer collects a process's output while it runs.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

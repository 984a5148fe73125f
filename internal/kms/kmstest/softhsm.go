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
	"github.com/lightning-operator/lightning-operator/internal/testenv"
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
	log      *testenv.SyncBuffer
	cmd      *exec.Cmd
	probe    *kms.Client
}

// SoftHSMModule is the path of SoftHSM's PKCS#11 module and true, or ""
// and false where softhsm2 (the module or softhsm2-util) is missing.
func SoftHSMModule() (string, bool) {
	if _, err := exec.LookPath("softhsm2-util"); err != nil {
		return "", false
	}
	for _, m := range softHSMLibraries {
		if _, err := os.Stat(m); err == nil {
			return m, true
		}
	}
	return "", false
}

// Token is a SoftHSM token of its own: its configuration, its directory
// and its user PIN's file, in one directory.
type Token struct {
	Label   string
	Module  string
	Conf    string
	Dir     string // the token directory SoftHSM writes
	PINFile string
	// Env is the environment that points softhsm2-util and the plugin at
	// Conf.
	Env []string
}

// TokenLabel and TokenPIN are the test token's.
const (
	TokenLabel = "lightning-test"
	TokenPIN   = "4321"
)

// InitToken makes a SoftHSM configuration in dir and initializes a token
// TokenLabel with the user PIN TokenPIN. module is SoftHSMModule's.
func InitToken(dir, module string) (*Token, error) {
	t := &Token{
		Label: TokenLabel, Module: module,
		Conf: filepath.Join(dir, "softhsm2.conf"), Dir: filepath.Join(dir, "tokens"), PINFile: filepath.Join(dir, "pin"),
	}
	if err := os.Mkdir(t.Dir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(t.Conf, SoftHSMConf(t.Dir), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(t.PINFile, []byte(TokenPIN+"\n"), 0o600); err != nil {
		return nil, err
	}
	// The token's settings go to softhsm2-util and the plugin only, so tests
	// with tokens of their own may run side by side.
	t.Env = append(os.Environ(), "SOFTHSM2_CONF="+t.Conf)
	initToken := exec.Command("softhsm2-util", "--init-token", "--free", "--label", t.Label, "--pin", TokenPIN, "--so-pin", "8765")
	initToken.Env = t.Env
	if out, err := initToken.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("softhsm2-util --init-token: %v: %s", err, bytes.TrimSpace(out))
	}
	return t, nil
}

// MakeKey runs the plugin binary with --make-key on the token: it makes the
// token's first key, or a new one with rotate, and returns the current key
// ID, as an admin provisions a token before the plugin serves from it.
func (t *Token) MakeKey(ctx context.Context, plugin string, rotate bool) (string, error) {
	args := append(t.PluginArgs(), "--make-key")
	if rotate {
		args = append(args, "--rotate")
	}
	cmd := exec.CommandContext(ctx, plugin, args...)
	cmd.Env = t.Env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("kmsplugin --make-key: %v: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return string(bytes.TrimSpace(out)), nil
}

// SoftHSMConf is a SoftHSM configuration with its tokens in tokenDir.
func SoftHSMConf(tokenDir string) []byte {
	return fmt.Appendf(nil, "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n", tokenDir)
}

// PluginArgs are test/kmsplugin's arguments for the token, but --listen.
func (t *Token) PluginArgs() []string {
	return []string{"--module", t.Module, "--token-label", t.Label, "--pin-file", t.PINFile}
}

// StartSoftHSM initializes a token, builds and starts the plugin, and waits
// until it serves; it skips the test with SkipMessage where softhsm2 is
// missing. The plugin is killed when the test ends.
func StartSoftHSM(tb testing.TB) *SoftHSM {
	tb.Helper()
	module, ok := SoftHSMModule()
	if !ok {
		tb.Skip(SkipMessage)
	}
	token, err := InitToken(TempDir(tb), module)
	if err != nil {
		tb.Fatal(err)
	}
	return StartSoftHSMOn(tb, token)
}

// StartSoftHSMOn builds and starts the plugin on token, with a socket in
// the token's directory, and waits until it serves.
func StartSoftHSMOn(tb testing.TB, token *Token) *SoftHSM {
	tb.Helper()
	endpoint := "unix://" + filepath.Join(filepath.Dir(token.Dir), "kms.sock")
	probe, err := kms.New(endpoint, 20*time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = probe.Close() })
	p := &SoftHSM{
		tb:       tb,
		bin:      PluginBinary(tb),
		args:     append([]string{"--listen", endpoint}, token.PluginArgs()...),
		env:      token.Env,
		endpoint: endpoint,
		log:      &testenv.SyncBuffer{},
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

// PluginBinary is test/kmsplugin, built (its own module, with cgo) the
// first time a test of this process asks for it.
func PluginBinary(tb testing.TB) string {
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
	bin := filepath.Join(dir, "kmsplugin")
	if err := BuildPlugin(context.Background(), bin); err != nil {
		_ = os.RemoveAll(dir)
		tb.Fatal(err)
	}
	built.dir, built.bin = dir, bin
	return bin
}

// BuildPlugin builds test/kmsplugin, its own module with cgo, into bin.
func BuildPlugin(ctx context.Context, bin string) error {
	_, file, _, _ := runtime.Caller(0)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..", "..", "test", "kmsplugin")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building test/kmsplugin: %v\n%s", err, out)
	}
	return nil
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

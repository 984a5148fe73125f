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

package cli_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

// runApp is `run app app.py --cloud --image I -n alice` followed by args.
func runApp(args ...string) []string {
	return append([]string{"run", "app", appFile, "--cloud", "--image", "registry.example/my-app:1.0", "-n", "alice"}, args...)
}

func TestRunAppErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{
			name:    "--secret without --cloud",
			args:    []string{"run", "app", "app.py", "--image", "i", "--secret", "K=s"},
			wantErr: "Secrets can only be used for apps running in cloud. Using the option --secret in local execution is not supported.",
		},
		{
			name:    "missing =",
			args:    runApp("--env", "FOO=bar", "--env", "BAZ"),
			wantErr: "Invalid format of environment variable BAZ, please ensure that the variable is in the format e.g. foo=bar.",
		},
		{
			name:    "empty name",
			args:    runApp("--secret", "=my-secret"),
			wantErr: "Invalid format of environment variable =my-secret, please ensure that the variable is in the format e.g. foo=bar.",
		},
		{
			name:    "bad name",
			args:    runApp("--env", "1A-B=x"),
			wantErr: "Environment variable '1A-B' is not a valid name. It must start with a letter or _ (underscore) and contain only letters A-Z, a-z, digits 0-9 and _ (underscore).",
		},
		{
			name:    "duplicate",
			args:    runApp("--env", "X=1", "--env", "X=2"),
			wantErr: "Environment variable 'X' is duplicated. Please only include it once.",
		},
		{
			name:    "env and secret",
			args:    runApp("--env", "X=1", "--secret", "X=s"),
			wantErr: "Environment variable 'X' is set by both --env and --secret. Please only include it once.",
		},
		{
			name:    "secret name with suggestion",
			args:    runApp("--secret", "GH=github_api_token"),
			wantErr: `Invalid secret name 'github_api_token' for environment variable 'GH': a secret name must start with a lowercase letter, contain only lowercase letters, digits, '-' and '.', end with a letter or digit, and be at most 253 characters (RFC 1123); did you mean "github-api-token"?`,
		},
		{
			name:    "empty secret name",
			args:    runApp("--secret", "K="),
			wantErr: "Secret name for environment variable 'K' is empty, please ensure that the secret is in the format e.g. MY_SECRET=my-secret.",
		},
		{
			name:    "missing image",
			args:    []string{"run", "app", "app.py", "--cloud"},
			wantErr: "--image is required: the container image that runs the app's flow and works, e.g. --image registry.example/my-app:1.0",
		},
		{
			name:    "missing FILE",
			args:    []string{"run", "app", "--cloud", "--image", "i"},
			wantErr: "the app's FILE is required: kubectl lightning run app FILE --cloud --image IMAGE [--name NAME] [--env K=V]... [--secret K=SECRET]... [-- COMMAND [ARG]...] [flags]",
		},
		{
			name:    "two FILEs",
			args:    []string{"run", "app", "a.py", "b.py"},
			wantErr: "unexpected argument 'b.py': kubectl lightning run app FILE --cloud --image IMAGE [--name NAME] [--env K=V]... [--secret K=SECRET]... [-- COMMAND [ARG]...] [flags]",
		},
		{
			name:    "unknown flag",
			args:    runApp("--secrets", "K=s"),
			wantErr: "unknown flag: --secrets (see 'kubectl lightning run app --help')",
		},
		{
			name:    "flag without its value",
			args:    runApp("--env"),
			wantErr: "flag needs an argument: --env (see 'kubectl lightning run app --help')",
		},
		{
			name:    "bad work",
			args:    runApp("--work", "work_a=gpu"),
			wantErr: "Invalid work 'work_a=gpu': a work is a Lightning component path such as root.work_a or root.works.0, optionally followed by =COMPUTE, e.g. --work root.work_a=gpu.",
		},
		{
			name:    "bad flow compute",
			args:    runApp("--flow-compute", ""),
			wantErr: "Invalid --flow-compute: '' is not a compute name: use lowercase letters, digits and '-', at most 63 characters, e.g. gpu or cpu-small.",
		},
		{
			name:    "bad --name",
			args:    runApp("--name", "My_App"),
			wantErr: `Invalid app name 'My_App': an app name must contain only lowercase letters, digits and '-', start and end with a letter or digit, and be at most 63 characters (RFC 1123 label); did you mean "my-app"?`,
		},
		{
			name:    "bad namespace",
			args:    []string{"run", "app", "app.py", "--image", "i", "-n", "Alice"},
			wantErr: "Invalid namespace 'Alice': a namespace name must contain only lowercase letters, digits and '-', start and end with a letter or digit, and be at most 63 characters.",
		},
		{
			name:    "bad output format",
			args:    runApp("-o", "xml"),
			wantErr: "unknown output format 'xml': use yaml, json, name, jsonpath=…, go-template=… or custom-columns=…",
		},
		{
			name:    "a table format for a manifest",
			args:    runApp("-o", "wide"),
			wantErr: "unknown output format 'wide': use yaml, json, name, jsonpath=…, go-template=… or custom-columns=…",
		},
		{
			name:    "--apply needs a cluster",
			args:    runApp("--apply"),
			wantErr: "reading the kubeconfig: no cluster in unit tests",
		},
		{
			name:    "-- without a command",
			args:    runApp("--"),
			wantErr: "a COMMAND is required after '--': kubectl lightning run app FILE --cloud --image IMAGE [--name NAME] [--env K=V]... [--secret K=SECRET]... [-- COMMAND [ARG]...] [flags]",
		},
		{
			name:    "two files before --",
			args:    append(runApp("b.py", "--"), "/bin/app"),
			wantErr: "unexpected argument 'b.py': kubectl lightning run app FILE --cloud --image IMAGE [--name NAME] [--env K=V]... [--secret K=SECRET]... [-- COMMAND [ARG]...] [flags]",
		},
		{
			name:    "unknown command",
			args:    []string{"run", "ap"},
			wantErr: `unknown command 'ap' for 'kubectl lightning run'; did you mean "app"? (see 'kubectl lightning run --help')`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(invocation{}, tc.args...)
			if r.code != 1 {
				t.Errorf("exit code %d, want 1", r.code)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
			if diff := cmp.Diff("error: "+tc.wantErr+"\n", r.stderr); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunAppCommand(t *testing.T) {
	r := runCLI(invocation{}, append(runApp("--env", "FOO=bar", "--"), "/bin/app", "--secret", "TOKEN", "--", "-x")...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	app := &lightningv1alpha1.LightningApp{}
	if err := yaml.UnmarshalStrict([]byte(r.stdout), app); err != nil {
		t.Fatal(err)
	}
	// Flags after -- belong to the command, not to the CLI.
	if diff := cmp.Diff([]string{"/bin/app", "--secret", "TOKEN", "--", "-x"}, app.Spec.Command); diff != "" {
		t.Errorf("spec.command (-want +got):\n%s", diff)
	}
	if len(app.Spec.Secrets) != 0 || len(app.Spec.Env) != 1 {
		t.Errorf("env %v, secrets %v: the command's flags leaked into the app", app.Spec.Env, app.Spec.Secrets)
	}
}

func TestRunAppDefaultName(t *testing.T) {
	tests := []struct{ dir, file, want string }{
		{dir: "My_App", file: "app.py", want: "my-app"},
		{dir: "My_App", file: "./app.py", want: "my-app"},
		{dir: "My_App/src", file: "../app.py", want: "my-app"},
		{dir: "other", file: "../Cool Project/main.py", want: "cool-project"},
	}
	for _, tc := range tests {
		t.Run(tc.dir+" "+tc.file, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), tc.dir)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			t.Chdir(dir)
			r := runCLI(invocation{}, "run", "app", tc.file, "--image", "i", "-n", "alice")
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			app := &lightningv1alpha1.LightningApp{}
			if err := yaml.UnmarshalStrict([]byte(r.stdout), app); err != nil {
				t.Fatal(err)
			}
			if app.Name != tc.want {
				t.Errorf("name = %q, want %q", app.Name, tc.want)
			}
		})
	}
	t.Run("file at the root", func(t *testing.T) {
		t.Chdir("/")
		r := runCLI(invocation{}, "run", "app", "app.py", "--image", "i", "-n", "alice")
		if !strings.Contains(r.stdout, "name: lightning-app\n") {
			t.Errorf("stdout = %q, want the fallback name lightning-app", r.stdout)
		}
	})
}

// testKeys is a keyring and its public keys in a --cert file.
func testKeys(t *testing.T) (*keyring.Keyring, string) {
	t.Helper()
	ring, err := keyring.New(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cert := filepath.Join(t.TempDir(), "lightning.pem")
	if err := os.WriteFile(cert, []byte(ring.PublicData()[keyring.PublicKeysPEM]), 0o644); err != nil {
		t.Fatal(err)
	}
	return ring, cert
}

// decodeSecret reads a printed LightningSecret (YAML or JSON).
func decodeSecret(t *testing.T, out string) *lightningv1alpha1.LightningSecret {
	t.Helper()
	s := &lightningv1alpha1.LightningSecret{}
	if err := yaml.UnmarshalStrict([]byte(out), s); err != nil {
		t.Fatalf("decoding %q: %v", out, err)
	}
	return s
}

var envelopeRE = regexp.MustCompile(`v2:([0-9a-f]{16}(?:,[0-9a-f]{16})*):[A-Za-z0-9+/]+={0,2}`)

func TestSecretCreateOffline(t *testing.T) {
	ring, cert := testKeys(t)
	const canary = "canary-3f9c2e7d-never-print-me"
	r := runCLI(invocation{stdin: canary + "\n"}, "secret", "create", "my-secret", "-n", "alice", "--cert", cert)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if want := "Sealed to key " + ring.Current().Private.ID() + "\n"; r.stderr != want {
		t.Errorf("stderr = %q, want %q", r.stderr, want)
	}
	for name, s := range map[string]string{"stdout": r.stdout, "stderr": r.stderr} {
		if strings.Contains(s, canary) {
			t.Errorf("%s contains the plaintext", name)
		}
	}
	s := decodeSecret(t, r.stdout)
	if s.Namespace != "alice" || s.Name != "my-secret" {
		t.Fatalf("object is %s/%s", s.Namespace, s.Name)
	}
	got, err := sealing.Open(ring, sealing.Scope{Namespace: "alice", Name: "my-secret"}, s.Spec.EncryptedValue)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if string(got) != canary {
		t.Errorf("opened %q, want the canary without the newline", got)
	}
	// Bound to its name and namespace.
	for _, scope := range []sealing.Scope{{Namespace: "alice", Name: "other"}, {Namespace: "bob", Name: "my-secret"}} {
		if _, err := sealing.Open(ring, scope, s.Spec.EncryptedValue); !errors.Is(err, sealing.ErrTampered) {
			t.Errorf("Open as %v: err = %v, want ErrTampered", scope, err)
		}
	}
	// The golden manifest, with the random ciphertext masked.
	m := envelopeRE.FindStringSubmatch(r.stdout)
	if m == nil || m[1] != ring.Current().Private.ID() {
		t.Fatalf("envelope does not name the current key %s alone: %q", ring.Current().Private.ID(), r.stdout)
	}
	checkGolden(t, "secret-create", envelopeRE.ReplaceAllString(r.stdout, "v2:<key ID>:<sealed>"))

	// JSON too.
	r = runCLI(invocation{stdin: canary}, "secret", "create", "my-secret", "-n", "alice", "--cert", cert, "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	checkGolden(t, "secret-create-json", envelopeRE.ReplaceAllString(r.stdout, "v2:<key ID>:<sealed>"))
}

// fakeTerminal answers the hidden prompt.
type fakeTerminal struct {
	value   string
	prompts []string
}

func (f *fakeTerminal) IsTerminal() bool { return true }

func (f *fakeTerminal) ReadSecret(_ context.Context, prompt string) ([]byte, error) {
	f.prompts = append(f.prompts, prompt)
	return []byte(f.value), nil
}

func TestSecretCreateValueSources(t *testing.T) {
	ring, cert := testKeys(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "value")
	if err := os.WriteFile(file, []byte("line 1\nline 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	maxValue := strings.Repeat("m", sealing.MaxPlaintextSize)
	maxFile := filepath.Join(dir, "max")
	if err := os.WriteFile(maxFile, []byte(maxValue), 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, []byte(maxValue+"x"), 0o600); err != nil {
		t.Fatal(err)
	}
	mebibyte := filepath.Join(dir, "mebibyte")
	if err := os.WriteFile(mebibyte, bytes.Repeat([]byte("m"), 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	nulFile := filepath.Join(dir, "nul")
	if err := os.WriteFile(nulFile, []byte("before\x00after\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The one-line refusal, naming the rule and the size.
	tooLong := func(size string) string {
		return "the value is " + size + " bytes, more than the 131069 an environment variable can carry: " +
			"Linux passes at most 131072 bytes (MAX_ARG_STRLEN) for NAME=value and its NUL, so 131069 under a one-character name"
	}
	hasNUL := func(size string) string {
		return "the " + size + "-byte value holds a NUL byte, which an environment variable cannot carry: each NAME=value string ends at its first NUL"
	}

	tests := []struct {
		name     string
		stdin    string
		terminal *fakeTerminal
		args     []string
		want     string
		wantErr  string
	}{
		{name: "stdin drops one newline", stdin: "token\n", want: "token"},
		{name: "stdin drops CRLF", stdin: "token\r\n", want: "token"},
		{name: "stdin keeps inner and other newlines", stdin: "a\nb\n\n", want: "a\nb\n"},
		{name: "stdin without newline", stdin: "token", want: "token"},
		{name: "--from-file is exact", args: []string{"--from-file", file}, want: "line 1\nline 2\n"},
		{name: "--from-file - reads stdin exactly", stdin: "token\n", args: []string{"--from-file", "-"}, want: "token\n"},
		{name: "prompt on a terminal", stdin: "not read", terminal: &fakeTerminal{value: "typed"}, want: "typed"},
		{name: "--from-file wins over the terminal", terminal: &fakeTerminal{value: "typed"}, args: []string{"--from-file", file}, want: "line 1\nline 2\n"},
		{name: "value at the limit", stdin: maxValue + "\n", want: maxValue},
		{name: "value at the limit, from a file", args: []string{"--from-file", maxFile}, want: maxValue},
		{name: "value at the limit, stdin exactly", stdin: maxValue, args: []string{"--from-file", "-"}, want: maxValue},
		{name: "value at the limit, typed", terminal: &fakeTerminal{value: maxValue}, want: maxValue},
		{name: "newlines, tabs and unicode from a file stay", args: []string{"--from-file", file}, want: "line 1\nline 2\n"},
		{name: "empty stdin", wantErr: "the value of secret 'my-secret' is empty: pipe it to stdin, use --from-file, or run in a terminal to be prompted"},
		{name: "only a newline", stdin: "\n", wantErr: "the value of secret 'my-secret' is empty: pipe it to stdin, use --from-file, or run in a terminal to be prompted"},
		{name: "empty prompt", terminal: &fakeTerminal{}, wantErr: "the value of secret 'my-secret' is empty: pipe it to stdin, use --from-file, or run in a terminal to be prompted"},
		{name: "stdin one byte over the limit", stdin: maxValue + "x", wantErr: tooLong("131070")},
		{name: "stdin one byte over, and a newline that is dropped", stdin: maxValue + "x\n", wantErr: tooLong("131070")},
		{name: "stdin two bytes over, counted past the limit, newline dropped", stdin: maxValue + "xy\n", wantErr: tooLong("131071")},
		{name: "stdin two bytes over, counted past the limit, CRLF dropped", stdin: maxValue + "xy\r\n", wantErr: tooLong("131071")},
		{name: "stdin far over the limit", stdin: maxValue + maxValue, wantErr: tooLong("262138")},
		{name: "stdin exactly, one over with its newline", stdin: maxValue + "\n", args: []string{"--from-file", "-"}, wantErr: tooLong("131070")},
		{name: "file one byte over the limit", args: []string{"--from-file", big}, wantErr: tooLong("131070")},
		{name: "a file of 1 MiB, a Kubernetes Secret's size", args: []string{"--from-file", mebibyte}, wantErr: tooLong("1048576")},
		{name: "prompt one byte over the limit", terminal: &fakeTerminal{value: maxValue + "x"}, wantErr: tooLong("131070")},
		{name: "NUL from stdin", stdin: "before\x00after\n", wantErr: hasNUL("12")},
		{name: "NUL from a file", args: []string{"--from-file", nulFile}, wantErr: hasNUL("13")},
		{name: "NUL typed", terminal: &fakeTerminal{value: "\x00"}, wantErr: hasNUL("1")},
		{name: "NUL in a value over the limit: NUL is named", stdin: "\x00" + maxValue, wantErr: hasNUL("131070")},
		{name: "missing file", args: []string{"--from-file", filepath.Join(dir, "nope")}, wantErr: "reading the value: open " + filepath.Join(dir, "nope") + ": no such file or directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := invocation{stdin: tc.stdin}
			if tc.terminal != nil {
				inv.terminal = tc.terminal
			}
			args := append([]string{"secret", "create", "my-secret", "-n", "alice", "--cert", cert}, tc.args...)
			r := runCLI(inv, args...)
			if tc.wantErr != "" {
				if r.code != 1 || r.stderr != "error: "+tc.wantErr+"\n" || r.stdout != "" {
					t.Fatalf("got exit %d, stdout %.100q, stderr %q; want error %q", r.code, r.stdout, r.stderr, tc.wantErr)
				}
				return
			}
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			got, err := sealing.Open(ring, sealing.Scope{Namespace: "alice", Name: "my-secret"}, decodeSecret(t, r.stdout).Spec.EncryptedValue)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("opened %.100q, want %.100q", got, tc.want)
			}
			if tc.terminal != nil && tc.args == nil {
				if diff := cmp.Diff([]string{"Value of secret 'my-secret' (input hidden): "}, tc.terminal.prompts); diff != "" {
					t.Errorf("prompts (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestSecretCreateErrors(t *testing.T) {
	_, cert := testKeys(t)
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{
			name:    "name with suggestion",
			args:    []string{"secret", "create", "github_api_token", "--cert", cert},
			wantErr: `Invalid secret name 'github_api_token': a secret name must start with a lowercase letter, contain only lowercase letters, digits, '-' and '.', end with a letter or digit, and be at most 253 characters (RFC 1123); did you mean "github-api-token"?`,
		},
		{
			name:    "no name",
			args:    []string{"secret", "create", "--cert", cert},
			wantErr: "the secret's NAME is required: kubectl lightning secret create NAME [--from-file FILE] [--cert FILE]... [--recipient FILE]... [--apply | --raw] [flags]",
		},
		{
			name:    "the value is not a flag",
			args:    []string{"secret", "create", "my-secret", "hunter2", "--cert", cert},
			wantErr: "unexpected argument 'hunter2': kubectl lightning secret create NAME [--from-file FILE] [--cert FILE]... [--recipient FILE]... [--apply | --raw] [flags]",
		},
		{
			name:    "not a PEM file",
			args:    []string{"secret", "create", "my-secret", "-n", "alice", "--cert", notPEM},
			wantErr: `--cert ` + notPEM + `: sealing: no "LIGHTNING SEALING PUBLIC KEY" PEM block found`,
		},
		{
			name:    "--overwrite without --apply",
			args:    []string{"secret", "create", "my-secret", "-n", "alice", "--cert", cert, "--overwrite"},
			wantErr: "--overwrite needs --apply",
		},
		{
			name:    "the cluster's key needs a cluster",
			args:    []string{"secret", "create", "my-secret", "-n", "alice"},
			wantErr: "reading the kubeconfig: no cluster in unit tests",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(invocation{stdin: "value"}, tc.args...)
			if r.code != 1 || r.stdout != "" {
				t.Errorf("exit %d, stdout %q", r.code, r.stdout)
			}
			if diff := cmp.Diff("error: "+tc.wantErr+"\n", r.stderr); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{nil, {"--help"}, {"run", "app", "--help"}, {"secret"}, {"secret", "create", "-h"}, {"secret", "list", "-h"}, {"secret", "delete", "-h"}, {"cert", "-h"}} {
		r := runCLI(invocation{}, args...)
		if r.code != 0 || r.stderr != "" {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
		if !strings.Contains(r.stdout, "kubectl lightning") {
			t.Errorf("%v: help does not show 'kubectl lightning': %q", args, r.stdout)
		}
		if len(args) > 0 && args[len(args)-1] != "secret" && !strings.Contains(r.stdout, "Examples:\n  # ") {
			t.Errorf("%v: help has no kubectl-style examples", args)
		}
	}
	r := runCLI(invocation{}, "version")
	if r.code != 0 || !regexp.MustCompile(`^kubectl-lightning \S+ \(commit \S+, go\S+ \S+/\S+\)\n$`).MatchString(r.stdout) {
		t.Errorf("version: exit %d, stdout %q", r.code, r.stdout)
	}
}

// FuzzMain runs the whole CLI on any argument list: it never panics, exits
// 0 or 1, and on 1 prints exactly one "error: " line. Arguments are split on
// NUL; the seed corpus is in testdata/fuzz/FuzzMain.
func FuzzMain(f *testing.F) {
	seeds := [][]string{
		runApp("--env", "FOO=bar", "--secret", "MY_APP_SECRET=my-secret"),
		runApp("--env", "X", "--work", "root.a=gpu", "-o", "json"),
		{"run", "app", "app.py", "--secret", "A=b"},
		{"run", "app", "app.py", "--cloud", "--image", "i", "--name", "My_App"},
		{"secret", "create", "GitHub_Token", "-n", "alice"},
		{"secret", "list", "-A"},
		{"secret", "delete", "x", "--force"},
		{"cert", "-o", "-"},
		{"cert", "-o."}, // the old -o FILE failing: one error line, no deprecation warning before it
		{"keyring", "backup", "-f", "-", "--secret-name", "Key_Ring"},
		{"keyring", "restore", "-f", "testdata/no-such-backup.yaml", "--yes", "--operator-namespace", "x"},
		{"version"},
		{"run", "app", "--env=A=B=C", "--bogus"},
	}
	for _, s := range seeds {
		f.Add(strings.Join(s, "\x00"))
	}
	kubeconfig := filepath.Join(f.TempDir(), "missing-kubeconfig")
	f.Fuzz(func(t *testing.T, in string) {
		args := strings.Split(in, "\x00")
		for _, a := range args {
			// Device and proc files never end; a real user would not pass them.
			if strings.Contains(a, "/dev") || strings.Contains(a, "/proc") || strings.Contains(a, "/sys") {
				t.Skip()
			}
			if strings.HasPrefix(a, "--kubeconfig") {
				t.Skip() // the fuzzer's KUBECONFIG is the one to use
			}
		}
		t.Setenv("KUBECONFIG", kubeconfig)
		r := runCLI(invocation{stdin: "v"}, args...)
		switch r.code {
		case 0:
		case 1:
			if !strings.HasPrefix(r.stderr, "error: ") || strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") {
				t.Fatalf("args %q: stderr is not one error line: %q", args, r.stderr)
			}
		default:
			t.Fatalf("args %q: exit code %d", args, r.code)
		}
		if bytes.Contains([]byte(r.stderr), []byte("goroutine ")) {
			t.Fatalf("args %q: stack trace: %q", args, r.stderr)
		}
	})
}

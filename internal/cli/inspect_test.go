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
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

func TestSecretCreateRaw(t *testing.T) {
	ring, cert := testKeys(t)
	const canary = "canary-raw-5b1e-never-print-me"
	r := runCLI(invocation{stdin: canary + "\n"}, "secret", "create", "my-secret", "-n", "alice", "--cert", cert, "--raw")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	// The envelope alone: no YAML, no newline.
	if m := envelopeRE.FindString(r.stdout); m == "" || m != r.stdout {
		t.Fatalf("stdout %.80q… is not one envelope alone", r.stdout)
	}
	if want := "Sealed to key " + ring.Current().Private.ID() + "\n"; r.stderr != want {
		t.Errorf("stderr = %q, want %q", r.stderr, want)
	}
	if strings.Contains(r.stdout+r.stderr, canary) {
		t.Error("the output holds the value")
	}
	got, err := sealing.Open(ring, sealing.Scope{Namespace: "alice", Name: "my-secret"}, r.stdout)
	if err != nil || string(got) != canary {
		t.Fatalf("the envelope opens to %q, %v", got, err)
	}

	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"with --apply", []string{"--apply"}, "--raw prints the envelope and --apply creates the LightningSecret: choose one"},
		{"with -o", []string{"-o", "json"}, "--raw prints the envelope alone: it takes no -o"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"secret", "create", "my-secret", "-n", "alice", "--cert", cert, "--raw"}, tc.args...)
			r := runCLI(invocation{stdin: canary}, args...)
			if r.code != 1 || r.stdout != "" || r.stderr != "error: "+tc.wantErr+"\n" {
				t.Errorf("got exit %d, stdout %q, stderr %q; want error %q", r.code, r.stdout, r.stderr, tc.wantErr)
			}
		})
	}
}

func TestSecretInspect(t *testing.T) {
	ring, cert := testKeys(t)
	id := ring.Current().Private.ID()
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	create := func(value string, args ...string) string {
		r := runCLI(invocation{stdin: value}, append([]string{"secret", "create", "github-api-token", "-n", "alice", "--cert", cert}, args...)...)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		return r.stdout
	}
	const value = "ghp_0123456789abcdef0123456789abcdef0123" // 40 bytes
	manifest := write("token.yaml", create(value))
	asJSON := write("token.json", create(value, "-o", "json"))
	raw := create(value, "--raw")
	rawFile := write("token.envelope", raw+"\n")
	noNamespace := write("no-ns.yaml", strings.Replace(readFile(t, manifest), "  namespace: alice\n", "", 1))
	var js map[string]any
	if err := json.Unmarshal([]byte(readFile(t, asJSON)), &js); err != nil {
		t.Fatal(err)
	}

	body := func(bound string) string {
		return fmt.Sprintf(`Version:     v2 (multi-recipient)
Recipients:  1
  - %s
Bound to:    %s
Sealed size: %d bytes (the envelope)
Value size:  40 bytes (at most the 131069 one environment variable can carry)
`, id, bound, len(raw))
	}
	tests := []struct {
		name    string
		args    []string
		stdin   string
		want    string
		wantErr string
	}{
		{name: "a manifest", args: []string{"-f", manifest},
			want: body("LightningSecret alice/github-api-token (its metadata: it opens only under this namespace and name)")},
		{name: "a JSON manifest", args: []string{"-f", asJSON},
			want: body("LightningSecret alice/github-api-token (its metadata: it opens only under this namespace and name)")},
		{name: "a manifest from stdin", args: []string{"-f", "-"}, stdin: readFile(t, manifest),
			want: body("LightningSecret alice/github-api-token (its metadata: it opens only under this namespace and name)")},
		{name: "a manifest without a namespace", args: []string{"-f", noNamespace},
			want: body("LightningSecret github-api-token (the manifest names no namespace: it opens only in the one it was sealed for)")},
		{name: "an envelope", args: []string{"-f", rawFile},
			want: body("the LightningSecret it was sealed for: an envelope does not carry its namespace and name, they are bound into its encryption")},
		{name: "an envelope from stdin", args: []string{"-f", "-"}, stdin: raw,
			want: body("the LightningSecret it was sealed for: an envelope does not carry its namespace and name, they are bound into its encryption")},

		{name: "no -f", wantErr: "-f FILE is required: a LightningSecret manifest or an envelope, '-' for stdin"},
		{name: "a missing file", args: []string{"-f", filepath.Join(dir, "nope")},
			wantErr: "reading " + filepath.Join(dir, "nope") + ": open " + filepath.Join(dir, "nope") + ": no such file or directory"},
		{name: "empty stdin", args: []string{"-f", "-"},
			wantErr: "stdin is empty: it is not a LightningSecret manifest; or give the envelope alone"},
		{name: "plaintext", args: []string{"-f", "-"}, stdin: "hunter2\n",
			wantErr: "stdin is not a YAML or JSON manifest of a LightningSecret; or give the envelope alone"},
		{name: "another kind", args: []string{"-f", "-"}, stdin: "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n",
			wantErr: "stdin holds apiVersion 'v1', kind 'Secret': want a lightning.ai/v1alpha1 LightningSecret; or give the envelope alone"},
		{name: "a manifest without a value", args: []string{"-f", "-"}, stdin: "apiVersion: lightning.ai/v1alpha1\nkind: LightningSecret\nmetadata: {name: s}\n",
			wantErr: "stdin: the LightningSecret has no spec.encryptedValue"},
		{name: "a cut envelope", args: []string{"-f", "-"}, stdin: raw[:len(raw)-1],
			wantErr: "stdin does not hold a sealed value (Malformed): malformed sealed value: for keys " + id + ": the ciphertext is not canonical padded standard base64"},
		{name: "an unknown version", args: []string{"-f", "-"}, stdin: "v9:" + id + ":AAAA",
			wantErr: "stdin does not hold a sealed value (UnknownVersion): sealed value has version v9; this operator reads v1 and v2"},
		{name: "an argument", args: []string{manifest}, wantErr: "unexpected argument '" + manifest + "': kubectl lightning secret inspect -f FILE [flags]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(invocation{stdin: tc.stdin}, append([]string{"secret", "inspect"}, tc.args...)...)
			if tc.wantErr != "" {
				if r.code != 1 || r.stdout != "" || r.stderr != "error: "+tc.wantErr+"\n" {
					t.Fatalf("got exit %d, stdout %q, stderr %q; want error %q", r.code, r.stdout, r.stderr, tc.wantErr)
				}
				return
			}
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if diff := cmp.Diff(tc.want, r.stdout); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if strings.Contains(r.stdout+r.stderr, value) {
				t.Error("inspect printed the value")
			}
		})
	}
}

// An envelope sealed to several recipients, and one of an older CLI whose
// value is longer than env carries: inspect says so.
func TestSecretInspectRecipientsAndSize(t *testing.T) {
	ring, cert := testKeys(t)
	other, otherCert := testKeys(t)
	r := runCLI(invocation{stdin: "v"}, "secret", "create", "s", "-n", "alice", "--cert", cert, "--cert", otherCert, "--raw")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	r = runCLI(invocation{stdin: r.stdout}, "secret", "inspect", "-f", "-")
	want := "Recipients:  2\n  - " + ring.Current().Private.ID() + "\n  - " + other.Current().Private.ID() + "\n"
	if r.code != 0 || !strings.Contains(r.stdout, want) || !strings.Contains(r.stdout, "Value size:  1 bytes (") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want %q", r.code, r.stdout, r.stderr, want)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

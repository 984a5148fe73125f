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
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// TestOutputFormats runs kubectl's -o formats over the manifests that run
// app and secret create print without a cluster.
func TestOutputFormats(t *testing.T) {
	_, cert := testKeys(t)
	secretCreate := func(args ...string) []string {
		return append([]string{"secret", "create", "my-secret", "-n", "alice", "--cert", cert}, args...)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "name", args: runApp("-o", "name"), want: "lightningapp.lightning.ai/my-app\n"},
		{name: "jsonpath", args: runApp("-o", "jsonpath={.metadata.namespace}/{.metadata.name}"), want: "alice/my-app"},
		{name: "jsonpath, a missing field", args: runApp("-o", "jsonpath={.spec.nope}"), want: ""},
		{name: "jsonpath-as-json", args: runApp("-o", "jsonpath-as-json={.spec.image}"), want: "[\n    \"registry.example/my-app:1.0\"\n]\n"},
		{name: "go-template", args: runApp("-o", "go-template={{.kind}} {{.spec.entrypoint}}"), want: "LightningApp app.py"},
		{
			name: "custom-columns",
			args: runApp("--env", "A=1", "--env", "B=2", "-o", "custom-columns=NAME:.metadata.name,ENV:.spec.env[*].name,SECRETS:{.spec.secrets}"),
			want: "NAME     ENV   SECRETS\nmy-app   A,B   <none>\n",
		},
		{name: "kyaml", args: runApp("-o", "kyaml"), want: "---\n{\n  apiVersion: \"lightning.ai/v1alpha1\",\n  kind: \"LightningApp\",\n  metadata: {\n    name: \"my-app\",\n    namespace: \"alice\",\n  },\n  spec: {\n    entrypoint: \"app.py\",\n    image: \"registry.example/my-app:1.0\",\n  },\n}\n"},
		{name: "--dry-run=client is the manifest", args: runApp("--dry-run=client", "-o", "name"), want: "lightningapp.lightning.ai/my-app\n"},
		{name: "--dry-run=none is the manifest", args: runApp("--dry-run=none", "-o", "name"), want: "lightningapp.lightning.ai/my-app\n"},
		{name: "--dry-run client is the manifest", args: runApp("--dry-run", "client", "-o", "name"), want: "lightningapp.lightning.ai/my-app\n"},
		{name: "secret create -o name", args: secretCreate("-o", "name"), want: "lightningsecret.lightning.ai/my-secret\n"},
		{name: "secret create -o jsonpath", args: secretCreate("-o", "jsonpath={.kind}"), want: "LightningSecret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(invocation{stdin: "value"}, tc.args...)
			// secret create says on stderr which key it sealed to.
			if r.code != 0 || regexp.MustCompile(`^(Sealed to key [0-9a-f]{16}\n)?$`).FindString(r.stderr) != r.stderr {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			if diff := cmp.Diff(tc.want, r.stdout); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
		})
	}
}

// TestOutputYAMLAndJSONAreTheManifest: -o yaml and -o json print the same
// object, with sorted keys as kubectl does.
func TestOutputYAMLAndJSONAreTheManifest(t *testing.T) {
	y := runCLI(invocation{}, runApp("--env", "A=<&>")...)
	j := runCLI(invocation{}, runApp("--env", "A=<&>", "-o", "json")...)
	if y.code != 0 || j.code != 0 {
		t.Fatalf("exit %d %d: %s %s", y.code, j.code, y.stderr, j.stderr)
	}
	var fromYAML, fromJSON map[string]any
	if err := yaml.Unmarshal([]byte(y.stdout), &fromYAML); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(j.stdout), &fromJSON); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fromYAML, fromJSON); diff != "" {
		t.Errorf("yaml and json differ (-yaml +json):\n%s", diff)
	}
	if !strings.Contains(y.stdout, "value: <&>\n") {
		t.Errorf("yaml escapes the value: %q", y.stdout)
	}
}

func TestOutputAndDryRunErrors(t *testing.T) {
	_, cert := testKeys(t)
	const deprecated = "Flag --check has been deprecated, use --dry-run=server instead\n"
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{
			name:       "custom-columns without columns",
			args:       runApp("-o", "custom-columns="),
			wantStderr: "error: -o custom-columns needs columns: -o custom-columns=NAME:.metadata.name,PHASE:.status.phase\n",
		},
		{
			name:       "custom-columns without a path",
			args:       runApp("-o", "custom-columns=NAME"),
			wantStderr: "error: -o custom-columns: 'NAME' is not HEADER:JSONPATH, e.g. NAME:.metadata.name\n",
		},
		{
			name:       "custom-columns with a bad path",
			args:       runApp("-o", "custom-columns=NAME:.metadata[name"),
			wantStderr: "error: -o custom-columns: column NAME: unterminated array\n",
		},
		{
			name:       "jsonpath without a template",
			args:       runApp("-o", "jsonpath="),
			wantStderr: "error: -o jsonpath=: template format specified but no template given\n",
		},
		{
			name:       "a jsonpath that does not parse",
			args:       runApp("-o", "jsonpath={.metadata"),
			wantStderr: "error: -o jsonpath={.metadata: error parsing jsonpath {.metadata, unclosed action\n",
		},
		{
			name:       "a go-template that does not parse",
			args:       runApp("-o", "go-template={{.kind"),
			wantStderr: "error: -o go-template={{.kind: error parsing template {{.kind, template: output:1: unclosed action\n",
		},
		{
			name:       "a jsonpath that fails on the object is one line, without the object",
			args:       runApp("-o", "jsonpath={.metadata.name[0]}"),
			wantStderr: "error: printing the output: error executing jsonpath \"{.metadata.name[0]}\": Error executing template: string is not array or slice\n",
		},
		{
			name:       "--dry-run without a value",
			args:       runApp("--dry-run"),
			wantStderr: "error: flag needs an argument: --dry-run (see 'kubectl lightning run app --help')\n",
		},
		{
			name:       "--dry-run takes a value, not the next flag",
			args:       runApp("--dry-run", "--apply"),
			wantStderr: "error: invalid argument \"--apply\" for \"--dry-run\" flag: must be none, client or server (see 'kubectl lightning run app --help')\n",
		},
		{
			name:       "--dry-run with a bad value",
			args:       runApp("--dry-run=maybe"),
			wantStderr: "error: invalid argument \"maybe\" for \"--dry-run\" flag: must be none, client or server (see 'kubectl lightning run app --help')\n",
		},
		{
			name:       "--dry-run=client with --apply",
			args:       runApp("--apply", "--dry-run=client"),
			wantStderr: "error: --dry-run=client does not work with --apply, a server-side apply: use --dry-run=server, or leave out --apply to print the manifest\n",
		},
		{
			name:       "--dry-run=server needs a cluster",
			args:       runApp("--dry-run=server"),
			wantStderr: "error: reading the kubeconfig: no cluster in unit tests\n",
		},
		{
			name:       "--check is deprecated, and means --dry-run=server",
			args:       runApp("--check"),
			wantStderr: deprecated + "error: reading the kubeconfig: no cluster in unit tests\n",
		},
		{
			name:       "--check with another --dry-run",
			args:       runApp("--check", "--dry-run=client"),
			wantStderr: deprecated + "error: --check means --dry-run=server; it cannot be used with --dry-run=client\n",
		},
		{
			name:       "secret create --dry-run=client with --apply",
			args:       []string{"secret", "create", "s", "-n", "alice", "--cert", cert, "--apply", "--dry-run=client"},
			wantStderr: "error: --dry-run=client does not work with --apply, a server-side apply: use --dry-run=server, or leave out --apply to print the manifest\n",
		},
		{
			name:       "secret create -o before the value is read",
			args:       []string{"secret", "create", "s", "-n", "alice", "--cert", cert, "-o", "yml"},
			wantStderr: "error: unknown output format 'yml': use yaml, json, name, jsonpath=…, go-template=… or custom-columns=…\n",
		},
		{
			name:       "secret list -o",
			args:       []string{"secret", "list", "-o", "table"},
			wantStderr: "error: unknown output format 'table': use wide, yaml, json, name, jsonpath=…, go-template=… or custom-columns=…\n",
		},
		{
			name:       "secret delete -o",
			args:       []string{"secret", "delete", "s", "-o", "yaml"},
			wantStderr: "error: unknown output format 'yaml': use name (or leave -o out)\n",
		},
		{
			name:       "list apps -o",
			args:       []string{"list", "apps", "-o", "xml"},
			wantStderr: "error: unknown output format 'xml': use wide, yaml, json, name, jsonpath=…, go-template=… or custom-columns=…\n",
		},
		{
			name:       "list apps by name in every namespace",
			args:       []string{"list", "apps", "a", "-A"},
			wantStderr: "error: apps are listed by NAME in one namespace: use -n NAMESPACE instead of -A\n",
		},
		{
			name:       "list apps with a bad name",
			args:       []string{"list", "apps", "My_App"},
			wantStderr: `error: Invalid app name 'My_App': an app name must contain only lowercase letters, digits and '-', start and end with a letter or digit, and be at most 63 characters (RFC 1123 label); did you mean "my-app"?` + "\n",
		},
		{
			name:       "stop app without APP",
			args:       []string{"stop", "app"},
			wantStderr: "error: the APP is required: kubectl lightning stop app APP [flags]\n",
		},
		{
			name:       "start app with two",
			args:       []string{"start", "app", "a", "b"},
			wantStderr: "error: unexpected argument 'b': kubectl lightning start app APP [flags]\n",
		},
		{
			name:       "stop app -o",
			args:       []string{"stop", "app", "a", "-o", "wide"},
			wantStderr: "error: unknown output format 'wide': use yaml, json, name, jsonpath=…, go-template=… or custom-columns=…\n",
		},
		{
			name:       "delete app -o",
			args:       []string{"delete", "app", "a", "-o", "json"},
			wantStderr: "error: unknown output format 'json': use name (or leave -o out)\n",
		},
		{
			name:       "delete app --timeout",
			args:       []string{"delete", "app", "a", "--wait", "--timeout", "-1s"},
			wantStderr: "error: --timeout must not be negative: -1s\n",
		},
		{
			name:       "delete app needs a cluster",
			args:       []string{"delete", "app", "a", "-n", "alice"},
			wantStderr: "error: reading the kubeconfig: no cluster in unit tests\n",
		},
		{
			name:       "show logs without APP",
			args:       []string{"show", "logs"},
			wantStderr: "error: the APP is required: kubectl lightning show logs APP [COMPONENT...] [--follow] [--tail N] [flags]\n",
		},
		{
			name:       "show logs --tail",
			args:       []string{"show", "logs", "a", "--tail", "-2"},
			wantStderr: "error: --tail must be -1 (every line) or a number of lines, not -2\n",
		},
		{
			name:       "show logs with a bad app name",
			args:       []string{"show", "logs", "a_b"},
			wantStderr: `error: Invalid app name 'a_b': an app name must contain only lowercase letters, digits and '-', start and end with a letter or digit, and be at most 63 characters (RFC 1123 label); did you mean "a-b"?` + "\n",
		},
		{
			name:       "cert -o",
			args:       []string{"cert", "-o", "jsn"},
			wantStderr: "error: unknown output format 'jsn': use pem, json or yaml (write to a file with -f FILE)\n",
		},
		{
			name:       "cert -o FILE and -f",
			args:       []string{"cert", "-o", "a.pem", "-f", "b.pem"},
			wantStderr: "error: unknown output format 'a.pem': use pem, json or yaml (write to a file with -f FILE)\n",
		},
		{
			// The deprecation is said with the keys written (cluster_test);
			// a failure stays one error line.
			name:       "cert -o FILE that fails",
			args:       []string{"cert", "-o", "lightning.pem"},
			wantStderr: "error: reading the kubeconfig: no cluster in unit tests\n",
		},
		{
			name:       "version -o",
			args:       []string{"version", "-o", "name"},
			wantStderr: "error: unknown output format 'name': use json or yaml (or leave -o out)\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(invocation{stdin: "value"}, tc.args...)
			if r.code != 1 || r.stdout != "" {
				t.Errorf("exit %d, stdout %q; want 1 and nothing", r.code, r.stdout)
			}
			if diff := cmp.Diff(tc.wantStderr, r.stderr); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

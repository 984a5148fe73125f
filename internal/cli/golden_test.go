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
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"

	"github.com/lightning-operator/lightning-operator/internal/cli"
	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// result is one in-process run of the CLI.
type result struct {
	stdout, stderr string
	code           int
}

// invocation configures one run.
type invocation struct {
	stdin    string
	terminal cmdutil.Terminal
	opts     cli.Options
	// kubeconfigFlags leaves cluster access to the kubeconfig flags.
	kubeconfigFlags bool
}

// errNoCluster is what unit tests get when a command reaches for a cluster.
var errNoCluster = errors.New("no cluster in unit tests")

// runCLI runs kubectl-lightning in-process with args. Unless inv sets a
// RESTConfig or kubeconfigFlags, any cluster access fails with errNoCluster.
func runCLI(inv invocation, args ...string) result {
	var out, errOut bytes.Buffer
	o := inv.opts
	o.Streams = genericiooptions.IOStreams{In: strings.NewReader(inv.stdin), Out: &out, ErrOut: &errOut}
	if o.RESTConfig == nil && !inv.kubeconfigFlags {
		o.RESTConfig = func() (*rest.Config, error) { return nil, errNoCluster }
	}
	if inv.terminal != nil {
		o.Terminal = inv.terminal
	}
	code := cli.Main(context.Background(), args, o)
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

// goldenCase is a `run app` command line and its expected manifest in
// testdata/<name>.golden. The envtest suite creates every one of them.
type goldenCase struct {
	name string
	args []string
}

const appFile = "/home/u/My_App/app.py"

var goldenCases = []goldenCase{
	{
		name: "run-app-lightning-example",
		args: []string{"run", "app", appFile, "--cloud", "--image", "registry.example/my-app:1.0",
			"--env", "FOO=bar", "--secret", "MY_APP_SECRET=my-secret", "-n", "alice"},
	},
	{
		name: "run-app-minimal",
		args: []string{"run", "app", appFile, "--image", "registry.example/my-app:1.0", "-n", "alice"},
	},
	{
		name: "run-app-full",
		args: []string{"run", "app", "/srv/apps/train.py", "--cloud", "--name", "trainer", "-n", "team-ml",
			"--image", "ghcr.io/acme/trainer@sha256:" + strings.Repeat("ab", 32),
			"--flow-compute", "flow-lite",
			"--work", "root.train=gpu-fast", "--work", "root.works.0", "--work", "root.serve=cpu-small",
			"--env", "DSN=postgres://u@db/x?sslmode=require&a=b", "--env", "EMPTY=", "--env", "MULTI=line 1\nline 2",
			"--env", "_lower_ok=1", "--env", "QUOTES='\"` $HOME",
			"--secret", "GITHUB_TOKEN=github-api-token", "--secret", "GH_TOKEN=github-api-token",
			"--secret", "WANDB_API_KEY=wandb.key"},
	},
	{
		name: "run-app-json",
		args: []string{"run", "app", appFile, "--cloud", "--image", "registry.example/my-app:1.0", "-o", "json",
			"--env", "A=<&>", "--secret", "S=my-secret", "--work", "root.work_a=gpu", "-n", "alice"},
	},
}

func TestGoldenManifests(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(invocation{}, tc.args...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			checkGolden(t, tc.name, r.stdout)
		})
	}
}

func goldenPath(name string) string { return filepath.Join("testdata", name+".golden") }

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := goldenPath(name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run 'go test ./internal/cli -run TestGolden -update' to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got); rerun with -update if intended:\n%s", path, diff)
	}
}

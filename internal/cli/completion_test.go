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
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lightning-operator/lightning-operator/test/builders"
)

// complete runs cobra's __complete as kubectl_complete-lightning does, with
// args before the word being completed, and returns the candidates and the
// directive line.
func complete(args ...string) (candidates []string, directive string) {
	GinkgoHelper()
	toComplete := args[len(args)-1]
	argv := append([]string{"__complete", "--kubeconfig=" + kubeconfig}, args[:len(args)-1]...)
	r := runCLI(invocation{kubeconfigFlags: true}, append(argv, toComplete)...)
	Expect(r.code).To(Equal(0), "stderr: %s", r.stderr)
	Expect(r.stderr).NotTo(ContainSubstring("error"))
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) == 1 {
		return nil, lines[0]
	}
	return lines[:len(lines)-1], lines[len(lines)-1]
}

var _ = Describe("completion", func() {
	It("completes apps, components, secrets, computes and namespaces from the cluster", func() {
		ns := newNamespace()
		createApp(builders.App("trainer", ns).Work("root.train").Work("root.serve").Obj(), nil)
		createApp(builders.App("server", ns).Obj(), nil)
		createApp(builders.App("other", ns).Obj(), nil)
		createSecret(ns, "github-api-token", "v")
		createSecret(ns, "wandb-key", "v")

		const noFile, noSpace, keepOrder, fileExt, failed = ":4", ":6", ":36", ":8", ":1"
		tests := []struct {
			args       []string
			candidates []string
			directive  string
		}{
			{[]string{"list", "apps", "-n", ns, ""}, []string{"other", "server", "trainer"}, noFile},
			{[]string{"list", "apps", "-n", ns, "other", "s"}, []string{"server"}, noFile},
			{[]string{"show", "logs", "-n", ns, ""}, []string{"other", "server", "trainer"}, noFile},
			{[]string{"show", "logs", "-n", ns, "trainer", ""}, []string{"root", "root.train", "root.serve"}, keepOrder},
			{[]string{"show", "logs", "-n", ns, "trainer", "root", "root.s"}, []string{"root.serve"}, keepOrder},
			{[]string{"show", "logs", "-n", ns, "nope", ""}, nil, failed},
			{[]string{"stop", "app", "-n", ns, "t"}, []string{"trainer"}, noFile},
			{[]string{"start", "app", "-n", ns, ""}, []string{"other", "server", "trainer"}, noFile},
			{[]string{"stop", "app", "-n", ns, "trainer", ""}, nil, noFile},
			{[]string{"delete", "app", "-n", ns, "o"}, []string{"other"}, noFile},
			{[]string{"secret", "delete", "-n", ns, ""}, []string{"github-api-token", "wandb-key"}, noFile},
			{[]string{"secret", "create", "-n", ns, "w"}, []string{"wandb-key"}, noFile},
			{[]string{"secret", "list", "-n", ns, ""}, []string{"github-api-token", "wandb-key"}, noFile},
			{[]string{"run", "app", "app.py", "-n", ns, "--secret", "GITHUB_TOKEN="}, []string{"GITHUB_TOKEN=github-api-token", "GITHUB_TOKEN=wandb-key"}, noFile},
			{[]string{"run", "app", "app.py", "-n", ns, "--secret=GITHUB_TOKEN=g"}, []string{"GITHUB_TOKEN=github-api-token"}, noFile},
			{[]string{"run", "app", "app.py", "-n", ns, "--secret", "GITHUB"}, nil, noSpace},
			{[]string{"run", "app", "app.py", "--work", "root.train=gpu"}, []string{"root.train=gpu", "root.train=gpu-fast", "root.train=gpu-fast-multi"}, noFile},
			{[]string{"run", "app", "app.py", "--flow-compute", "f"}, []string{"flow-lite"}, noFile},
			{[]string{"run", "app", ""}, []string{"py"}, fileExt},
			{[]string{"list", "apps", "-n", "cli-"}, nil, noFile}, // -n takes the next word; here ns is the value
			{[]string{"list", "apps", "--namespace", ns[:len(ns)-1]}, []string{ns}, noFile},
			{[]string{"secret", "list", "--operator-namespace", "lightning-sys"}, []string{"lightning-system"}, noFile},
			{[]string{"list", "apps", "-o", "w"}, []string{"wide"}, noSpace},
			{[]string{"run", "app", "app.py", "--dry-run="}, []string{"none", "client", "server"}, noFile},
			{[]string{"run", "app", "app.py", "--dry-run=s"}, []string{"server"}, noFile},
			{[]string{"delete", "app", "x", "--dry-run", ""}, []string{"none", "client", "server"}, noFile},
			{[]string{"cert", "-o", ""}, []string{"pem", "json", "yaml"}, noFile},
			{[]string{"version", "-o", ""}, []string{"json", "yaml"}, noFile},
			{[]string{"list", ""}, []string{"apps\tList Lightning Apps: their phase, readiness and secrets"}, noFile},
		}
		for _, tc := range tests {
			candidates, directive := complete(tc.args...)
			if tc.args[len(tc.args)-2] == "-n" && tc.args[len(tc.args)-1] == "cli-" {
				// -n cli-<TAB>: every test namespace, this one among them.
				Expect(candidates).To(ContainElement(ns), "%q", tc.args)
				Expect(directive).To(Equal(tc.directive), "%q", tc.args)
				continue
			}
			Expect(candidates).To(Equal(tc.candidates), "%q", tc.args)
			Expect(directive).To(Equal(tc.directive), "%q", tc.args)
		}
	})

	It("fails silently when the cluster is out of reach", func() {
		for _, args := range [][]string{
			{"list", "apps", ""},
			{"show", "logs", "my-app", ""},
			{"secret", "delete", ""},
			{"run", "app", "app.py", "--secret", "K="},
			{"list", "apps", "-n", ""},
		} {
			argv := append([]string{"__complete", "--server=https://127.0.0.1:1"}, args...)
			r := runCLI(invocation{kubeconfigFlags: true}, argv...)
			Expect(r.code).To(Equal(0), "%q", args)
			Expect(r.stdout).To(Equal(":1\n"), "%q", args)
			Expect(r.stderr).To(Equal("Completion ended with directive: ShellCompDirectiveError\n"), "%q", args)
		}
	})
})

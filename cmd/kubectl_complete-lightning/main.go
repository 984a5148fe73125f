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

// Command kubectl_complete-lightning completes `kubectl lightning` for
// kubectl: when the user presses TAB after `kubectl lightning`, kubectl runs
// `kubectl_complete-lightning __complete ARG...` from PATH and shows what it
// prints. It is kubectl-lightning's own root command, running cobra's
// __complete; install it next to kubectl-lightning.
package main

import (
	"context"
	"io"
	"os"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/lightning-operator/lightning-operator/internal/cli"
)

func main() {
	ctrllog.SetLogger(logr.Discard())
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run completes args; without the __complete that kubectl passes, it is
// added, so `kubectl_complete-lightning list ""` completes too.
func run(ctx context.Context, args []string, in io.Reader, out, errOut io.Writer) int {
	return cli.Main(ctx, completeArgs(args), cli.Options{
		Streams: genericiooptions.IOStreams{In: in, Out: out, ErrOut: errOut},
	})
}

func completeArgs(args []string) []string {
	if len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd) {
		return args
	}
	return append([]string{cobra.ShellCompRequestCmd}, args...)
}

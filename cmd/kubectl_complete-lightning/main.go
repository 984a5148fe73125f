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

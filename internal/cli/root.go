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

// Package cli is kubectl-lightning: it turns Lightning's
// `lightning run app app.py --cloud --env K=V --secret K=NAME` into a
// LightningApp manifest, and seals secret values into LightningSecrets that
// are safe to commit to git.
//
// The root command is built here by NewRootCommand with injectable streams,
// client configuration and terminal, so tests run it in-process against
// envtest. Its commands live in a package each, by the noun they act on,
// as kubectl's do: app, secret, cert, keyring and recovery, with what they
// share in cmdutil.
package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"

	"github.com/lightning-operator/lightning-operator/internal/cli/app"
	"github.com/lightning-operator/lightning-operator/internal/cli/cert"
	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
	"github.com/lightning-operator/lightning-operator/internal/cli/keyring"
	"github.com/lightning-operator/lightning-operator/internal/cli/recovery"
	"github.com/lightning-operator/lightning-operator/internal/cli/secret"
)

// Options configure a root command. The zero value uses the process's
// streams and terminal, and the kubeconfig flags.
type Options struct {
	// Streams are stdin, stdout and stderr.
	Streams genericiooptions.IOStreams
	// RESTConfig, when set, replaces the kubeconfig flags as the source of
	// the client configuration (tests inject envtest's config here).
	RESTConfig func() (*rest.Config, error)
	// Terminal reads a secret value without echo; nil uses the real
	// terminal when stdin is one.
	Terminal cmdutil.Terminal
	// Now is the clock for ages in tables; nil is time.Now.
	Now func() time.Time
	// Logs, when set, replaces client-go as the source of pod logs for
	// show logs (envtest runs no kubelet to serve them).
	Logs app.LogStreamer
}

func (o *Options) defaults() {
	if o.Streams.In == nil {
		o.Streams.In = os.Stdin
	}
	if o.Streams.Out == nil {
		o.Streams.Out = os.Stdout
	}
	if o.Streams.ErrOut == nil {
		o.Streams.ErrOut = os.Stderr
	}
	if o.Terminal == nil {
		o.Terminal = cmdutil.StdinTerminal(o.Streams.In, o.Streams.ErrOut)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

const (
	rootLong = `kubectl lightning turns Lightning's "lightning run app" into LightningApp manifests,
and seals secret values into LightningSecrets that are safe to commit to git.

Values are sealed on this machine with the operator's public key; only the
operator can open them, and only under the secret's own name and namespace.

The cluster is found as kubectl finds it (--kubeconfig, --context, -n); kubectl's other
connection flags work too (--server, --token, --certificate-authority, ...).`

	rootExample = `  # Print the LightningApp for a Lightning command line
  kubectl lightning run app app.py --cloud --image registry.example/my-app:1.0 \
    --env FOO=bar --secret MY_APP_SECRET=my-secret

  # Seal a secret value typed at a prompt, and apply it
  kubectl lightning secret create my-secret --apply

  # List the secrets of every namespace
  kubectl lightning secret list -A

  # List the apps, follow their logs, stop one
  kubectl lightning list apps
  kubectl lightning show logs my-app --follow
  kubectl lightning stop app my-app`
)

// NewRootCommand builds `kubectl lightning` and its subcommands.
func NewRootCommand(o Options) *cobra.Command {
	o.defaults()
	f := &cmdutil.Factory{
		IOStreams:      o.Streams,
		Terminal:       o.Terminal,
		Now:            o.Now,
		UserAgent:      "kubectl-lightning/" + buildVersion(),
		ConfigFlags:    genericclioptions.NewConfigFlags(false),
		RESTConfigFunc: o.RESTConfig,
	}
	f.ConfigFlags.CacheDir = nil // no discovery cache: the client maps kinds lazily
	root := cmdutil.GroupCommand(&cobra.Command{
		Use:     "kubectl-lightning",
		Short:   "Run Lightning Apps with encrypted secrets on Kubernetes",
		Long:    rootLong,
		Example: rootExample,
		Annotations: map[string]string{
			cobra.CommandDisplayNameAnnotation: "kubectl lightning",
		},
		SilenceUsage:  true,
		SilenceErrors: true,
		// kubectl runs kubectl_complete-lightning for completion; the
		// completion command is for kubectl-lightning run directly.
		CompletionOptions: cobra.CompletionOptions{},
	}, commands(f, o.Logs)...)
	root.SetIn(o.Streams.In)
	root.SetOut(o.Streams.Out)
	root.SetErr(o.Streams.ErrOut)
	root.SetFlagErrorFunc(flagError)
	addGlobalFlags(f, root)
	registerRootCompletion(f, root)
	return root
}

// commands are the commands of kubectl lightning, by the noun they act on.
func commands(f *cmdutil.Factory, logs app.LogStreamer) []*cobra.Command {
	return []*cobra.Command{
		app.NewRunCommand(f),
		app.NewListCommand(f),
		app.NewShowCommand(f, logs),
		app.NewStopCommand(f),
		app.NewStartCommand(f),
		app.NewDeleteCommand(f),
		secret.NewCommand(f),
		cert.NewCommand(f),
		keyring.NewCommand(f),
		recovery.NewCommand(f),
		newVersionCommand(f),
	}
}

// addGlobalFlags adds the flags of every command: kubectl's connection
// flags and --operator-namespace.
func addGlobalFlags(f *cmdutil.Factory, root *cobra.Command) {
	f.ConfigFlags.AddFlags(root.PersistentFlags())
	// kubectl keeps its connection flags out of every help page; show the
	// everyday ones and keep the rest working but hidden.
	for _, name := range []string{"as-uid", "as-user-extra", "certificate-authority", "client-certificate",
		"client-key", "disable-compression", "insecure-skip-tls-verify", "proxy-url", "server", "tls-server-name", "token"} {
		_ = root.PersistentFlags().MarkHidden(name)
	}
	root.PersistentFlags().StringVar(&f.OperatorNamespace, "operator-namespace", cmdutil.DefaultOperatorNamespace,
		"Namespace of lightning-operator, where it publishes its public keys and keeps its keyring.")
}

// Main runs the CLI with args (without the program name) and returns the
// exit code: 0, or 1 after printing "error: …" as one line on stderr.
func Main(ctx context.Context, args []string, o Options) int {
	o.defaults()
	root := NewRootCommand(o)
	if args == nil {
		args = []string{} // nil would make cobra read os.Args
	}
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(o.Streams.ErrOut, "error: "+cmdutil.OneLine(err))
		return 1
	}
	return 0
}

// flagError adds where to find help to cobra's flag errors, on one line.
func flagError(cmd *cobra.Command, err error) error {
	return fmt.Errorf("%w (see '%s --help')", err, cmd.CommandPath())
}

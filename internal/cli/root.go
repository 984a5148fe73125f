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
// The commands are built by NewRootCommand with injectable streams, client
// configuration and terminal, so tests run them in-process against envtest.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"

	"github.com/lightning-operator/lightning-operator/internal/keysecret"
)

// FieldManager owns the fields kubectl-lightning applies (server-side apply).
const FieldManager = "kubectl-lightning"

// DefaultOperatorNamespace is where the operator publishes its public keys.
const DefaultOperatorNamespace = "lightning-system"

// PublicKeysConfigMap is the ConfigMap, in the operator's namespace, that
// publishes the sealing public keys.
const PublicKeysConfigMap = keysecret.DefaultConfigMapName

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
	Terminal Terminal
	// Now is the clock for ages in tables; nil is time.Now.
	Now func() time.Time
	// Logs, when set, replaces client-go as the source of pod logs for
	// show logs (envtest runs no kubelet to serve them).
	Logs LogStreamer
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
		o.Terminal = stdinTerminal(o.Streams.In, o.Streams.ErrOut)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// env is what every command shares: streams, clock and cluster access.
type env struct {
	Options
	config            *genericclioptions.ConfigFlags
	operatorNamespace string
}

// NewRootCommand builds `kubectl lightning` and its subcommands.
func NewRootCommand(o Options) *cobra.Command {
	o.defaults()
	e := &env{Options: o, config: genericclioptions.NewConfigFlags(false)}
	e.config.CacheDir = nil // no discovery cache: the client maps kinds lazily

	root := &cobra.Command{
		Use:   "kubectl-lightning",
		Short: "Run Lightning Apps with encrypted secrets on Kubernetes",
		Long: `kubectl lightning turns Lightning's "lightning run app" into LightningApp manifests,
and seals secret values into LightningSecrets that are safe to commit to git.

Values are sealed on this machine with the operator's public key; only the
operator can open them, and only under the secret's own name and namespace.

The cluster is found as kubectl finds it (--kubeconfig, --context, -n); kubectl's other
connection flags work too (--server, --token, --certificate-authority, ...).`,
		Example: `  # Print the LightningApp for a Lightning command line
  kubectl lightning run app app.py --cloud --image registry.example/my-app:1.0 \
    --env FOO=bar --secret MY_APP_SECRET=my-secret

  # Seal a secret value typed at a prompt, and apply it
  kubectl lightning secret create my-secret --apply

  # List the secrets of every namespace
  kubectl lightning secret list -A

  # List the apps, follow their logs, stop one
  kubectl lightning list apps
  kubectl lightning show logs my-app --follow
  kubectl lightning stop app my-app`,
		Annotations: map[string]string{
			cobra.CommandDisplayNameAnnotation: "kubectl lightning",
		},
		SilenceUsage:  true,
		SilenceErrors: true,
		// kubectl runs kubectl_complete-lightning for completion; the
		// completion command is for kubectl-lightning run directly.
		CompletionOptions: cobra.CompletionOptions{},
		Args:              noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	root.SetIn(o.Streams.In)
	root.SetOut(o.Streams.Out)
	root.SetErr(o.Streams.ErrOut)
	root.SetFlagErrorFunc(flagError)

	e.config.AddFlags(root.PersistentFlags())
	// kubectl keeps its connection flags out of every help page; show the
	// everyday ones and keep the rest working but hidden.
	for _, name := range []string{"as-uid", "as-user-extra", "certificate-authority", "client-certificate",
		"client-key", "disable-compression", "insecure-skip-tls-verify", "proxy-url", "server", "tls-server-name", "token"} {
		_ = root.PersistentFlags().MarkHidden(name)
	}
	root.PersistentFlags().StringVar(&e.operatorNamespace, "operator-namespace", DefaultOperatorNamespace,
		"Namespace of lightning-operator, where it publishes its public keys and keeps its keyring.")

	root.AddCommand(
		newRunCommand(e),
		newListCommand(e),
		newShowCommand(e),
		newStopCommand(e),
		newStartCommand(e),
		newDeleteCommand(e),
		newSecretCommand(e),
		newCertCommand(e),
		newKeyringCommand(e),
		newRecoveryKeyCommand(e),
		newVersionCommand(e),
	)
	registerRootCompletion(e, root)
	return root
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
		fmt.Fprintln(o.Streams.ErrOut, "error: "+oneLine(err))
		return 1
	}
	return 0
}

// oneLine makes an error message one line, whatever its source.
func oneLine(err error) string {
	if errors.Is(err, context.Canceled) {
		return "interrupted"
	}
	msg := strings.Map(func(r rune) rune {
		switch r {
		case '\n', '\r', '\v', '\f', '\u0085', '\u2028', '\u2029':
			return ' '
		}
		return r
	}, err.Error())
	return strings.TrimSpace(msg)
}

// flagError adds where to find help to cobra's flag errors, on one line.
func flagError(cmd *cobra.Command, err error) error {
	return fmt.Errorf("%w (see '%s --help')", err, cmd.CommandPath())
}

// noArgs refuses arguments to a command that takes none, naming them.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		hint := ""
		if cmd.SuggestionsMinimumDistance <= 0 {
			cmd.SuggestionsMinimumDistance = 2
		}
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			hint = fmt.Sprintf("; did you mean %q?", s[0])
		}
		return fmt.Errorf("unknown command '%s' for '%s'%s (see '%s --help')", show(args[0]), cmd.CommandPath(), hint, cmd.CommandPath())
	}
	return nil
}

// exactArgs wants n arguments, and says which with usage when they are missing.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < n:
			return fmt.Errorf("%s is required: %s", what, cmd.UseLine())
		case len(args) > n:
			return fmt.Errorf("unexpected argument '%s': %s", show(args[n]), cmd.UseLine())
		}
		return nil
	}
}

func (e *env) out() io.Writer    { return e.Streams.Out }
func (e *env) errOut() io.Writer { return e.Streams.ErrOut }

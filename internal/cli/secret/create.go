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

package secret

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

type createOptions struct {
	f          *cmdutil.Factory
	fromFile   string
	certs      []string
	recipients []string
	output     *cmdutil.PrintFlags
	dryRun     cmdutil.DryRun
	apply      bool
	overwrite  bool
	raw        bool
	name       string
}

const (
	createLong = `Seal a secret value into a LightningSecret, for GitOps or to apply.

The value is read from stdin, from a prompt that does not echo when stdin is a
terminal, or from --from-file. It is never a flag, so it stays out of the shell
history. One trailing newline is dropped from stdin (echo adds one); --from-file
keeps the file's bytes exactly ('--from-file -' reads stdin exactly).

The value is sealed on this machine, once, to every recipient (at most 8):

  - the operator's current public key, read from the cluster (ConfigMap
    lightning-operator-public-keys in --operator-namespace), and the default
    recipients the cluster publishes beside it (an offline recovery key);
  - or, offline, the current key of each --cert FILE (saved with 'kubectl lightning
    cert'): one --cert per cluster the value is for;
  - and every key in each --recipient FILE (a recovery key's .pub).

Which keys, by ID, is said on stderr; stdout is the manifest, or with --raw the
envelope alone (spec.encryptedValue, without a newline) for templating into other
manifests. The value opens only as this NAME in this namespace, either way.

The value must be one an environment variable can carry, since that is how it
reaches an app's processes; anything else is refused, and nothing is written:
  - no NUL byte (an env string ends at its first NUL);
  - at most 131069 bytes: Linux passes at most 131072 bytes (MAX_ARG_STRLEN) for
    NAME=value with its NUL, and 131069 is what fits under a one-character NAME.
    An app checks the exact rule for its own names: len(NAME) + 1 + len(value) + 1
    <= 131072, and all of its env together within a container's limit.`

	createExample = `  # Seal a value typed at a hidden prompt, and print the manifest
  kubectl lightning secret create my-secret -n alice

  # Seal from stdin offline, with a saved public key, into a file for git
  kubectl lightning cert -f lightning.pem
  printf '%s' "$TOKEN" | kubectl lightning secret create github-api-token \
    -n alice --cert lightning.pem > github-api-token.yaml

  # Seal once for two clusters, offline, with each cluster's saved public keys
  kubectl lightning secret create github-api-token -n alice \
    --cert prod.pem --cert staging.pem < token.txt > github-api-token.yaml

  # Seal a file's content and apply the LightningSecret
  kubectl lightning secret create ssh-key --from-file ~/.ssh/id_ed25519 --apply

  # Replace the value of an existing secret
  kubectl lightning secret create my-secret --apply --overwrite

  # Only the envelope, for a template or another tool's manifest
  kubectl lightning secret create github-api-token -n alice --cert lightning.pem --raw < token.txt`
)

func newCreateCommand(f *cmdutil.Factory) *cobra.Command {
	o := &createOptions{f: f, output: cmdutil.NewPrintFlags(false)}
	cmd := &cobra.Command{
		Use:               "create NAME [--from-file FILE] [--cert FILE]... [--recipient FILE]... [--apply | --raw]",
		Short:             "Seal a secret value into a LightningSecret",
		Long:              createLong,
		Example:           createExample,
		Args:              cmdutil.ExactArgs(1, "the secret's NAME"),
		ValidArgsFunction: completeNames(f, 1),
		RunE:              cmdutil.RunE(o),
	}
	fl := cmd.Flags()
	fl.StringVar(&o.fromFile, "from-file", "", "Read the value from this file, byte for byte ('-' for stdin).")
	fl.StringArrayVar(&o.certs, "cert", nil, "Seal offline to the current key of this PEM file (from 'kubectl lightning cert'; its last key). Repeat for several clusters.")
	fl.StringArrayVar(&o.recipients, "recipient", nil, "Also seal to every public key in this PEM file (such as a recovery key's .pub). Repeats.")
	o.output.AddFlags(cmd, "the manifest as YAML; with --apply, a line saying what changed (-o prints the applied object)")
	fl.BoolVar(&o.apply, "apply", false, "Create the LightningSecret in the cluster with server-side apply.")
	fl.BoolVar(&o.overwrite, "overwrite", false, "With --apply, replace the value of an existing secret.")
	fl.BoolVar(&o.raw, "raw", false, "Print only the envelope (the value of spec.encryptedValue), without a newline, instead of the manifest. It still opens only as NAME in the namespace.")
	cmdutil.AddDryRunFlag(cmd, &o.dryRun, "none, client or server. server: the apiserver checks and admits the LightningSecret without storing it. client: nothing is sent; with --apply, refused (server-side apply has no client dry run).")
	return cmd
}

func (o *createOptions) Complete(_ *cobra.Command, args []string) error {
	o.name = args[0]
	return nil
}

func (o *createOptions) Validate() error {
	if err := cmdutil.ValidateSecretName(o.name); err != nil {
		return err
	}
	if err := o.output.Validate(); err != nil {
		return err
	}
	switch {
	case o.overwrite && !o.apply:
		return fmt.Errorf("--overwrite needs --apply")
	case o.raw && o.apply:
		return fmt.Errorf("--raw prints the envelope and --apply creates the LightningSecret: choose one")
	case o.raw && o.output.Format() != "":
		return fmt.Errorf("--raw prints the envelope alone: it takes no -o")
	case o.apply && o.dryRun == cmdutil.DryRunClient:
		return cmdutil.ErrClientDryRunApply
	}
	return nil
}

func (o *createOptions) Run(ctx context.Context) (err error) {
	ns, err := o.f.Namespace()
	if err != nil {
		return err
	}
	// The keys first, so that nothing is typed in before a failure.
	var c client.Client
	if o.apply || len(o.certs) == 0 || o.dryRun == cmdutil.DryRunServer {
		if c, err = o.f.Client(); err != nil {
			return err
		}
	}
	pubs, defaults, err := o.sealingKeys(ctx, c)
	if err != nil {
		return err
	}
	if o.apply && !o.overwrite {
		if err := o.refuseExisting(ctx, c, ns); err != nil {
			return err
		}
	}
	envelope, err := o.seal(ctx, ns, pubs)
	if err != nil {
		return err
	}
	// Said once the output is written, on stderr: stdout is the manifest.
	defer func() {
		if err == nil {
			o.sealedTo(pubs, defaults)
		}
	}()
	return o.write(ctx, c, ns, envelope)
}

// refuseExisting refuses to apply over a LightningSecret that is there.
func (o *createOptions) refuseExisting(ctx context.Context, c client.Client, ns string) error {
	err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: o.name}, &lightningv1alpha1.LightningSecret{})
	switch {
	case err == nil:
		return fmt.Errorf("secret '%s' already exists in namespace '%s'; use --overwrite to replace its value", o.name, ns)
	case !apierrors.IsNotFound(err):
		return cmdutil.APIError(err)
	}
	return nil
}

// seal reads the value and seals it to pubs, bound to ns and the name.
func (o *createOptions) seal(ctx context.Context, ns string, pubs *recipients) (string, error) {
	value, err := o.readValue(ctx, o.name)
	if err != nil {
		return "", err
	}
	envelope, err := sealing.SealTo(pubs.keys, sealing.Scope{Namespace: ns, Name: o.name}, value)
	clear(value)
	if err != nil {
		return "", fmt.Errorf("sealing the value: %w", err)
	}
	return envelope, nil
}

// write prints the LightningSecret of envelope (or the envelope alone), or
// applies it.
func (o *createOptions) write(ctx context.Context, c client.Client, ns, envelope string) error {
	m, err := cmdutil.Manifest(NewSecret(ns, o.name, envelope))
	if err != nil {
		return err
	}
	serverDryRun := o.dryRun == cmdutil.DryRunServer
	if o.apply {
		u, result, err := cmdutil.Apply(ctx, c, m, o.overwrite, serverDryRun)
		if err != nil {
			return err
		}
		return o.output.PrintAction(o.f.Out, string(result)+o.dryRun.Suffix(), u)
	}
	if serverDryRun {
		// Only the apiserver's checks matter here: take any field over.
		if _, _, err := cmdutil.Apply(ctx, c, m, true, true); err != nil {
			return err
		}
	}
	if o.raw {
		_, err := io.WriteString(o.f.Out, envelope)
		return err
	}
	return o.output.PrintObject(o.f.Out, &unstructured.Unstructured{Object: m})
}

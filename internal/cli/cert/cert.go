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

// Package cert is kubectl-lightning's cert command: the operator's public
// keys, for sealing offline.
package cert

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

// formatPEM is cert's default output.
const formatPEM = "pem"

// Key is one public key in `cert -o json|yaml`.
type Key struct {
	KeyID string `json:"keyID"`
	Suite string `json:"suite"`
	PEM   string `json:"pem"`
}

// Output is what `cert -o json|yaml` prints: the keys oldest first, and
// the current one, the key `secret create` seals to.
type Output struct {
	CurrentKeyID string `json:"currentKeyID"`
	Keys         []Key  `json:"keys"`
}

type options struct {
	f      *cmdutil.Factory
	output string
	file   string
	// From Complete: -o and -f, with the old -o FILE and -o - taken as they
	// were meant, and the warning that the old -o FILE gets.
	format, path, deprecated string
}

const (
	certLong = `Print the operator's public sealing keys, read from the ConfigMap
lightning-operator-public-keys in --operator-namespace: as PEM (the default), or as
JSON or YAML with each key's ID, suite and PEM. The last key is the current one:
'secret create --cert FILE' seals to it without contacting the cluster.

Older keys are listed too: the operator keeps them to open values sealed before a
rotation. Public keys are not secret; the file may be committed.`

	certExample = `  # Save the public keys, then seal offline
  kubectl lightning cert -f lightning.pem
  kubectl lightning secret create my-secret -n alice --cert lightning.pem < value.txt

  # The key IDs, for a script
  kubectl lightning cert -o json

  # The operator runs in another namespace
  kubectl lightning cert --operator-namespace lightning`
)

// NewCommand is `cert`.
func NewCommand(f *cmdutil.Factory) *cobra.Command {
	o := &options{f: f}
	cmd := &cobra.Command{
		Use:     "cert [-o pem|json|yaml] [-f FILE]",
		Short:   "Print the operator's public keys, for sealing offline",
		Long:    certLong,
		Example: certExample,
		Args:    cmdutil.NoArgs,
		RunE:    cmdutil.RunE(o),
	}
	cmd.Flags().StringVarP(&o.output, "output", "o", formatPEM, "Output format: pem, json or yaml.")
	cmd.Flags().StringVarP(&o.file, "file", "f", "", "Write the output to FILE instead of stdout.")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{formatPEM, cmdutil.FormatJSON, cmdutil.FormatYAML}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (o *options) Complete(*cobra.Command, []string) error {
	o.format, o.path = o.output, o.file
	switch o.format {
	case formatPEM, cmdutil.FormatJSON, cmdutil.FormatYAML:
	case "-":
		// The old -o -: stdout, as PEM.
		o.format = formatPEM
	default:
		// The old -o FILE, kept while it cannot be taken for a format.
		if !strings.ContainsAny(o.format, "./") || o.path != "" {
			return fmt.Errorf("unknown output format '%s': use pem, json or yaml (write to a file with -f FILE)", cmdutil.Show(o.format))
		}
		// Said once the keys are written: a failure stays one error line.
		o.deprecated = fmt.Sprintf("Warning: 'cert -o FILE' is deprecated: -o is the output format now; use 'cert -f %s'.\n", cmdutil.Show(o.format))
		o.format, o.path = formatPEM, o.format
	}
	if o.path == "-" {
		o.path = ""
	}
	return nil
}

func (o *options) Validate() error { return nil }

func (o *options) Run(ctx context.Context) error {
	c, err := o.f.Client()
	if err != nil {
		return err
	}
	keys, err := o.f.PublishedKeys(ctx, c)
	if err != nil {
		return err
	}
	b, err := encode(keys.All, o.format)
	if err != nil {
		return err
	}
	if o.path == "" {
		_, err = o.f.Out.Write(b)
		return err
	}
	if err := os.WriteFile(o.path, b, 0o644); err != nil {
		return fmt.Errorf("writing the public keys: %w", err)
	}
	fmt.Fprintf(o.f.ErrOut, "%sWrote %d public key(s) to %s; the current key is %s.\n", o.deprecated, len(keys.All), o.path, keys.Current.ID())
	return nil
}

// encode writes the public keys as PEM, JSON or YAML.
func encode(keys []*sealing.PublicKey, format string) ([]byte, error) {
	if format == formatPEM {
		return sealing.EncodePublicKeysPEM(keys), nil
	}
	out := Output{CurrentKeyID: keys[len(keys)-1].ID(), Keys: []Key{}}
	for _, k := range keys {
		out.Keys = append(out.Keys, Key{
			KeyID: k.ID(),
			Suite: sealing.Suite,
			PEM:   string(sealing.EncodePublicKeysPEM([]*sealing.PublicKey{k})),
		})
	}
	var b []byte
	var err error
	if format == cmdutil.FormatJSON {
		b, err = json.MarshalIndent(out, "", "    ")
		b = append(b, '\n')
	} else {
		b, err = yaml.Marshal(out)
	}
	if err != nil {
		return nil, fmt.Errorf("printing the public keys: %w", err)
	}
	return b, nil
}

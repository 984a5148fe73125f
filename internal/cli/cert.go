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

package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

// formatPEM is cert's default output.
const formatPEM = "pem"

type certOptions struct {
	*env
	output string
	file   string
}

// CertKey is one public key in `cert -o json|yaml`.
type CertKey struct {
	KeyID string `json:"keyID"`
	Suite string `json:"suite"`
	PEM   string `json:"pem"`
}

// CertOutput is what `cert -o json|yaml` prints: the keys oldest first, and
// the current one, the key `secret create` seals to.
type CertOutput struct {
	CurrentKeyID string    `json:"currentKeyID"`
	Keys         []CertKey `json:"keys"`
}

func newCertCommand(e *env) *cobra.Command {
	o := &certOptions{env: e}
	cmd := &cobra.Command{
		Use:   "cert [-o pem|json|yaml] [-f FILE]",
		Short: "Print the operator's public keys, for sealing offline",
		Long: `Print the operator's public sealing keys, read from the ConfigMap
lightning-operator-public-keys in --operator-namespace: as PEM (the default), or as
JSON or YAML with each key's ID, suite and PEM. The last key is the current one:
'secret create --cert FILE' seals to it without contacting the cluster.

Older keys are listed too: the operator keeps them to open values sealed before a
rotation. Public keys are not secret; the file may be committed.`,
		Example: `  # Save the public keys, then seal offline
  kubectl lightning cert -f lightning.pem
  kubectl lightning secret create my-secret -n alice --cert lightning.pem < value.txt

  # The key IDs, for a script
  kubectl lightning cert -o json

  # The operator runs in another namespace
  kubectl lightning cert --operator-namespace lightning`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd)
		},
	}
	cmd.Flags().StringVarP(&o.output, "output", "o", formatPEM, "Output format: pem, json or yaml.")
	cmd.Flags().StringVarP(&o.file, "file", "f", "", "Write the output to FILE instead of stdout.")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{formatPEM, formatJSON, formatYAML}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (o *certOptions) run(cmd *cobra.Command) error {
	format, file, deprecated := o.output, o.file, ""
	switch format {
	case formatPEM, formatJSON, formatYAML:
	case "-":
		// The old -o -: stdout, as PEM.
		format = formatPEM
	default:
		// The old -o FILE, kept while it cannot be taken for a format.
		if !strings.ContainsAny(format, "./") || file != "" {
			return fmt.Errorf("unknown output format '%s': use pem, json or yaml (write to a file with -f FILE)", show(format))
		}
		// Said once the keys are written: a failure stays one error line.
		deprecated = fmt.Sprintf("Warning: 'cert -o FILE' is deprecated: -o is the output format now; use 'cert -f %s'.\n", show(format))
		format, file = formatPEM, format
	}
	if file == "-" {
		file = ""
	}
	c, err := o.client()
	if err != nil {
		return err
	}
	_, all, err := o.publicKeys(cmd.Context(), c)
	if err != nil {
		return err
	}
	b, err := encodeCert(all, format)
	if err != nil {
		return err
	}
	if file == "" {
		_, err = o.out().Write(b)
		return err
	}
	if err := os.WriteFile(file, b, 0o644); err != nil {
		return fmt.Errorf("writing the public keys: %w", err)
	}
	fmt.Fprintf(o.errOut(), "%sWrote %d public key(s) to %s; the current key is %s.\n", deprecated, len(all), file, all[len(all)-1].ID())
	return nil
}

// encodeCert writes the public keys as PEM, JSON or YAML.
func encodeCert(keys []*sealing.PublicKey, format string) ([]byte, error) {
	if format == formatPEM {
		return sealing.EncodePublicKeysPEM(keys), nil
	}
	out := CertOutput{CurrentKeyID: keys[len(keys)-1].ID(), Keys: []CertKey{}}
	for _, k := range keys {
		out.Keys = append(out.Keys, CertKey{
			KeyID: k.ID(),
			Suite: sealing.Suite,
			PEM:   string(sealing.EncodePublicKeysPEM([]*sealing.PublicKey{k})),
		})
	}
	var b []byte
	var err error
	if format == formatJSON {
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

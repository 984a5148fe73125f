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
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
	"github.com/lightning-operator/lightning-operator/internal/cli/recovery"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

type recoverOptions struct {
	f          *cmdutil.Factory
	file       string
	keyFile    string
	outputFile string
	stdout     bool
}

const (
	recoverLong = `Open the value of a LightningSecret manifest (YAML or JSON, as 'secret create' prints
it or git holds it) with a recovery key from 'recovery-key generate', on this machine,
without any cluster: for when the cluster and its keyring backups are gone.

The value opens only as the manifest's own namespace and name, which it was sealed for.
It is written to --output-file OUT, created with mode 0600 (never overwritten), or, only
when asked with --stdout, to stdout. Seal it again for a new cluster with
'secret create NAME -n NS --from-file OUT', then delete OUT.`

	recoverExample = `  # Recover a value into a file only you can read
  kubectl lightning secret recover -f github-api-token.yaml --recovery-key recovery.key --output-file token.txt

  # Re-seal it straight to a new cluster
  kubectl lightning secret recover -f github-api-token.yaml --recovery-key recovery.key --stdout |
    kubectl lightning secret create github-api-token -n alice --from-file - --apply`
)

func newRecoverCommand(f *cmdutil.Factory) *cobra.Command {
	o := &recoverOptions{f: f}
	cmd := &cobra.Command{
		Use:     "recover -f MANIFEST --recovery-key FILE (--output-file OUT | --stdout)",
		Short:   "Open a LightningSecret manifest offline with a recovery key",
		Long:    recoverLong,
		Example: recoverExample,
		Args:    cmdutil.NoArgs,
		RunE:    cmdutil.RunE(o),
	}
	fl := cmd.Flags()
	fl.StringVarP(&o.file, "filename", "f", "", "The LightningSecret manifest whose value to open (required).")
	fl.StringVar(&o.keyFile, "recovery-key", "", "The recovery private key file from 'recovery-key generate' (required).")
	fl.StringVar(&o.outputFile, "output-file", "", "Write the value to this new file, with mode 0600.")
	fl.BoolVar(&o.stdout, "stdout", false, "Write the value to stdout, byte for byte.")
	return cmd
}

func (o *recoverOptions) Complete(*cobra.Command, []string) error { return nil }

func (o *recoverOptions) Validate() error {
	switch {
	case o.file == "":
		return fmt.Errorf("-f MANIFEST is required: the LightningSecret manifest whose value to open")
	case o.keyFile == "":
		return fmt.Errorf("--recovery-key FILE is required: the recovery private key from 'kubectl lightning recovery-key generate'")
	case o.outputFile == "-":
		return fmt.Errorf("--output-file -: to write the value to stdout, say --stdout")
	case o.outputFile != "" && o.stdout:
		return fmt.Errorf("--output-file and --stdout are exclusive: the value goes to one place")
	case o.outputFile == "" && !o.stdout:
		return fmt.Errorf("say where the value goes: --output-file FILE (created with mode 0600), or --stdout")
	}
	return nil
}

func (o *recoverOptions) Run(context.Context) error {
	if o.outputFile != "" {
		if _, err := os.Lstat(o.outputFile); err == nil {
			return fmt.Errorf("%s already exists: the value is never written over a file; choose another --output-file", o.outputFile)
		}
	}
	s, err := readSecretManifest(o.file)
	if err != nil {
		return err
	}
	key, err := recovery.ReadKey(o.keyFile, o.f.ErrOut)
	if err != nil {
		return err
	}
	plain, err := o.open(s, key)
	if err != nil {
		return err
	}
	defer clear(plain)
	where, err := o.write(plain)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(o.f.ErrOut, "Recovered the value of LightningSecret %s/%s (%d bytes) with recovery key %s to %s\n", s.Namespace, s.Name, len(plain), key.ID(), where)
	return err
}

// open opens the value of s with the recovery key, as s's own namespace
// and name.
func (o *recoverOptions) open(s *lightningv1alpha1.LightningSecret, key *sealing.PrivateKey) ([]byte, error) {
	what := fmt.Sprintf("LightningSecret %s/%s", s.Namespace, s.Name)
	env, err := sealing.ParseEnvelope(s.Spec.EncryptedValue)
	if err != nil {
		return nil, fmt.Errorf("%s in %s does not hold a sealed value (%s): %w", what, o.file, sealing.Reason(err), err)
	}
	if !slices.Contains(env.KeyIDs, key.ID()) {
		return nil, fmt.Errorf("%s in %s is sealed to %s %s, not to recovery key %s: it was sealed before the cluster published the recovery key, or offline without --recipient",
			what, o.file, keysWord(len(env.KeyIDs)), strings.Join(env.KeyIDs, ", "), key.ID())
	}
	plain, err := sealing.Open(oneKey{key}, sealing.Scope{Namespace: s.Namespace, Name: s.Name}, s.Spec.EncryptedValue)
	if err != nil {
		return nil, fmt.Errorf("%s in %s does not open with recovery key %s (%s): %w", what, o.file, key.ID(), sealing.Reason(err), err)
	}
	return plain, nil
}

// write writes the value where it was asked to go, and says where.
func (o *recoverOptions) write(plain []byte) (string, error) {
	if o.stdout {
		if _, err := o.f.Out.Write(plain); err != nil {
			return "", fmt.Errorf("writing the value to stdout: %w", err)
		}
		return "stdout", nil
	}
	if err := cmdutil.WriteNewFile(o.outputFile, plain, 0o600); err != nil {
		return "", fmt.Errorf("writing the value: %w", err)
	}
	return o.outputFile + " (mode 0600)", nil
}

// oneKey is a sealing.KeyLookup of a single key.
type oneKey struct{ key *sealing.PrivateKey }

func (k oneKey) PrivateKey(id string) (*sealing.PrivateKey, bool) {
	if id != k.key.ID() {
		return nil, false
	}
	return k.key, true
}

// readSecretManifest reads one LightningSecret from a YAML or JSON file:
// the namespace and name its value is bound to, and the value.
func readSecretManifest(path string) (*lightningv1alpha1.LightningSecret, error) {
	var sm secretManifest
	if err := manifestFile.ReadFile(path, &sm); err != nil {
		return nil, err
	}
	switch {
	case sm.Metadata.Name == "":
		return nil, fmt.Errorf("%s: the LightningSecret has no metadata.name, which its value is bound to", path)
	case sm.Metadata.Namespace == "":
		return nil, fmt.Errorf("%s: the LightningSecret has no metadata.namespace, which its value is bound to", path)
	case sm.Spec.EncryptedValue == "":
		return nil, fmt.Errorf("%s: the LightningSecret has no spec.encryptedValue", path)
	}
	if err := cmdutil.ValidateSecretName(sm.Metadata.Name); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := cmdutil.ValidateNamespace(sm.Metadata.Namespace); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return NewSecret(sm.Metadata.Namespace, sm.Metadata.Name, sm.Spec.EncryptedValue), nil
}

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

// Package recovery is kubectl-lightning's recovery-key command, and the
// recovery key file it writes and 'secret recover' reads.
package recovery

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

const (
	recoveryLong = `Make an offline recovery key. Its public half, given to the operator with
--default-recipients-file, is published beside the sealing keys, and 'secret create'
seals every value to it as well; its private half, kept offline, opens those values
with 'secret recover' when every cluster and keyring backup is gone.`
)

// NewCommand is `recovery-key`, which holds `recovery-key generate`.
func NewCommand(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.GroupCommand(&cobra.Command{
		Use:   "recovery-key",
		Short: "Make an offline recovery key that opens values without any cluster",
		Long:  recoveryLong,
	}, newGenerateCommand(f))
}

type generateOptions struct {
	f          *cmdutil.Factory
	file       string
	publicFile string
	// pub is where the public key goes: --public-file, or FILE.pub.
	pub string
}

const (
	generateLong = `Write a new recovery key pair, made on this machine with no cluster:

  - FILE: the private key, a PEM block "LIGHTNING RECOVERY PRIVATE KEY" with its Key-Id,
    created with mode 0600. It opens every value sealed to it: keep it offline (a safe,
    an HSM-backed vault), like a root credential.
  - FILE.pub (or --public-file): the public key, in the format of 'kubectl lightning
    cert', mode 0644. Give it to the operator (--default-recipients-file FILE.pub) so that
    every value sealed against the cluster opens with the recovery key too, or seal to it
    with 'secret create --recipient FILE.pub'.

Neither file is ever overwritten, and the private key is never printed. How to publish
the public key and recover with the private one: docs/operations.md, "Recovery key".`

	generateExample = `  # Make the recovery key on an offline machine (recovery.key and recovery.key.pub)
  kubectl lightning recovery-key generate -f recovery.key

  # Choose where each half goes
  kubectl lightning recovery-key generate -f /media/offline/recovery.key --public-file recovery.pem`
)

func newGenerateCommand(f *cmdutil.Factory) *cobra.Command {
	o := &generateOptions{f: f}
	cmd := &cobra.Command{
		Use:     "generate -f FILE [--public-file FILE.pub]",
		Short:   "Write a new recovery key pair: the private key (mode 0600) and its public key",
		Long:    generateLong,
		Example: generateExample,
		Args:    cmdutil.NoArgs,
		RunE:    cmdutil.RunE(o),
	}
	fl := cmd.Flags()
	fl.StringVarP(&o.file, "filename", "f", "", "The file to write the private key to (required; created with mode 0600, never overwritten).")
	fl.StringVar(&o.publicFile, "public-file", "", "The file to write the public key to (default FILE.pub; mode 0644, never overwritten).")
	return cmd
}

func (o *generateOptions) Complete(*cobra.Command, []string) error {
	o.pub = o.publicFile
	if o.pub == "" {
		o.pub = o.file + ".pub"
	}
	return nil
}

func (o *generateOptions) Validate() error {
	switch {
	case o.file == "":
		return fmt.Errorf("-f FILE is required: the file to write the recovery private key to (it is created with mode 0600)")
	case o.file == "-":
		return fmt.Errorf("the recovery private key is never written to stdout: give a file with -f FILE")
	case o.pub == "-":
		return fmt.Errorf("--public-file: give a file; the public key is written beside the private key, never to stdout")
	case o.pub == o.file:
		return fmt.Errorf("--public-file must be another file than -f %s", o.file)
	}
	return nil
}

func (o *generateOptions) Run(context.Context) error {
	for _, path := range []string{o.file, o.pub} {
		// Fail before making a key; O_EXCL below still decides.
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("%s already exists: a recovery key is never overwritten; choose another file", path)
		}
	}
	key, err := sealing.GenerateKey()
	if err != nil {
		return err
	}
	if err := o.write(key); err != nil {
		return err
	}
	_, err = fmt.Fprintf(o.f.Out, "Wrote recovery key %s: private key %s (mode 0600; keep it offline), public key %s (give it to the operator: --default-recipients-file)\n",
		key.ID(), o.file, o.pub)
	return err
}

// write writes the private key, then its public key; never one alone.
func (o *generateOptions) write(key *sealing.PrivateKey) error {
	private := encodeKey(key)
	err := cmdutil.WriteNewFile(o.file, private, 0o600)
	clear(private)
	if err != nil {
		return fmt.Errorf("writing the recovery private key: %w", err)
	}
	if err := cmdutil.WriteNewFile(o.pub, sealing.EncodePublicKeysPEM([]*sealing.PublicKey{key.Public()}), 0o644); err != nil {
		// A private key without its public half would be sealed to by no one.
		_ = os.Remove(o.file)
		return fmt.Errorf("writing the recovery public key (the private key was removed again): %w", err)
	}
	return nil
}

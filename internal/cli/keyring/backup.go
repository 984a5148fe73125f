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

package keyring

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/keysecret"
)

type backupOptions struct {
	f          *cmdutil.Factory
	file       string
	secretName string
	overwrite  bool
	key        types.NamespacedName
}

const (
	backupLong = `Write the keyring Secret to FILE as a Secret manifest (YAML) that 'keyring restore'
reads: apiVersion, kind, name, namespace, labels, type and data, and nothing the cluster
added (no resourceVersion, uid, creationTimestamp, managedFields, ownerReferences or
annotations).

FILE holds the private keys: it is created with mode 0600 and never printed; keep it
offline and encrypted, like a root credential. An existing FILE is kept unless
--overwrite. A keyring with an entry that does not parse is refused: the error names
the entry, and nothing is written.

A keyring wrapped by a KMS (the operator's --kms-endpoint) is written as it is, still
wrapped, after checking what can be checked without the KMS plugin; the output names
the KMS key ID it is wrapped under. Restoring it is useful only where a KMS plugin
holds that key: never disable or destroy it while a backup may be needed.`

	backupExample = `  # Back up the keyring of the operator in lightning-system
  kubectl lightning keyring backup -f keyring-backup.yaml

  # After a key rotation, replace the previous backup
  kubectl lightning keyring backup -f keyring-backup.yaml --overwrite

  # The operator runs in another namespace
  kubectl lightning keyring backup -f keyring-backup.yaml --operator-namespace lightning`
)

func newBackupCommand(f *cmdutil.Factory) *cobra.Command {
	o := &backupOptions{f: f}
	cmd := &cobra.Command{
		Use:     "backup -f FILE [--overwrite]",
		Short:   "Write the keyring Secret to a file, as a manifest 'keyring restore' reads",
		Long:    backupLong,
		Example: backupExample,
		Args:    cmdutil.NoArgs,
		RunE:    cmdutil.RunE(o),
	}
	fl := cmd.Flags()
	fl.StringVarP(&o.file, "filename", "f", "", "The file to write the backup to (required; created with mode 0600).")
	fl.StringVar(&o.secretName, "secret-name", keysecret.DefaultSecretName, "Name of the keyring Secret in --operator-namespace.")
	fl.BoolVar(&o.overwrite, "overwrite", false, "Replace FILE if it exists.")
	return cmd
}

func (o *backupOptions) Complete(*cobra.Command, []string) error { return nil }

func (o *backupOptions) Validate() error {
	switch o.file {
	case "":
		return fmt.Errorf("-f FILE is required: the file to write the backup to (it holds the private keys; it is created with mode 0600)")
	case "-":
		return fmt.Errorf("the backup holds the private keys, so it is never written to stdout: give a file with -f FILE")
	}
	var err error
	o.key, err = keyringKey(o.f, o.secretName)
	return err
}

func (o *backupOptions) Run(ctx context.Context) error {
	if !o.overwrite {
		// Fail before reading any keys; O_EXCL below still decides.
		if _, err := os.Lstat(o.file); err == nil {
			return fmt.Errorf("%s already exists: choose another file, or replace it with --overwrite", o.file)
		}
	}
	c, err := o.f.Client()
	if err != nil {
		return err
	}
	live, err := getKeyringSecret(ctx, c, o.key)
	if err != nil {
		return err
	}
	what, err := checkForBackup(live.Data)
	if err != nil {
		return fmt.Errorf("keyring Secret %s is not a sound keyring, so no backup was written: %s (restore an earlier backup with 'kubectl lightning keyring restore')", o.key, ringProblem(err))
	}
	if err := writeBackup(o.file, live, o.overwrite); err != nil {
		return err
	}
	_, err = fmt.Fprintf(o.f.Out, "Wrote keyring backup %s: %s\n", o.file, what)
	return err
}

// checkForBackup checks a keyring before it is backed up, and says what it
// holds. A wrapped keyring is checked without its KMS plugin, which the
// CLI does not have, and backed up still wrapped.
func checkForBackup(data map[string][]byte) (string, error) {
	what, err := describeData(data)
	if err == nil && keyring.IsWrapped(data) {
		what += ": restoring it needs that KMS plugin's key (never disable or destroy it)"
	}
	return what, err
}

// writeBackup writes live to file as the manifest 'keyring restore'
// reads, with mode 0600.
func writeBackup(file string, live *corev1.Secret, overwrite bool) error {
	b, err := keyring.MarshalBackup(live)
	if err != nil {
		return err
	}
	defer clear(b)
	if overwrite {
		return replacePrivateFile(file, b)
	}
	var writeErr *cmdutil.WriteError
	switch err := cmdutil.CreateFile(file, b, 0o600); {
	case errors.Is(err, os.ErrExist):
		return fmt.Errorf("%s already exists: choose another file, or replace it with --overwrite", file)
	case errors.As(err, &writeErr):
		return fmt.Errorf("writing the backup %s: %w", file, writeErr.Err)
	case err != nil:
		return fmt.Errorf("writing the backup: %w", err)
	}
	return nil
}

// replacePrivateFile writes b over path with mode 0600: to a temporary
// file renamed over path, so an existing file's wider mode is never kept
// and a failed write leaves the old backup whole.
func replacePrivateFile(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing the backup: %w", err)
	}
	tmp := f.Name()
	if err := cmdutil.WriteAndClose(f, b); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing the backup %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing the backup: %w", err)
	}
	return nil
}

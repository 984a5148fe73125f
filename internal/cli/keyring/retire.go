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
	"fmt"
	"os"
	"slices"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
	"github.com/lightning-operator/lightning-operator/internal/cli/secret"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/keysecret"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

// maxNamedSecrets is how many secrets an error names before "and N more".
const maxNamedSecrets = 10

type retireOptions struct {
	f          *cmdutil.Factory
	secretName string
	force      bool
	yes        bool
	backupFile string
	id         string
	key        types.NamespacedName
}

const (
	retireLong = `Remove the sealing key KEY_ID from the keyring Secret, so it opens nothing any more.

It is refused while any LightningSecret in the cluster (every namespace) is sealed to the
key, by the recipients its spec.encryptedValue names: the error names them (re-seal them
first with 'kubectl lightning secret reseal --all -A'). The current key, which new values
are sealed to, is never retired. --force retires the key anyway, with a warning, and only
after writing a backup of the keyring as it was (mode 0600) to --backup-file, by default
keyring-backup-<UTC time>.yaml in the current directory.

A confirmation is read from stdin ('y' to go on); --yes skips it. The keyring Secret is
updated with the resourceVersion read, so a rotation in between fails the retire instead
of being lost. The operator's leader republishes the public-key ConfigMap without the key
at its next key check (every minute by default). Values in git sealed only to the key no
longer open: re-seal and commit them first.

A keyring wrapped by a KMS (the operator's --kms-endpoint) is refused, naming its KMS key
ID: only a KMS plugin can open it and wrap it again, and the CLI has none.`

	retireExample = `  # The keys, and which secrets still use the old one
  kubectl lightning cert -o yaml
  kubectl lightning secret list -A -o wide

  # Move everything to the current key, then retire the old one
  kubectl lightning secret reseal --all -A > resealed.yaml
  kubectl lightning keyring retire 35f01deeab9522bb`
)

func newRetireCommand(f *cmdutil.Factory) *cobra.Command {
	o := &retireOptions{f: f}
	cmd := &cobra.Command{
		Use:     "retire KEY_ID [--force [--backup-file FILE]] [--yes]",
		Short:   "Remove an old key from the keyring, once nothing is sealed to it",
		Long:    retireLong,
		Example: retireExample,
		Args:    cmdutil.ExactArgs(1, "the KEY_ID to retire"),
		RunE:    cmdutil.RunE(o),
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.force, "force", false, "Retire the key even while LightningSecrets are sealed to it (after a backup).")
	fl.BoolVar(&o.yes, "yes", false, "Retire without asking.")
	fl.StringVar(&o.backupFile, "backup-file", "", "With --force, where to write the backup first (default keyring-backup-<UTC time>.yaml here; never overwritten).")
	fl.StringVar(&o.secretName, "secret-name", keysecret.DefaultSecretName, "Name of the keyring Secret in --operator-namespace.")
	return cmd
}

func (o *retireOptions) Complete(_ *cobra.Command, args []string) error {
	o.id = args[0]
	return nil
}

func (o *retireOptions) Validate() error {
	if !sealing.ValidKeyID(o.id) {
		return fmt.Errorf("Invalid key ID '%s': a key ID is 16 lowercase hex characters, as 'kubectl lightning cert -o yaml' lists them", cmdutil.Show(o.id))
	}
	if o.backupFile != "" && !o.force {
		return fmt.Errorf("--backup-file goes with --force: a forced retire writes a backup first (back up any time with 'kubectl lightning keyring backup')")
	}
	var err error
	o.key, err = keyringKey(o.f, o.secretName)
	return err
}

func (o *retireOptions) Run(ctx context.Context) error {
	if o.force {
		if o.backupFile == "" {
			o.backupFile = "keyring-backup-" + o.f.Now().UTC().Format("20060102T150405Z") + ".yaml"
		}
		// Fail before anything is asked; O_EXCL still decides.
		if err := checkNewFile(o.backupFile); err != nil {
			return err
		}
	}
	c, err := o.f.Client()
	if err != nil {
		return err
	}
	live, ring, err := o.read(ctx, c)
	if err != nil {
		return err
	}
	next, err := ring.Retire(o.id)
	if err != nil {
		return err
	}
	if err := o.checkUsers(ctx, c); err != nil {
		return err
	}
	if err := o.confirm(ring); err != nil {
		return err
	}
	if o.force {
		if err := o.backUp(live, ring); err != nil {
			return err
		}
	}
	return o.update(ctx, c, live, next)
}

// read reads the keyring Secret and its keyring.
func (o *retireOptions) read(ctx context.Context, c client.Client) (*corev1.Secret, *keyring.Keyring, error) {
	live, err := getKeyringSecret(ctx, c, o.key)
	if err != nil {
		return nil, nil, err
	}
	if keyring.IsWrapped(live.Data) {
		return nil, nil, wrappedRetireError(o.key, live.Data)
	}
	ring, err := keyring.Unmarshal(live.Data)
	if err != nil {
		return nil, nil, fmt.Errorf("keyring Secret %s is not a sound keyring, so nothing was retired: %s (restore a backup with 'kubectl lightning keyring restore')", o.key, ringProblem(err))
	}
	return live, ring, nil
}

// wrappedRetireError refuses to retire a key from a KMS-wrapped keyring:
// only a KMS plugin opens it and wraps it again, and the CLI has none.
func wrappedRetireError(key types.NamespacedName, data map[string][]byte) error {
	kmsKey := "its kms-data-key entry is unreadable"
	if id, err := keyring.WrappedKeyID(data); err == nil {
		kmsKey = "KMS key ID " + cmdutil.Show(id)
	}
	return fmt.Errorf("keyring Secret %s is wrapped by a KMS (%s), and this CLI holds no KMS plugin to open it and wrap it again, so nothing was retired: the key stays, sealed under that KMS key (to retire it anyway, see 'keyring retire' in docs/cli.md)", key, kmsKey)
}

// checkUsers refuses to retire the key while LightningSecrets are sealed to
// it, by the recipients their envelopes name, unless --force, which warns.
func (o *retireOptions) checkUsers(ctx context.Context, c client.Client) error {
	list := &lightningv1alpha1.LightningSecretList{}
	if err := c.List(ctx, list); err != nil {
		return cmdutil.APIError(err)
	}
	var users []string
	for i := range list.Items {
		s := &list.Items[i]
		if slices.Contains(secret.EnvelopeKeyIDs(s), o.id) {
			users = append(users, s.Namespace+"/"+s.Name)
		}
	}
	if len(users) == 0 {
		return nil
	}
	slices.Sort(users)
	named := cmdutil.ObjectNames(users, maxNamedSecrets)
	if !o.force {
		return fmt.Errorf("key %s is still in use: %d LightningSecret(s) are sealed to it: %s; re-seal them to the current key first ('kubectl lightning secret reseal --all -A'), or retire it anyway with --force",
			o.id, len(users), named)
	}
	fmt.Fprintf(o.f.ErrOut, "Warning: retiring key %s although %d LightningSecret(s) are sealed to it (%s): those sealed to no other key of this cluster will not open any more (KeyNotFound).\n",
		o.id, len(users), named)
	return nil
}

// confirm asks before retiring, unless --yes.
func (o *retireOptions) confirm(ring *keyring.Keyring) error {
	if o.yes {
		return nil
	}
	prompt := fmt.Sprintf("Retire key %s from keyring Secret %s (%s)? Values sealed only to it will not open any more. [y/N] ", o.id, o.key, describeRing(ring))
	switch yes, answered := confirm(o.f.In, o.f.ErrOut, prompt); {
	case !answered:
		return fmt.Errorf("aborted: no answer on stdin; keyring Secret %s is unchanged (use --yes to go on without asking)", o.key)
	case !yes:
		return fmt.Errorf("aborted: keyring Secret %s is unchanged", o.key)
	}
	return nil
}

// backUp writes the keyring as it is to --backup-file, before a forced
// retire.
func (o *retireOptions) backUp(live *corev1.Secret, ring *keyring.Keyring) error {
	if err := checkNewFile(o.backupFile); err != nil {
		return err
	}
	if err := writeBackup(o.backupFile, live, false); err != nil {
		return fmt.Errorf("%w; nothing was retired", err)
	}
	fmt.Fprintf(o.f.Out, "Wrote keyring backup %s (mode 0600) before retiring: %s\n", o.backupFile, describeRing(ring))
	return nil
}

// update writes the keyring without the key, with the resourceVersion
// read: a rotation since fails it.
func (o *retireOptions) update(ctx context.Context, c client.Client, live *corev1.Secret, next *keyring.Keyring) error {
	updated := live.DeepCopy()
	updated.Data = next.Marshal()
	updated.StringData = nil
	delete(updated.Annotations, corev1.LastAppliedConfigAnnotation)
	if err := c.Update(ctx, updated); err != nil {
		if apierrors.IsConflict(err) {
			return fmt.Errorf("updating keyring Secret %s: Conflict: it changed since it was read (a rotation?); nothing was retired, run the retire again", o.key)
		}
		return writeError("updating", o.key, err)
	}
	_, err := fmt.Fprintf(o.f.Out, "Retired key %s from keyring Secret %s: %s left. The operator's leader republishes ConfigMap %s/%s without it at its next key check (every minute by default).\n",
		o.id, o.key, describeRing(next), o.key.Namespace, cmdutil.PublicKeysConfigMap)
	return err
}

// checkNewFile refuses a --backup-file that exists: a backup is never
// written over another.
func checkNewFile(path string) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s already exists: a backup is never written over a file; choose another --backup-file; nothing was retired", path)
	}
	return nil
}

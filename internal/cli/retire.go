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
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/keysecret"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

// maxNamedSecrets is how many secrets an error names before "and N more".
const maxNamedSecrets = 10

type keyringRetireOptions struct {
	*env
	secretName string
	force      bool
	yes        bool
	backupFile string
}

func newKeyringRetireCommand(e *env) *cobra.Command {
	o := &keyringRetireOptions{env: e}
	cmd := &cobra.Command{
		Use:   "retire KEY_ID [--force [--backup-file FILE]] [--yes]",
		Short: "Remove an old key from the keyring, once nothing is sealed to it",
		Long: `Remove the sealing key KEY_ID from the keyring Secret, so it opens nothing any more.

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
longer open: re-seal and commit them first.`,
		Example: `  # The keys, and which secrets still use the old one
  kubectl lightning cert -o yaml
  kubectl lightning secret list -A -o wide

  # Move everything to the current key, then retire the old one
  kubectl lightning secret reseal --all -A > resealed.yaml
  kubectl lightning keyring retire 35f01deeab9522bb`,
		Args: exactArgs(1, "the KEY_ID to retire"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), args[0])
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.force, "force", false, "Retire the key even while LightningSecrets are sealed to it (after a backup).")
	f.BoolVar(&o.yes, "yes", false, "Retire without asking.")
	f.StringVar(&o.backupFile, "backup-file", "", "With --force, where to write the backup first (default keyring-backup-<UTC time>.yaml here; never overwritten).")
	f.StringVar(&o.secretName, "secret-name", keysecret.DefaultSecretName, "Name of the keyring Secret in --operator-namespace.")
	return cmd
}

func (o *keyringRetireOptions) run(ctx context.Context, id string) error {
	if !sealing.ValidKeyID(id) {
		return fmt.Errorf("Invalid key ID '%s': a key ID is 16 lowercase hex characters, as 'kubectl lightning cert -o yaml' lists them", show(id))
	}
	if o.backupFile != "" && !o.force {
		return fmt.Errorf("--backup-file goes with --force: a forced retire writes a backup first (back up any time with 'kubectl lightning keyring backup')")
	}
	key, err := o.keyringKey(o.secretName)
	if err != nil {
		return err
	}
	backupFile := o.backupFile
	if o.force {
		if backupFile == "" {
			backupFile = "keyring-backup-" + o.Now().UTC().Format("20060102T150405Z") + ".yaml"
		}
		// Fail before anything is asked; O_EXCL still decides.
		if err := checkNewFile(backupFile); err != nil {
			return err
		}
	}
	c, err := o.client()
	if err != nil {
		return err
	}
	live := &corev1.Secret{}
	if err := c.Get(ctx, key, live); err != nil {
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("keyring Secret %s not found: is lightning-operator installed in namespace '%s'? (use --operator-namespace and --secret-name)", key, key.Namespace)
		}
		return readError(key, err)
	}
	ring, err := keyring.Unmarshal(live.Data)
	if err != nil {
		return fmt.Errorf("keyring Secret %s is not a sound keyring, so nothing was retired: %s (restore a backup with 'kubectl lightning keyring restore')", key, ringProblem(err))
	}
	next, err := ring.Retire(id)
	if err != nil {
		return err
	}

	list := &lightningv1alpha1.LightningSecretList{}
	if err := c.List(ctx, list); err != nil {
		return apiError(err)
	}
	var users []string
	for i := range list.Items {
		s := &list.Items[i]
		if slices.Contains(envelopeKeyIDs(s), id) {
			users = append(users, s.Namespace+"/"+s.Name)
		}
	}
	slices.Sort(users)
	if len(users) > 0 {
		named := objectNames(users, maxNamedSecrets)
		if !o.force {
			return fmt.Errorf("key %s is still in use: %d LightningSecret(s) are sealed to it: %s; re-seal them to the current key first ('kubectl lightning secret reseal --all -A'), or retire it anyway with --force",
				id, len(users), named)
		}
		fmt.Fprintf(o.errOut(), "Warning: retiring key %s although %d LightningSecret(s) are sealed to it (%s): those sealed to no other key of this cluster will not open any more (KeyNotFound).\n",
			id, len(users), named)
	}
	if !o.yes {
		prompt := fmt.Sprintf("Retire key %s from keyring Secret %s (%s)? Values sealed only to it will not open any more. [y/N] ", id, key, describeRing(ring))
		if err := confirmOnStdin(o.Streams.In, o.errOut(), prompt, fmt.Sprintf("keyring Secret %s is unchanged", key)); err != nil {
			return err
		}
	}
	if o.force {
		if err := checkNewFile(backupFile); err != nil {
			return err
		}
		if err := writeKeyringBackup(backupFile, live, false); err != nil {
			return fmt.Errorf("%w; nothing was retired", err)
		}
		fmt.Fprintf(o.out(), "Wrote keyring backup %s (mode 0600) before retiring: %s\n", backupFile, describeRing(ring))
	}
	updated := live.DeepCopy()
	updated.Data = next.Marshal()
	updated.StringData = nil
	delete(updated.Annotations, corev1.LastAppliedConfigAnnotation)
	// Update carries the resourceVersion read: a rotation since fails here.
	if err := c.Update(ctx, updated); err != nil {
		if apierrors.IsConflict(err) {
			return fmt.Errorf("updating keyring Secret %s: Conflict: it changed since it was read (a rotation?); nothing was retired, run the retire again", key)
		}
		return writeError("updating", key, err)
	}
	_, err = fmt.Fprintf(o.out(), "Retired key %s from keyring Secret %s: %s left. The operator's leader republishes ConfigMap %s/%s without it at its next key check (every minute by default).\n",
		id, key, describeRing(next), key.Namespace, PublicKeysConfigMap)
	return err
}

// confirmOnStdin asks on errOut and reads one line of in; anything but y or
// yes aborts, saying unchanged.
func confirmOnStdin(in io.Reader, errOut io.Writer, prompt, unchanged string) error {
	fmt.Fprint(errOut, prompt)
	line, err := bufio.NewReader(io.LimitReader(in, 1024)).ReadString('\n')
	answer := strings.ToLower(strings.TrimSpace(line))
	if answer == "" && err != nil {
		fmt.Fprintln(errOut)
		return fmt.Errorf("aborted: no answer on stdin; %s (use --yes to go on without asking)", unchanged)
	}
	if answer != "y" && answer != "yes" {
		return fmt.Errorf("aborted: %s", unchanged)
	}
	return nil
}

// checkNewFile refuses a --backup-file that exists: a backup is never
// written over another.
func checkNewFile(path string) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s already exists: a backup is never written over a file; choose another --backup-file; nothing was retired", path)
	}
	return nil
}

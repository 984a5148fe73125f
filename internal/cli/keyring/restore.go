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
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/keysecret"
)

// maxBackupFileSize bounds a restore file: a Secret holds at most 1 MiB, and
// base64 and YAML add a third and a little more.
const maxBackupFileSize = 4 << 20

// backupFile is a keyring backup, as 'keyring backup' writes it.
var backupFile = cmdutil.ManifestFile{
	APIVersion: "v1",
	Kind:       "Secret",
	Noun:       "keyring backup",
	Reading:    "the backup",
	OneObject:  "a keyring backup is one Secret",
	WrongKind:  "a keyring backup is a v1 Secret",
	MaxSize:    maxBackupFileSize,
}

type restoreOptions struct {
	f          *cmdutil.Factory
	file       string
	secretName string
	yes        bool
	// From Complete: the backup, and where it goes (FILE's namespace and
	// name, or the flags').
	backup                    *keyring.Backup
	key                       types.NamespacedName
	namespaceGiven, nameGiven bool
	// fileKey is FILE's own namespace and name, which a wrapped keyring is
	// bound to.
	fileKey types.NamespacedName
}

const (
	restoreLong = `Put the keyring Secret in FILE (a YAML or JSON Secret manifest, as 'keyring backup'
writes it) back into the cluster, at the namespace and name in FILE.

FILE must hold a v1 Secret whose data is a sound keyring; otherwise nothing is changed
and the error says why (naming an entry, never its content). Whatever is at that
namespace and name is replaced with exactly the data in FILE: a missing Secret is
created, and a corrupt or different one is overwritten, after a confirmation read from
stdin ('y' to go on; --yes skips it). The Secret gets the label
app.kubernetes.io/managed-by=lightning-operator, which the operator needs to see it.
The namespace must exist.

--operator-namespace and --secret-name, when given, restore to that namespace and name
instead of FILE's.

A keyring wrapped by a KMS (from 'keyring backup' of the operator's --kms-endpoint
keyring) is checked as far as it can be without the KMS plugin, which the CLI does not
have, and restored as it is, still wrapped: the confirmation and the output name the KMS
key ID, and the operator opens it only with a KMS plugin that holds that key. It is bound
to FILE's namespace and name, so it is never restored under another.`

	restoreExample = `  # Restore a backup, confirming on the terminal if a keyring is there
  kubectl lightning keyring restore -f keyring-backup.yaml

  # In a script: replace without asking
  kubectl lightning keyring restore -f keyring-backup.yaml --yes

  # Into a new cluster whose operator runs in namespace lightning
  kubectl create namespace lightning
  kubectl lightning keyring restore -f keyring-backup.yaml --operator-namespace lightning`
)

func newRestoreCommand(f *cmdutil.Factory) *cobra.Command {
	o := &restoreOptions{f: f}
	cmd := &cobra.Command{
		Use:     "restore -f FILE [--yes]",
		Short:   "Put a keyring backup back into the cluster, replacing what is there",
		Long:    restoreLong,
		Example: restoreExample,
		Args:    cmdutil.NoArgs,
		RunE:    cmdutil.RunE(o),
	}
	fl := cmd.Flags()
	fl.StringVarP(&o.file, "filename", "f", "", "The backup to restore: a Secret manifest, YAML or JSON (required).")
	fl.BoolVar(&o.yes, "yes", false, "Replace an existing keyring Secret without asking.")
	fl.StringVar(&o.secretName, "secret-name", "", "Restore under this name instead of FILE's.")
	return cmd
}

// Complete reads the backup: what can be restored is known only then.
func (o *restoreOptions) Complete(cmd *cobra.Command, _ []string) error {
	if o.file == "" {
		return fmt.Errorf("-f FILE is required: the keyring backup to restore (from 'kubectl lightning keyring backup')")
	}
	var err error
	if o.key, o.backup, err = readBackup(o.file); err != nil {
		return err
	}
	o.fileKey = o.key
	if o.namespaceGiven = cmd.Flags().Changed("operator-namespace"); o.namespaceGiven {
		o.key.Namespace = o.f.OperatorNamespace
	}
	if o.nameGiven = cmd.Flags().Changed("secret-name"); o.nameGiven {
		o.key.Name = o.secretName
	}
	return nil
}

func (o *restoreOptions) Validate() error {
	if o.namespaceGiven {
		if err := cmdutil.ValidateNamespace(o.key.Namespace); err != nil {
			return fmt.Errorf("--operator-namespace: %w", err)
		}
	}
	if o.nameGiven {
		if err := validateSecretObjectName(o.key.Name); err != nil {
			return fmt.Errorf("--secret-name: %w", err)
		}
	}
	if w := o.backup.Wrapped; w != nil && o.key != o.fileKey {
		// Each wrapped entry's additional data names the Secret: moved, it
		// would open nothing, even with the plugin.
		return fmt.Errorf("%s holds a keyring wrapped by a KMS (KMS key ID %s), which opens only as keyring Secret %s, where it was wrapped: it is not restored to %s (leave out --operator-namespace and --secret-name); nothing was restored",
			o.file, cmdutil.Show(w.KMSKeyID), o.fileKey, o.key)
	}
	return nil
}

func (o *restoreOptions) Run(ctx context.Context) error {
	if o.backup.Immutable {
		fmt.Fprintf(o.f.ErrOut, "Warning: %s marks the Secret immutable; it is restored mutable, so the operator can rotate it.\n", o.file)
	}
	c, err := o.f.Client()
	if err != nil {
		return err
	}
	live := &corev1.Secret{}
	switch err := c.Get(ctx, o.key, live); {
	case apierrors.IsNotFound(err):
		return o.create(ctx, c)
	case err != nil:
		return readError(o.key, err)
	}
	was := describeStored(live.Data)
	if o.same(live) {
		return o.done("unchanged")
	}
	if !o.yes {
		prompt := fmt.Sprintf("Replace keyring Secret %s (%s) with the backup (%s)?%s [y/N] ", o.key, was, describeBackup(o.backup), o.kmsNote())
		switch yes, answered := confirm(o.f.In, o.f.ErrOut, prompt); {
		case !answered:
			return fmt.Errorf("restore aborted: no answer on stdin; keyring Secret %s is unchanged (use --yes to replace it without asking)", o.key)
		case !yes:
			return fmt.Errorf("restore aborted: keyring Secret %s is unchanged", o.key)
		}
	}
	if err := o.replace(ctx, c, live); err != nil {
		return err
	}
	return o.done("replaced " + was)
}

// create creates the keyring Secret where there is none.
func (o *restoreOptions) create(ctx context.Context, c client.Client) error {
	if err := c.Create(ctx, o.secret()); err != nil {
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("namespace '%s' not found: create it first (kubectl create namespace %s), then restore again; nothing was restored", o.key.Namespace, o.key.Namespace)
		}
		return writeError("creating", o.key, err)
	}
	return o.done("created")
}

// replace writes the backup over live: an update, carrying the
// resourceVersion read so that a change since is not lost, or where the
// type or immutability cannot change in place, a delete and a create.
func (o *restoreOptions) replace(ctx context.Context, c client.Client, live *corev1.Secret) error {
	if live.Immutable != nil && *live.Immutable || live.Type != o.backup.Type {
		// Delete exactly what was read, then create.
		uid, rv := live.UID, live.ResourceVersion
		if err := c.Delete(ctx, live, client.Preconditions{UID: &uid, ResourceVersion: &rv}); err != nil && !apierrors.IsNotFound(err) {
			return writeError("replacing", o.key, err)
		}
		if err := c.Create(ctx, o.secret()); err != nil {
			return fmt.Errorf("%w; the old Secret was deleted: run the restore again", writeError("creating", o.key, err))
		}
		return nil
	}
	updated := live.DeepCopy()
	updated.Data = o.backup.Data
	updated.StringData = nil
	updated.Labels = mergeLabels(live.Labels, o.backup.Labels)
	delete(updated.Annotations, corev1.LastAppliedConfigAnnotation)
	keysecret.SetKMSKeyID(updated, o.kmsKeyID())
	if err := c.Update(ctx, updated); err != nil {
		return writeError("updating", o.key, err)
	}
	return nil
}

func (o *restoreOptions) done(what string) error {
	line := fmt.Sprintf("Restored keyring Secret %s from %s: %s (%s)", o.key, o.file, describeBackup(o.backup), what)
	if note := o.kmsNote(); note != "" {
		line += "." + note
	}
	_, err := fmt.Fprintln(o.f.Out, line)
	return err
}

// kmsNote is what a wrapped backup's prompt and output add: who can open it.
func (o *restoreOptions) kmsNote() string {
	if o.backup.Wrapped == nil {
		return ""
	}
	return " The operator opens it only with a KMS plugin (--kms-endpoint) that holds KMS key ID " + cmdutil.Show(o.backup.Wrapped.KMSKeyID) + "."
}

// secret is the Secret to create.
func (o *restoreOptions) secret() *corev1.Secret {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: o.key.Namespace, Name: o.key.Name, Labels: mergeLabels(nil, o.backup.Labels)},
		Type:       o.backup.Type,
		Data:       o.backup.Data,
	}
	keysecret.SetKMSKeyID(s, o.kmsKeyID())
	return s
}

// kmsKeyID is the KMS key the backup is wrapped under; "" for a plain one.
func (o *restoreOptions) kmsKeyID() string {
	if o.backup.Wrapped == nil {
		return ""
	}
	return o.backup.Wrapped.KMSKeyID
}

// same says live already is the backup: its data, type and our label.
func (o *restoreOptions) same(live *corev1.Secret) bool {
	return live.Type == o.backup.Type && live.Labels[lightningv1alpha1.LabelManagedBy] == lightningv1alpha1.ManagedByValue &&
		maps.EqualFunc(live.Data, o.backup.Data, bytes.Equal) && (live.Immutable == nil || !*live.Immutable)
}

// mergeLabels is base with extra over it, and our managed-by label.
func mergeLabels(base, extra map[string]string) map[string]string {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, extra)
	out[lightningv1alpha1.LabelManagedBy] = lightningv1alpha1.ManagedByValue
	return out
}

// readBackup reads and checks a backup file: the keyring Secret it holds,
// and the namespace and name it names (the operator's default namespace
// when it names none). Errors say where, never what.
func readBackup(path string) (types.NamespacedName, *keyring.Backup, error) {
	var file keyring.BackupFile
	if err := backupFile.ReadFile(path, &file); err != nil {
		return types.NamespacedName{}, nil, err
	}
	key, err := backupKey(path, file.Metadata)
	if err != nil {
		return types.NamespacedName{}, nil, err
	}
	b, err := file.Backup()
	var bad *keyring.BackupError
	switch {
	case errors.As(err, &bad) && bad.Field == keyring.BackupType:
		return key, nil, fmt.Errorf("%s: the Secret's type is '%s'; a keyring Secret is Opaque", path, cmdutil.Show(bad.Value))
	case errors.As(err, &bad):
		return key, nil, fmt.Errorf("%s: data entry '%s' is not standard base64", path, cmdutil.Show(bad.Value))
	case err != nil:
		return key, nil, fmt.Errorf("%s does not hold a sound keyring, so nothing was restored: %s", path, ringProblem(err))
	}
	return key, b, nil
}

// backupKey is the namespace and name of a backup file's Secret.
func backupKey(path string, md keyring.BackupMetadata) (types.NamespacedName, error) {
	key := types.NamespacedName{Namespace: md.Namespace, Name: md.Name}
	if key.Name == "" {
		return key, fmt.Errorf("%s: the Secret has no metadata.name", path)
	}
	if err := validateSecretObjectName(key.Name); err != nil {
		return key, fmt.Errorf("%s: %w", path, err)
	}
	if key.Namespace == "" {
		key.Namespace = cmdutil.DefaultOperatorNamespace
	} else if err := cmdutil.ValidateNamespace(key.Namespace); err != nil {
		return key, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
}

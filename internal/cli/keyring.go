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
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/keysecret"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

// maxBackupFileSize bounds a restore file: a Secret holds at most 1 MiB, and
// base64 and YAML add a third and a little more.
const maxBackupFileSize = 4 << 20

func newKeyringCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keyring",
		Short: "Back up and restore the operator's keyring, and retire old keys",
		Long: `Back up and restore the operator's keyring, and retire its old keys. The keyring is
the Secret lightning-operator-keyring in --operator-namespace that holds the private keys
every LightningSecret is opened with, and the version key of value versions. Without it no LightningSecret opens, and the
operator never makes a new one over lost keys.

Nothing here prints key material: output and errors name the Secret and the key IDs.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(newKeyringBackupCommand(e), newKeyringRestoreCommand(e), newKeyringRetireCommand(e))
	return cmd
}

type keyringBackupOptions struct {
	*env
	file       string
	secretName string
	overwrite  bool
}

func newKeyringBackupCommand(e *env) *cobra.Command {
	o := &keyringBackupOptions{env: e}
	cmd := &cobra.Command{
		Use:   "backup -f FILE [--overwrite]",
		Short: "Write the keyring Secret to a file, as a manifest 'keyring restore' reads",
		Long: `Write the keyring Secret to FILE as a Secret manifest (YAML) that 'keyring restore'
reads: apiVersion, kind, name, namespace, labels, type and data, and nothing the cluster
added (no resourceVersion, uid, creationTimestamp, managedFields, ownerReferences or
annotations).

FILE holds the private keys: it is created with mode 0600 and never printed; keep it
offline and encrypted, like a root credential. An existing FILE is kept unless
--overwrite. A keyring with an entry that does not parse is refused: the error names
the entry, and nothing is written.`,
		Example: `  # Back up the keyring of the operator in lightning-system
  kubectl lightning keyring backup -f keyring-backup.yaml

  # After a key rotation, replace the previous backup
  kubectl lightning keyring backup -f keyring-backup.yaml --overwrite

  # The operator runs in another namespace
  kubectl lightning keyring backup -f keyring-backup.yaml --operator-namespace lightning`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.file, "filename", "f", "", "The file to write the backup to (required; created with mode 0600).")
	f.StringVar(&o.secretName, "secret-name", keysecret.DefaultSecretName, "Name of the keyring Secret in --operator-namespace.")
	f.BoolVar(&o.overwrite, "overwrite", false, "Replace FILE if it exists.")
	return cmd
}

func (o *keyringBackupOptions) run(cmd *cobra.Command) error {
	switch o.file {
	case "":
		return fmt.Errorf("-f FILE is required: the file to write the backup to (it holds the private keys; it is created with mode 0600)")
	case "-":
		return fmt.Errorf("the backup holds the private keys, so it is never written to stdout: give a file with -f FILE")
	}
	key, err := o.keyringKey(o.secretName)
	if err != nil {
		return err
	}
	if !o.overwrite {
		// Fail before reading any keys; O_EXCL below still decides.
		if _, err := os.Lstat(o.file); err == nil {
			return fmt.Errorf("%s already exists: choose another file, or replace it with --overwrite", o.file)
		}
	}
	c, err := o.client()
	if err != nil {
		return err
	}
	live := &corev1.Secret{}
	if err := c.Get(cmd.Context(), key, live); err != nil {
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("keyring Secret %s not found: is lightning-operator installed in namespace '%s'? (use --operator-namespace and --secret-name)", key, key.Namespace)
		}
		return readError(key, err)
	}
	ring, err := keyring.Unmarshal(live.Data)
	if err != nil {
		return fmt.Errorf("keyring Secret %s is not a sound keyring, so no backup was written: %s (restore an earlier backup with 'kubectl lightning keyring restore')", key, ringProblem(err))
	}
	if err := writeKeyringBackup(o.file, live, o.overwrite); err != nil {
		return err
	}
	_, err = fmt.Fprintf(o.out(), "Wrote keyring backup %s: %s\n", o.file, describeRing(ring))
	return err
}

// writeKeyringBackup writes live to file as the manifest 'keyring restore'
// reads, with mode 0600.
func writeKeyringBackup(file string, live *corev1.Secret, overwrite bool) error {
	b, err := yaml.Marshal(backupManifest(live))
	if err != nil {
		return fmt.Errorf("encoding the backup of keyring Secret %s/%s failed", live.Namespace, live.Name)
	}
	header := "# The keyring of lightning-operator: its private keys. Keep this file offline and\n" +
		"# encrypted. Restore it with: kubectl lightning keyring restore -f FILE\n"
	return writePrivateFile(file, append([]byte(header), b...), overwrite)
}

// keyringKey names the keyring Secret from --operator-namespace and name.
func (e *env) keyringKey(name string) (types.NamespacedName, error) {
	if err := ValidateNamespace(e.operatorNamespace); err != nil {
		return types.NamespacedName{}, fmt.Errorf("--operator-namespace: %w", err)
	}
	if err := validateSecretObjectName(name); err != nil {
		return types.NamespacedName{}, fmt.Errorf("--secret-name: %w", err)
	}
	return types.NamespacedName{Namespace: e.operatorNamespace, Name: name}, nil
}

func validateSecretObjectName(name string) error {
	if len(validation.IsDNS1123Subdomain(name)) > 0 {
		return fmt.Errorf("Invalid Secret name '%s': a Secret name must contain only lowercase letters, digits, '-' and '.', start and end with a letter or digit, and be at most 253 characters (RFC 1123)", show(name))
	}
	return nil
}

// backupManifest is live as a user would write it: what restores it, and
// nothing the cluster added. Annotations are dropped: kubectl's
// last-applied-configuration is a second copy of the keys.
func backupManifest(live *corev1.Secret) map[string]any {
	labels := map[string]any{}
	for k, v := range live.Labels {
		labels[k] = v
	}
	labels[lightningv1alpha1.LabelManagedBy] = lightningv1alpha1.ManagedByValue
	data := make(map[string]any, len(live.Data))
	for k, v := range live.Data {
		data[k] = base64.StdEncoding.EncodeToString(v)
	}
	typ := live.Type
	if typ == "" {
		typ = corev1.SecretTypeOpaque
	}
	return map[string]any{
		"apiVersion": "v1",
		"kind":       "Secret",
		"metadata": map[string]any{
			"name":      live.Name,
			"namespace": live.Namespace,
			"labels":    labels,
		},
		"type": string(typ),
		"data": data,
	}
}

// writePrivateFile writes b to path with mode 0600: a new file (O_EXCL), or
// with overwrite a temporary file renamed over path, so an existing file's
// wider mode is never kept and a failed write leaves the old backup whole.
func writePrivateFile(path string, b []byte, overwrite bool) error {
	if !overwrite {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			if errors.Is(err, os.ErrExist) {
				return fmt.Errorf("%s already exists: choose another file, or replace it with --overwrite", path)
			}
			return fmt.Errorf("writing the backup: %w", err)
		}
		if err := writeAndClose(f, b); err != nil {
			_ = os.Remove(path)
			return fmt.Errorf("writing the backup %s: %w", path, err)
		}
		return nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing the backup: %w", err)
	}
	tmp := f.Name()
	if err := writeAndClose(f, b); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing the backup %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing the backup: %w", err)
	}
	return nil
}

func writeAndClose(f *os.File, b []byte) error {
	_, err := f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

type keyringRestoreOptions struct {
	*env
	file       string
	secretName string
	yes        bool
}

func newKeyringRestoreCommand(e *env) *cobra.Command {
	o := &keyringRestoreOptions{env: e}
	cmd := &cobra.Command{
		Use:   "restore -f FILE [--yes]",
		Short: "Put a keyring backup back into the cluster, replacing what is there",
		Long: `Put the keyring Secret in FILE (a YAML or JSON Secret manifest, as 'keyring backup'
writes it) back into the cluster, at the namespace and name in FILE.

FILE must hold a v1 Secret whose data is a sound keyring; otherwise nothing is changed
and the error says why (naming an entry, never its content). Whatever is at that
namespace and name is replaced with exactly the data in FILE: a missing Secret is
created, and a corrupt or different one is overwritten, after a confirmation read from
stdin ('y' to go on; --yes skips it). The Secret gets the label
app.kubernetes.io/managed-by=lightning-operator, which the operator needs to see it.
The namespace must exist.

--operator-namespace and --secret-name, when given, restore to that namespace and name
instead of FILE's.`,
		Example: `  # Restore a backup, confirming on the terminal if a keyring is there
  kubectl lightning keyring restore -f keyring-backup.yaml

  # In a script: replace without asking
  kubectl lightning keyring restore -f keyring-backup.yaml --yes

  # Into a new cluster whose operator runs in namespace lightning
  kubectl create namespace lightning
  kubectl lightning keyring restore -f keyring-backup.yaml --operator-namespace lightning`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.file, "filename", "f", "", "The backup to restore: a Secret manifest, YAML or JSON (required).")
	f.BoolVar(&o.yes, "yes", false, "Replace an existing keyring Secret without asking.")
	f.StringVar(&o.secretName, "secret-name", "", "Restore under this name instead of FILE's.")
	return cmd
}

// backup is a keyring Secret read from a file.
type backup struct {
	key       types.NamespacedName
	labels    map[string]string
	secretTyp corev1.SecretType
	data      map[string][]byte
	ring      *keyring.Keyring
	immutable bool
}

func (o *keyringRestoreOptions) run(cmd *cobra.Command) error {
	ctx := cmd.Context()
	if o.file == "" {
		return fmt.Errorf("-f FILE is required: the keyring backup to restore (from 'kubectl lightning keyring backup')")
	}
	b, err := readBackup(o.file)
	if err != nil {
		return err
	}
	if cmd.Flags().Changed("operator-namespace") {
		if err := ValidateNamespace(o.operatorNamespace); err != nil {
			return fmt.Errorf("--operator-namespace: %w", err)
		}
		b.key.Namespace = o.operatorNamespace
	}
	if cmd.Flags().Changed("secret-name") {
		if err := validateSecretObjectName(o.secretName); err != nil {
			return fmt.Errorf("--secret-name: %w", err)
		}
		b.key.Name = o.secretName
	}
	if b.immutable {
		fmt.Fprintf(o.errOut(), "Warning: %s marks the Secret immutable; it is restored mutable, so the operator can rotate it.\n", o.file)
	}

	c, err := o.client()
	if err != nil {
		return err
	}
	live := &corev1.Secret{}
	switch err := c.Get(ctx, b.key, live); {
	case apierrors.IsNotFound(err):
		if err := c.Create(ctx, b.secret()); err != nil {
			if apierrors.IsNotFound(err) {
				return fmt.Errorf("namespace '%s' not found: create it first (kubectl create namespace %s), then restore again; nothing was restored", b.key.Namespace, b.key.Namespace)
			}
			return writeError("creating", b.key, err)
		}
		return o.done(b, "created")
	case err != nil:
		return readError(b.key, err)
	}

	was := describeStored(live.Data)
	if b.same(live) {
		return o.done(b, "unchanged")
	}
	if !o.yes {
		prompt := fmt.Sprintf("Replace keyring Secret %s (%s) with the backup (%s)? [y/N] ", b.key, was, describeRing(b.ring))
		if err := o.confirm(prompt, b.key); err != nil {
			return err
		}
	}
	if live.Immutable != nil && *live.Immutable || live.Type != b.secretTyp {
		// Neither can change in place: delete exactly what was read, then create.
		uid, rv := live.UID, live.ResourceVersion
		if err := c.Delete(ctx, live, client.Preconditions{UID: &uid, ResourceVersion: &rv}); err != nil && !apierrors.IsNotFound(err) {
			return writeError("replacing", b.key, err)
		}
		if err := c.Create(ctx, b.secret()); err != nil {
			return fmt.Errorf("%w; the old Secret was deleted: run the restore again", writeError("creating", b.key, err))
		}
	} else {
		updated := live.DeepCopy()
		updated.Data = b.data
		updated.StringData = nil
		updated.Labels = mergeLabels(live.Labels, b.labels)
		delete(updated.Annotations, corev1.LastAppliedConfigAnnotation)
		// Update carries the resourceVersion read: a change since is not lost.
		if err := c.Update(ctx, updated); err != nil {
			return writeError("updating", b.key, err)
		}
	}
	return o.done(b, "replaced "+was)
}

// confirm asks on stderr and reads one line of stdin; anything but y or yes
// aborts.
func (o *keyringRestoreOptions) confirm(prompt string, key types.NamespacedName) error {
	fmt.Fprint(o.errOut(), prompt)
	line, err := bufio.NewReader(io.LimitReader(o.Streams.In, 1024)).ReadString('\n')
	answer := strings.ToLower(strings.TrimSpace(line))
	if answer == "" && err != nil {
		fmt.Fprintln(o.errOut())
		return fmt.Errorf("restore aborted: no answer on stdin; keyring Secret %s is unchanged (use --yes to replace it without asking)", key)
	}
	if answer != "y" && answer != "yes" {
		return fmt.Errorf("restore aborted: keyring Secret %s is unchanged", key)
	}
	return nil
}

func (o *keyringRestoreOptions) done(b *backup, what string) error {
	_, err := fmt.Fprintf(o.out(), "Restored keyring Secret %s from %s: %s (%s)\n", b.key, o.file, describeRing(b.ring), what)
	return err
}

// secret is the Secret to create.
func (b *backup) secret() *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: b.key.Namespace, Name: b.key.Name, Labels: mergeLabels(nil, b.labels)},
		Type:       b.secretTyp,
		Data:       b.data,
	}
}

// same says live already is the backup: its data, type and our label.
func (b *backup) same(live *corev1.Secret) bool {
	return live.Type == b.secretTyp && live.Labels[lightningv1alpha1.LabelManagedBy] == lightningv1alpha1.ManagedByValue &&
		maps.EqualFunc(live.Data, b.data, bytes.Equal) && (live.Immutable == nil || !*live.Immutable)
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

// secretFile is the part of a Secret manifest a restore reads; the rest
// (status, resourceVersion, annotations…) is ignored.
type secretFile struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	} `json:"metadata"`
	Type       string            `json:"type"`
	Data       map[string]string `json:"data"`
	StringData map[string]string `json:"stringData"`
	Immutable  *bool             `json:"immutable"`
}

var (
	yamlLineRE      = regexp.MustCompile(`yaml: line (\d+):`)
	yamlDocSplitter = regexp.MustCompile(`(?m)^---[ \t]*(#.*)?\r?$`)
)

// readBackup reads and checks a backup file. Decoders' messages can quote
// the input, so none is passed on: errors say where, never what.
func readBackup(path string) (*backup, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the backup: %w", err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxBackupFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the backup %s: %w", path, err)
	}
	if len(raw) > maxBackupFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes: it is not a keyring backup", path, maxBackupFileSize)
	}
	notManifest := func(where string) error {
		return fmt.Errorf("%s is not a YAML or JSON manifest of a Secret%s", path, where)
	}
	switch yamlDocuments(raw) {
	case 0:
		return nil, fmt.Errorf("%s is empty: it is not a keyring backup", path)
	case 1:
	default:
		return nil, fmt.Errorf("%s holds more than one YAML document: a keyring backup is one Secret", path)
	}
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
			return nil, notManifest(" (it does not parse at line " + m[1] + ")")
		}
		return nil, notManifest(" (it does not parse)")
	}
	var sf secretFile
	if err := json.Unmarshal(js, &sf); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return nil, notManifest(fmt.Sprintf(" (in %s: a JSON %s where a %s belongs)", show(typeErr.Field), typeErr.Value, typeErr.Type))
		}
		return nil, notManifest("")
	}
	if sf.APIVersion != "v1" || sf.Kind != "Secret" {
		return nil, fmt.Errorf("%s holds apiVersion '%s', kind '%s': a keyring backup is a v1 Secret", path, show(sf.APIVersion), show(sf.Kind))
	}
	key := types.NamespacedName{Namespace: sf.Metadata.Namespace, Name: sf.Metadata.Name}
	if key.Name == "" {
		return nil, fmt.Errorf("%s: the Secret has no metadata.name", path)
	}
	if err := validateSecretObjectName(key.Name); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if key.Namespace == "" {
		key.Namespace = DefaultOperatorNamespace
	} else if err := ValidateNamespace(key.Namespace); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	typ := corev1.SecretType(sf.Type)
	switch typ {
	case "":
		typ = corev1.SecretTypeOpaque
	case corev1.SecretTypeOpaque:
	default:
		return nil, fmt.Errorf("%s: the Secret's type is '%s'; a keyring Secret is Opaque", path, show(sf.Type))
	}
	data := make(map[string][]byte, len(sf.Data)+len(sf.StringData))
	for _, name := range slices.Sorted(maps.Keys(sf.Data)) {
		v, err := base64.StdEncoding.Strict().DecodeString(sf.Data[name])
		if err != nil {
			return nil, fmt.Errorf("%s: data entry '%s' is not standard base64", path, show(name))
		}
		data[name] = v
	}
	// As the apiserver does: stringData entries are written over data's.
	for name, v := range sf.StringData {
		data[name] = []byte(v)
	}
	ring, err := keyring.Unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("%s does not hold a sound keyring, so nothing was restored: %s", path, ringProblem(err))
	}
	return &backup{
		key: key, labels: sf.Metadata.Labels, secretTyp: typ, data: data, ring: ring,
		immutable: sf.Immutable != nil && *sf.Immutable,
	}, nil
}

// yamlDocuments counts the non-empty documents of a YAML stream, split at
// "---" lines (JSON has none).
func yamlDocuments(raw []byte) int {
	n := 0
	for _, doc := range yamlDocSplitter.Split(string(raw), -1) {
		for _, line := range strings.Split(doc, "\n") {
			if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
				n++
				break
			}
		}
	}
	return n
}

// describeRing names a keyring's keys and version key, by ID only.
func describeRing(ring *keyring.Keyring) string {
	ids := ring.IDs()
	s := fmt.Sprintf("%d key%s (ID%s %s)", len(ids), pluralS(len(ids)), pluralS(len(ids)), strings.Join(ids, ", "))
	if vk := ring.VersionKey(); vk != nil {
		return s + ", version key " + vk.ID()
	}
	return s + ", no version key"
}

// describeStored says what a stored keyring is, without its content.
func describeStored(data map[string][]byte) string {
	ring, err := keyring.Unmarshal(data)
	if err != nil {
		return ringProblem(err)
	}
	return describeRing(ring)
}

// ringProblem is why keyring.Unmarshal refused data: the entry's name and
// the problem, never the entry's content.
func ringProblem(err error) string {
	var ce *keyring.CorruptError
	switch {
	case errors.As(err, &ce):
		problem := ce.Problem
		if strings.HasPrefix(problem, "unknown suite ") {
			// The one problem that quotes a field of the entry: a hand-edited
			// entry may hold anything there, a seed too.
			problem = fmt.Sprintf("unknown suite (want %q)", sealing.Suite)
		}
		return fmt.Sprintf("corrupt: entry '%s': %s", show(ce.Entry), problem)
	case errors.Is(err, keyring.ErrEmpty):
		return "empty: it holds no keys"
	}
	return "unreadable"
}

func pluralS(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// keyringError is an API error rewritten to name only the object: its
// message is ours, and errors.Is and As still reach the cause.
type keyringError struct {
	msg string
	err error
}

func (e *keyringError) Error() string { return e.msg }
func (e *keyringError) Unwrap() error { return e.err }

// readError explains a failed read of the keyring Secret. The request
// carried no keys, but a reply is not trusted to have none either: only
// the reason, and for a refusal by RBAC its own words, are shown.
func readError(key types.NamespacedName, err error) error {
	return redactAPIError(fmt.Sprintf("reading keyring Secret %s", key), err)
}

// writeError explains a failed create, update or delete of the keyring
// Secret. The apiserver's message for a conflict, an invalid object or a
// webhook's denial can quote the object, and so the keys: it is never shown.
func writeError(op string, key types.NamespacedName, err error) error {
	return redactAPIError(fmt.Sprintf("%s keyring Secret %s", op, key), err)
}

var rbacDenialRE = regexp.MustCompile(`^secrets "[a-z0-9.-]*" is forbidden: User "[^"\n]*" cannot [a-z]+ resource "secrets" in API group "" in the namespace "[a-z0-9-]*"$`)

func redactAPIError(what string, err error) error {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			// A transport error: method, URL and cause, no body.
			return &keyringError{msg: fmt.Sprintf("%s: %v", what, uerr), err: err}
		}
		return &keyringError{msg: what + " failed", err: err}
	}
	s := status.Status()
	reason := string(s.Reason)
	if reason == "" { // metav1.StatusReasonUnknown is ""
		reason = "Unknown"
	}
	var msg string
	switch {
	case apierrors.IsConflict(err):
		msg = fmt.Sprintf("%s: Conflict: it changed since it was read; nothing was restored, run the restore again", what)
	case apierrors.IsAlreadyExists(err):
		msg = fmt.Sprintf("%s: AlreadyExists: it was created meanwhile; nothing was restored, run the restore again", what)
	case apierrors.IsInvalid(err):
		msg = fmt.Sprintf("%s: the apiserver refused it as Invalid%s (its message is not shown: it may quote the keys)", what, invalidFields(s))
	case apierrors.IsForbidden(err) && rbacDenialRE.MatchString(s.Message):
		msg = fmt.Sprintf("%s: Forbidden: %s", what, s.Message)
	case apierrors.IsForbidden(err):
		msg = fmt.Sprintf("%s: Forbidden, by RBAC or an admission webhook or policy (its message is not shown: it may quote the keys)", what)
	case apierrors.IsUnauthorized(err):
		msg = fmt.Sprintf("%s: Unauthorized: the kubeconfig's credentials were not accepted", what)
	default:
		msg = fmt.Sprintf("%s: the apiserver answered %d %s (its message is not shown: it may quote the keys)", what, s.Code, reason)
	}
	return &keyringError{msg: msg, err: err}
}

var fieldPathRE = regexp.MustCompile(`^[A-Za-z0-9_.\[\]/-]{1,300}$`)

// invalidFields lists the fields an Invalid error names, when they are plain
// field paths (data[key-…] names an entry, never its value).
func invalidFields(s metav1.Status) string {
	if s.Details == nil {
		return ""
	}
	var fields []string
	for _, c := range s.Details.Causes {
		if fieldPathRE.MatchString(c.Field) && !slices.Contains(fields, c.Field) {
			fields = append(fields, c.Field)
		}
	}
	if len(fields) == 0 {
		return ""
	}
	return " (fields " + strings.Join(fields, ", ") + ")"
}

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
	"encoding/base64"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

// BackupFile is a keyring backup as its file holds it: the manifest of the
// keyring's v1 Secret, YAML or JSON. A backup has every field but
// stringData and immutable; a restore reads these fields and ignores the
// rest (status, resourceVersion, annotations…), so that what
// 'kubectl get -o yaml' prints restores too.
type BackupFile struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   BackupMetadata    `json:"metadata"`
	Type       string            `json:"type"`
	Data       map[string]string `json:"data"`
	StringData map[string]string `json:"stringData,omitempty"`
	Immutable  *bool             `json:"immutable,omitempty"`
}

// BackupMetadata is the metadata of a backup's Secret.
type BackupMetadata struct {
	Name      string            `json:"name"`
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels"`
}

// backupFileHeader starts a backup file: what it holds, and how to restore
// it.
const backupFileHeader = "# The keyring of lightning-operator: its private keys. Keep this file offline and\n" +
	"# encrypted. Restore it with: kubectl lightning keyring restore -f FILE\n"

// wrappedBackupFileHeader starts the backup file of a KMS-wrapped keyring.
// It names no KMS key ID: that is data, and could hold a line break.
const wrappedBackupFileHeader = "# The keyring of lightning-operator, wrapped by a KMS: it opens only with the KMS key\n" +
	"# its kms-data-key entry names, so never disable or destroy that key. Keep this file\n" +
	"# offline. Restore it with: kubectl lightning keyring restore -f FILE\n"

// NewBackupFile is s as its backup holds it: what restores it, and nothing
// the cluster added. Annotations are dropped: kubectl's
// last-applied-configuration is a second copy of the keys. The labels get
// the managed-by label, which the operator needs to see the Secret.
func NewBackupFile(s *corev1.Secret) *BackupFile {
	labels := maps.Clone(s.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[lightningv1alpha1.LabelManagedBy] = lightningv1alpha1.ManagedByValue
	data := make(map[string]string, len(s.Data))
	for k, v := range s.Data {
		data[k] = base64.StdEncoding.EncodeToString(v)
	}
	typ := s.Type
	if typ == "" {
		typ = corev1.SecretTypeOpaque
	}
	return &BackupFile{
		APIVersion: "v1",
		Kind:       "Secret",
		Metadata:   BackupMetadata{Name: s.Name, Namespace: s.Namespace, Labels: labels},
		Type:       string(typ),
		Data:       data,
	}
}

// MarshalBackup is the backup file of the keyring Secret s: a comment that
// says what it is, and the manifest as YAML. A KMS-wrapped keyring is
// written as it is, still wrapped. Errors never quote s.
func MarshalBackup(s *corev1.Secret) ([]byte, error) {
	b, err := yaml.Marshal(NewBackupFile(s))
	if err != nil {
		return nil, fmt.Errorf("encoding the backup of keyring Secret %s/%s failed", s.Namespace, s.Name)
	}
	header := backupFileHeader
	if IsWrapped(s.Data) {
		header = wrappedBackupFileHeader
	}
	return append([]byte(header), b...), nil
}

// Backup is the keyring Secret of a backup file, checked: what a restore
// writes.
type Backup struct {
	Labels map[string]string
	Type   corev1.SecretType
	// Data is the Secret's data: stringData written over data, as the
	// apiserver does.
	Data map[string][]byte
	// Ring is the keyring of a plain backup; nil when it is wrapped.
	Ring *Keyring
	// Wrapped is what a KMS-wrapped backup holds, as far as it can be read
	// without the KMS plugin; nil when it is plain.
	Wrapped   *WrappedSummary
	Immutable bool
}

// Fields of a backup file that a BackupError names.
const (
	// BackupType is the Secret's type, which must be Opaque (or none).
	BackupType = "type"
	// BackupData is an entry of data, which must be standard base64.
	BackupData = "data"
)

// A BackupError is a backup file whose Secret cannot hold a keyring, the
// keyring aside: Field says which field is wrong, and Value is the file's
// own text of it (a type, an entry's name). Value may be anything: callers
// quote it as they quote input.
type BackupError struct {
	Field string
	Value string
}

func (e *BackupError) Error() string {
	if e.Field == BackupType {
		return fmt.Sprintf("the Secret's type is %q; a keyring Secret is Opaque", e.Value)
	}
	return fmt.Sprintf("data entry %q is not standard base64", e.Value)
}

// Backup checks that f holds a keyring Secret, and returns it. A wrapped
// keyring is checked by ReadWrapped, as far as it can be without its KMS
// plugin: only the operator, with the plugin, opens it. Its errors are a
// *BackupError, or Unmarshal's or ReadWrapped's for the keyring (ErrEmpty,
// a *CorruptError); they name fields and entries, never their content.
func (f *BackupFile) Backup() (*Backup, error) {
	typ := corev1.SecretType(f.Type)
	switch typ {
	case "":
		typ = corev1.SecretTypeOpaque
	case corev1.SecretTypeOpaque:
	default:
		return nil, &BackupError{Field: BackupType, Value: f.Type}
	}
	data := make(map[string][]byte, len(f.Data)+len(f.StringData))
	for _, name := range slices.Sorted(maps.Keys(f.Data)) {
		v, err := base64.StdEncoding.Strict().DecodeString(f.Data[name])
		if err != nil {
			return nil, &BackupError{Field: BackupData, Value: name}
		}
		data[name] = v
	}
	for name, v := range f.StringData {
		data[name] = []byte(v)
	}
	b := &Backup{Labels: f.Metadata.Labels, Type: typ, Data: data, Immutable: f.Immutable != nil && *f.Immutable}
	if IsWrapped(data) {
		sum, err := ReadWrapped(data)
		if err != nil {
			return nil, err
		}
		b.Wrapped = &sum
		return b, nil
	}
	ring, err := Unmarshal(data)
	if err != nil {
		return nil, err
	}
	b.Ring = ring
	return b, nil
}

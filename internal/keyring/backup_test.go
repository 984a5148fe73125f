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

package keyring_test

import (
	"context"
	"encoding/base64"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/kms/kmstest"
)

// A backup file is the Secret as a user would write it: every field a
// restore needs, and nothing the cluster added; the YAML is what 'keyring
// backup' has always written.
func TestMarshalBackup(t *testing.T) {
	live := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: "lightning-operator-keyring", Namespace: "lightning-system",
			Labels:          map[string]string{"team": "ml"},
			Annotations:     map[string]string{corev1.LastAppliedConfigAnnotation: `{"data":{"key-a":"eA=="}}`},
			ResourceVersion: "42", UID: "0b6d", CreationTimestamp: metav1.Now(),
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "lightning-operator"}},
		},
		Data: map[string][]byte{"key-a": []byte("x"), "version-key": []byte("\x00\xff")},
	}
	got, err := keyring.MarshalBackup(live)
	if err != nil {
		t.Fatal(err)
	}
	want := `# The keyring of lightning-operator: its private keys. Keep this file offline and
# encrypted. Restore it with: kubectl lightning keyring restore -f FILE
apiVersion: v1
data:
  key-a: eA==
  version-key: AP8=
kind: Secret
metadata:
  labels:
    app.kubernetes.io/managed-by: lightning-operator
    team: ml
  name: lightning-operator-keyring
  namespace: lightning-system
type: Opaque
`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("backup file (-want +got):\n%s", diff)
	}
	if live.Labels["app.kubernetes.io/managed-by"] != "" {
		t.Errorf("MarshalBackup labelled the live Secret: %v", live.Labels)
	}
}

// backupOf is the file 'keyring backup' writes of a keyring Secret holding
// data, read back as a restore reads it.
func backupOf(t *testing.T, typ corev1.SecretType, data map[string][]byte) *keyring.BackupFile {
	t.Helper()
	b, err := keyring.MarshalBackup(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "k", Namespace: "n"}, Type: typ, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	var f keyring.BackupFile
	if err := yaml.UnmarshalStrict(b, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

func TestBackupRoundTrip(t *testing.T) {
	kr, err := keyring.New(time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if kr, err = kr.Rotate(time.Now()); err != nil {
		t.Fatal(err)
	}
	b, err := backupOf(t, "", kr.Marshal()).Backup()
	if err != nil {
		t.Fatal(err)
	}
	if !maps.EqualFunc(b.Data, kr.Marshal(), func(x, y []byte) bool { return string(x) == string(y) }) {
		t.Errorf("the restored data differs from the keyring's")
	}
	if diff := cmp.Diff(kr.IDs(), b.Ring.IDs()); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	if b.Ring.VersionKey().ID() != kr.VersionKey().ID() {
		t.Errorf("version key %s, want %s", b.Ring.VersionKey().ID(), kr.VersionKey().ID())
	}
	want := keyring.Backup{Labels: map[string]string{"app.kubernetes.io/managed-by": "lightning-operator"}, Type: corev1.SecretTypeOpaque}
	if diff := cmp.Diff(want, keyring.Backup{Labels: b.Labels, Type: b.Type, Immutable: b.Immutable}); diff != "" {
		t.Errorf("backup (-want +got):\n%s", diff)
	}
}

func TestBackupRefusals(t *testing.T) {
	kr, err := keyring.New(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	data := kr.Marshal()
	entry := keyring.EntryPrefix + kr.IDs()[0]
	seed := base64.StdEncoding.EncodeToString(kr.Keys()[0].Private.Bytes())
	yes := true

	tests := []struct {
		name    string
		file    func(f *keyring.BackupFile)
		wantErr error
		// check looks at a backup that was taken.
		check func(t *testing.T, b *keyring.Backup)
	}{
		{name: "a TLS Secret", file: func(f *keyring.BackupFile) { f.Type = "kubernetes.io/tls" },
			wantErr: &keyring.BackupError{Field: keyring.BackupType, Value: "kubernetes.io/tls"}},
		{name: "an entry not in base64, the first by name of two", file: func(f *keyring.BackupFile) {
			f.Data["key-z"] = "{" + seed + "}"
			f.Data[entry] = "not base64!"
		}, wantErr: &keyring.BackupError{Field: keyring.BackupData, Value: entry}},
		{name: "base64 without its padding", file: func(f *keyring.BackupFile) { f.Data[entry] = "eA" },
			wantErr: &keyring.BackupError{Field: keyring.BackupData, Value: entry}},
		{name: "no data", file: func(f *keyring.BackupFile) { f.Data = nil }, wantErr: keyring.ErrEmpty},
		{name: "a corrupt entry", file: func(f *keyring.BackupFile) { f.Data[entry] = "e30=" }, wantErr: keyring.ErrCorrupt},
		{name: "stringData over data, as the apiserver writes it", file: func(f *keyring.BackupFile) {
			f.StringData = map[string]string{entry: string(data[entry])}
			f.Data[entry] = "e30=" // {}
		}, check: func(t *testing.T, b *keyring.Backup) {
			if string(b.Data[entry]) != string(data[entry]) {
				t.Errorf("data[%s] is not stringData's", entry)
			}
		}},
		{name: "no type is Opaque", file: func(f *keyring.BackupFile) { f.Type = "" }, check: func(t *testing.T, b *keyring.Backup) {
			if b.Type != corev1.SecretTypeOpaque {
				t.Errorf("type %q, want Opaque", b.Type)
			}
		}},
		{name: "immutable", file: func(f *keyring.BackupFile) { f.Immutable = &yes }, check: func(t *testing.T, b *keyring.Backup) {
			if !b.Immutable {
				t.Errorf("the backup is not marked immutable")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := backupOf(t, corev1.SecretTypeOpaque, data)
			tc.file(f)
			b, err := f.Backup()
			var be *keyring.BackupError
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("Backup() = %v, want a backup", err)
			case tc.wantErr == nil:
				tc.check(t, b)
			case errors.As(tc.wantErr, &be):
				var got *keyring.BackupError
				if !errors.As(err, &got) || *got != *be {
					t.Errorf("Backup() = %#v, want %#v", err, be)
				}
			case !errors.Is(err, tc.wantErr):
				t.Errorf("Backup() = %v, want %v", err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), seed[:24]) {
				t.Errorf("the error quotes the seed: %v", err)
			}
		})
	}
}

func TestBackupErrorSaysWhichField(t *testing.T) {
	for _, tc := range []struct {
		err  *keyring.BackupError
		want string
	}{
		{&keyring.BackupError{Field: keyring.BackupType, Value: "kubernetes.io/tls"}, `the Secret's type is "kubernetes.io/tls"; a keyring Secret is Opaque`},
		{&keyring.BackupError{Field: keyring.BackupData, Value: "key-a\n"}, `data entry "key-a\n" is not standard base64`},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

// wrappedData is kr's Secret data wrapped by a fresh fake KMS plugin, for
// Secret n/k (the Secret backupOf names).
func wrappedData(t *testing.T, kr *keyring.Keyring) (map[string][]byte, *kmstest.Fake) {
	t.Helper()
	fake := kmstest.NewFake()
	data, err := kr.MarshalWrapped(context.Background(), fake, keyring.SecretRef{Namespace: "n", Name: "k"})
	if err != nil {
		t.Fatal(err)
	}
	return data, fake
}

// A wrapped keyring is backed up as it is, still wrapped, under a header
// that says so; its backup is checked without the plugin, and restores the
// same wrapped data, which the plugin opens.
func TestBackupWrapped(t *testing.T) {
	kr, err := keyring.New(time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if kr, err = kr.Rotate(time.Now()); err != nil {
		t.Fatal(err)
	}
	data, fake := wrappedData(t, kr)
	file, err := keyring.MarshalBackup(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "k", Namespace: "n"}, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	header := "# The keyring of lightning-operator, wrapped by a KMS: it opens only with the KMS key\n" +
		"# its kms-data-key entry names, so never disable or destroy that key. Keep this file\n" +
		"# offline. Restore it with: kubectl lightning keyring restore -f FILE\napiVersion: v1\n"
	if !strings.HasPrefix(string(file), header) {
		t.Errorf("the backup file does not start with the wrapped header:\n%s", file)
	}

	b, err := backupOf(t, corev1.SecretTypeOpaque, data).Backup()
	if err != nil {
		t.Fatal(err)
	}
	if b.Ring != nil {
		t.Errorf("a wrapped backup has a plain Ring")
	}
	want := &keyring.WrappedSummary{KMSKeyID: "fake-key-1", KeyIDs: kr.IDs(), VersionKeyID: kr.VersionKey().ID()}
	if diff := cmp.Diff(want, b.Wrapped); diff != "" {
		t.Errorf("Wrapped (-want +got):\n%s", diff)
	}
	if !maps.EqualFunc(b.Data, data, func(x, y []byte) bool { return string(x) == string(y) }) {
		t.Errorf("the restored data differs from the wrapped keyring's")
	}
	opened, err := keyring.UnmarshalWrapped(context.Background(), fake, keyring.SecretRef{Namespace: "n", Name: "k"}, b.Data)
	if err != nil {
		t.Fatalf("the restored data does not open with the plugin: %v", err)
	}
	if diff := cmp.Diff(kr.IDs(), opened.IDs()); diff != "" {
		t.Errorf("opened keys (-want +got):\n%s", diff)
	}

	plain, err := backupOf(t, "", kr.Marshal()).Backup()
	if err != nil {
		t.Fatal(err)
	}
	if plain.Wrapped != nil || plain.Ring == nil {
		t.Errorf("a plain backup reads as wrapped")
	}
}

func TestBackupWrappedRefusals(t *testing.T) {
	kr, err := keyring.New(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	data, _ := wrappedData(t, kr)
	entry := keyring.EntryPrefix + kr.IDs()[0]
	b64 := base64.StdEncoding.EncodeToString

	tests := []struct {
		name      string
		file      func(f *keyring.BackupFile)
		wantEntry string // of the CorruptError; empty for ErrEmpty
	}{
		{name: "kms-data-key is not its JSON", file: func(f *keyring.BackupFile) { f.Data[keyring.DataKeyEntry] = b64([]byte("{}")) },
			wantEntry: keyring.DataKeyEntry},
		{name: "a sealing key's readable ID is not its name's", file: func(f *keyring.BackupFile) {
			f.Data[keyring.EntryPrefix+"0123456789abcdef"] = f.Data[entry]
			delete(f.Data, entry)
		}, wantEntry: keyring.EntryPrefix + "0123456789abcdef"},
		{name: "a plain entry beside the data key", file: func(f *keyring.BackupFile) { f.Data[entry] = b64(kr.Marshal()[entry]) },
			wantEntry: entry},
		{name: "the data key alone", file: func(f *keyring.BackupFile) {
			f.Data = map[string]string{keyring.DataKeyEntry: f.Data[keyring.DataKeyEntry]}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := backupOf(t, corev1.SecretTypeOpaque, data)
			tc.file(f)
			b, err := f.Backup()
			var ce *keyring.CorruptError
			switch {
			case err == nil:
				t.Fatalf("Backup() succeeded with %d entries, want an error", len(b.Data))
			case tc.wantEntry == "" && !errors.Is(err, keyring.ErrEmpty):
				t.Errorf("Backup() = %v, want %v", err, keyring.ErrEmpty)
			case tc.wantEntry != "" && (!errors.As(err, &ce) || ce.Entry != tc.wantEntry):
				t.Errorf("Backup() = %v, want a CorruptError of entry %s", err, tc.wantEntry)
			}
		})
	}
}

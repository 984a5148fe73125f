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

// Package keyring is kubectl-lightning's keyring commands: backup, restore
// and retire. Nothing here prints key material: output and errors name the
// Secret and the key IDs.
package keyring

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

const (
	keyringLong = `Back up and restore the operator's keyring, and retire its old keys. The keyring is
the Secret lightning-operator-keyring in --operator-namespace that holds the private keys
every LightningSecret is opened with, and the version key of value versions. Without it no LightningSecret opens, and the
operator never makes a new one over lost keys.

Nothing here prints key material: output and errors name the Secret and the key IDs.`
)

// NewCommand is `keyring`, which holds backup, restore and retire.
func NewCommand(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.GroupCommand(&cobra.Command{
		Use:   "keyring",
		Short: "Back up and restore the operator's keyring, and retire old keys",
		Long:  keyringLong,
	}, newBackupCommand(f), newRestoreCommand(f), newRetireCommand(f))
}

// keyringKey names the keyring Secret from --operator-namespace and name.
func keyringKey(f *cmdutil.Factory, name string) (types.NamespacedName, error) {
	if err := cmdutil.ValidateNamespace(f.OperatorNamespace); err != nil {
		return types.NamespacedName{}, fmt.Errorf("--operator-namespace: %w", err)
	}
	if err := validateSecretObjectName(name); err != nil {
		return types.NamespacedName{}, fmt.Errorf("--secret-name: %w", err)
	}
	return types.NamespacedName{Namespace: f.OperatorNamespace, Name: name}, nil
}

func validateSecretObjectName(name string) error {
	if len(validation.IsDNS1123Subdomain(name)) > 0 {
		return fmt.Errorf("Invalid Secret name '%s': a Secret name must contain only lowercase letters, digits, '-' and '.', start and end with a letter or digit, and be at most 253 characters (RFC 1123)", cmdutil.Show(name))
	}
	return nil
}

// getKeyringSecret reads the keyring Secret at key.
func getKeyringSecret(ctx context.Context, c client.Client, key types.NamespacedName) (*corev1.Secret, error) {
	live := &corev1.Secret{}
	if err := c.Get(ctx, key, live); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("keyring Secret %s not found: is lightning-operator installed in namespace '%s'? (use --operator-namespace and --secret-name)", key, key.Namespace)
		}
		return nil, readError(key, err)
	}
	return live, nil
}

// confirm asks prompt on errOut and reads one line of in: yes is y or yes.
// answered is false when in ended without an answer.
func confirm(in io.Reader, errOut io.Writer, prompt string) (yes, answered bool) {
	fmt.Fprint(errOut, prompt)
	line, err := bufio.NewReader(io.LimitReader(in, 1024)).ReadString('\n')
	answer := strings.ToLower(strings.TrimSpace(line))
	if answer == "" && err != nil {
		fmt.Fprintln(errOut)
		return false, false
	}
	return answer == "y" || answer == "yes", true
}

// describeRing names a keyring's keys and version key, by ID only.
func describeRing(ring *keyring.Keyring) string {
	versionKeyID := ""
	if vk := ring.VersionKey(); vk != nil {
		versionKeyID = vk.ID()
	}
	return describeKeys(ring.IDs(), versionKeyID)
}

// describeWrapped names a KMS-wrapped keyring's keys, version key and the
// KMS key it is wrapped under, by ID only: what can be read without its
// KMS plugin.
func describeWrapped(sum keyring.WrappedSummary) string {
	return describeKeys(sum.KeyIDs, sum.VersionKeyID) + ", wrapped under KMS key ID " + cmdutil.Show(sum.KMSKeyID)
}

func describeKeys(ids []string, versionKeyID string) string {
	s := fmt.Sprintf("%d key%s (ID%s %s)", len(ids), pluralS(len(ids)), pluralS(len(ids)), strings.Join(ids, ", "))
	if versionKeyID != "" {
		return s + ", version key " + versionKeyID
	}
	return s + ", no version key"
}

// describeBackup names what a backup holds, by ID only.
func describeBackup(b *keyring.Backup) string {
	if b.Wrapped != nil {
		return describeWrapped(*b.Wrapped)
	}
	return describeRing(b.Ring)
}

// describeData says what a stored keyring holds, plain or wrapped, by ID
// only. A wrapped one is read without its KMS plugin, which the CLI does
// not have.
func describeData(data map[string][]byte) (string, error) {
	if keyring.IsWrapped(data) {
		sum, err := keyring.ReadWrapped(data)
		if err != nil {
			return "", err
		}
		return describeWrapped(sum), nil
	}
	ring, err := keyring.Unmarshal(data)
	if err != nil {
		return "", err
	}
	return describeRing(ring), nil
}

// describeStored is describeData, or what is wrong with the data, without
// its content.
func describeStored(data map[string][]byte) string {
	what, err := describeData(data)
	switch {
	case err == nil:
		return what
	case keyring.IsWrapped(data):
		return "wrapped by a KMS, " + ringProblem(err)
	}
	return ringProblem(err)
}

// ringProblem is why keyring.Unmarshal refused data: the entry's name and
// the problem, never the entry's content.
func ringProblem(err error) string {
	var ce *keyring.CorruptError
	switch {
	case errors.As(err, &ce):
		problem := ce.Problem
		// The problem that quotes a field of the entry: a hand-edited entry
		// may hold anything there, a seed too.
		if strings.HasPrefix(problem, "unknown suite ") {
			problem = fmt.Sprintf("unknown suite (want %q)", sealing.Suite)
		}
		return fmt.Sprintf("corrupt: entry '%s': %s", cmdutil.Show(ce.Entry), problem)
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

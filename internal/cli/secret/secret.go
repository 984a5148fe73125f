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

// Package secret is kubectl-lightning's commands of LightningSecrets:
// create (seal a value), list, delete, reseal, inspect and recover.
package secret

import (
	"fmt"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

const (
	secretLong = `Create, list, delete and re-seal LightningSecrets: secret values sealed to the operator's
public key, safe to commit to git. Apps use them with 'run app --secret K=SECRET'.
'secret inspect' shows what a sealed value says without opening it; 'secret recover'
opens one offline with a recovery key.`
)

// NewCommand is `secret`, which holds the commands of LightningSecrets.
func NewCommand(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.GroupCommand(&cobra.Command{
		Use:     "secret",
		Aliases: []string{"secrets"},
		Short:   "Create, list, inspect, delete, re-seal and recover sealed LightningSecrets",
		Long:    secretLong,
	}, newCreateCommand(f), newListCommand(f), newDeleteCommand(f),
		newResealCommand(f), newRecoverCommand(f), newInspectCommand(f))
}

// NewSecret builds the LightningSecret holding a sealed envelope.
func NewSecret(namespace, name, envelope string) *lightningv1alpha1.LightningSecret {
	return &lightningv1alpha1.LightningSecret{
		TypeMeta:   metav1.TypeMeta{APIVersion: lightningv1alpha1.GroupVersion.String(), Kind: "LightningSecret"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec:       lightningv1alpha1.LightningSecretSpec{EncryptedValue: envelope},
	}
}

// completeNames completes LightningSecret names for up to max arguments
// (-1: any number).
func completeNames(f *cmdutil.Factory, max int) cobra.CompletionFunc {
	return cmdutil.CompleteNames(f, max, func() client.ObjectList { return &lightningv1alpha1.LightningSecretList{} })
}

// notFound is the error of a LightningSecret that is not there.
func notFound(name, ns string) error {
	return fmt.Errorf("Secret with name '%s' not found in namespace '%s'", name, ns)
}

// maxManifestFileSize bounds a LightningSecret manifest: the longest
// envelope that opens (one sealed before the limit was what env carries,
// too) and room for metadata and status.
const maxManifestFileSize = int64(sealing.MaxOpenLength) + 1<<20

// manifestFile is a LightningSecret manifest, as 'secret create' prints it
// and git holds it.
var manifestFile = cmdutil.ManifestFile{
	APIVersion: lightningv1alpha1.GroupVersion.String(),
	Kind:       "LightningSecret",
	Noun:       "LightningSecret manifest",
	Reading:    "the manifest",
	OneObject:  "give the manifest of one LightningSecret",
	WrongKind:  "want a " + lightningv1alpha1.GroupVersion.String() + " LightningSecret",
	MaxSize:    maxManifestFileSize,
}

// secretManifest is the part of a LightningSecret manifest that inspect and
// recover read.
type secretManifest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		EncryptedValue string `json:"encryptedValue"`
	} `json:"spec"`
}

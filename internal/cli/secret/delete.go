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

package secret

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
)

type deleteOptions struct {
	f *cmdutil.Factory
	cmdutil.DeleteFlags
	force bool
	name  string
}

const (
	deleteLong = `Delete a LightningSecret. While apps use it (its status.usedBy, or an app's
spec.secrets in the namespace), it is refused: those apps would stop resolving
their secrets. --force deletes it anyway.`

	deleteExample = `  # Delete a secret no app uses
  kubectl lightning secret delete my-secret -n alice

  # Delete a secret even though apps still reference it
  kubectl lightning secret delete my-secret -n alice --force`
)

func newDeleteCommand(f *cmdutil.Factory) *cobra.Command {
	o := &deleteOptions{f: f}
	cmd := &cobra.Command{
		Use:               "delete NAME [--force]",
		Aliases:           []string{"rm"},
		Short:             "Delete a LightningSecret that no app uses",
		Long:              deleteLong,
		Example:           deleteExample,
		Args:              cmdutil.ExactArgs(1, "the secret's NAME"),
		ValidArgsFunction: completeNames(f, 1),
		RunE:              cmdutil.RunE(o),
	}
	cmd.Flags().BoolVar(&o.force, "force", false, "Delete the secret even while apps use it.")
	o.DeleteFlags.AddFlags(cmd)
	return cmd
}

func (o *deleteOptions) Complete(_ *cobra.Command, args []string) error {
	o.name = args[0]
	return nil
}

func (o *deleteOptions) Validate() error {
	if err := cmdutil.ValidateSecretName(o.name); err != nil {
		return err
	}
	return o.DeleteFlags.Validate()
}

func (o *deleteOptions) Run(ctx context.Context) error {
	c, ns, err := o.f.ClientIn()
	if err != nil {
		return err
	}
	s := &lightningv1alpha1.LightningSecret{}
	if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: o.name}, s); err != nil {
		if apierrors.IsNotFound(err) {
			return notFound(o.name, ns)
		}
		return cmdutil.APIError(err)
	}
	if err := o.checkUsers(ctx, c, s); err != nil {
		return err
	}
	if err := o.Delete(ctx, c, s, notFound(o.name, ns)); err != nil {
		return err
	}
	return o.PrintDeleted(o.f.Out, s)
}

// checkUsers refuses to delete s while apps use it, unless --force, which
// warns instead.
func (o *deleteOptions) checkUsers(ctx context.Context, c client.Client, s *lightningv1alpha1.LightningSecret) error {
	users, err := appUsers(ctx, c, s.Namespace)
	if err != nil {
		return err
	}
	usedBy := mergeUsers(s.Status.UsedBy, users[types.NamespacedName{Namespace: s.Namespace, Name: s.Name}])
	switch {
	case len(usedBy) == 0:
		return nil
	case !o.force:
		return fmt.Errorf("secret '%s' is used by %s; remove the reference from %s first, or delete it anyway with --force",
			s.Name, appList(usedBy), plural(usedBy, "the app", "the apps"))
	}
	fmt.Fprintf(o.f.ErrOut, "Warning: secret '%s' is still used by %s; %s will report SecretNotFound.\n",
		s.Name, appList(usedBy), plural(usedBy, "it", "they"))
	return nil
}

func appList(apps []string) string {
	if len(apps) == 1 {
		return "app '" + apps[0] + "'"
	}
	return "apps '" + strings.Join(apps, "', '") + "'"
}

func plural(apps []string, one, many string) string {
	if len(apps) == 1 {
		return one
	}
	return many
}

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
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
)

type listOptions struct {
	*cmdutil.ListOptions
}

const (
	listLong = `List LightningSecrets with whether the operator can open them (READY, REASON),
the sealing key they need (KEY ID) and the apps that reference them (USED BY); -o wide
adds every key the value is sealed to (RECIPIENTS: the operator's status.keyIDs, or the
envelope's header before it has looked), the value's VERSION and the operator's MESSAGE.
NAMEs list just those secrets.
Values are never shown: the CLI cannot open them, only the operator can.`

	listExample = `  # List the secrets of the current namespace
  kubectl lightning secret list

  # List the secrets of every namespace
  kubectl lightning secret list -A

  # The names of the secrets that do not open
  kubectl lightning secret list -o jsonpath='{range .items[?(@.status.conditions[0].status=="False")]}{.metadata.name}{"\n"}{end}'`
)

func newListCommand(f *cmdutil.Factory) *cobra.Command {
	o := &listOptions{cmdutil.NewListOptions(f, "secrets", cmdutil.ValidateSecretName)}
	cmd := &cobra.Command{
		Use:               "list [-n NAMESPACE | -A] [NAME...]",
		Aliases:           []string{"ls", "get"},
		Short:             "List LightningSecrets: whether they open, their key and the apps using them",
		Long:              listLong,
		Example:           listExample,
		ValidArgsFunction: completeNames(f, -1),
		RunE:              cmdutil.RunE(o),
	}
	o.AddFlags(cmd, "NAME, READY, REASON, KEY ID, USED BY, AGE")
	return cmd
}

func (o *listOptions) Run(ctx context.Context) error {
	list := &lightningv1alpha1.LightningSecretList{}
	c, ns, err := o.List(ctx, list)
	if err != nil {
		return err
	}
	secrets, err := cmdutil.Pick(list.Items, o.Names, func(n string) error { return notFound(n, ns) })
	if err != nil {
		return err
	}
	var users map[types.NamespacedName][]string
	if len(secrets) > 0 {
		if users, err = appUsers(ctx, c, ns); err != nil {
			return err
		}
	}
	now := o.Factory.Now()
	return o.Print(cmdutil.Objects(secrets), ns, func() *metav1.Table { return secretsTable(secrets, users, now) })
}

// secretsTable is the table of secret list; -o wide shows its last
// columns. users are the apps whose spec uses each secret.
func secretsTable(secrets []lightningv1alpha1.LightningSecret, users map[types.NamespacedName][]string, now time.Time) *metav1.Table {
	t := &metav1.Table{ColumnDefinitions: []metav1.TableColumnDefinition{
		{Name: "Name", Type: "string", Format: "name"},
		{Name: "Ready", Type: "string"},
		{Name: "Reason", Type: "string"},
		{Name: "Key ID", Type: "string"},
		{Name: "Used By", Type: "string"},
		{Name: "Age", Type: "string"},
		{Name: "Recipients", Type: "string", Priority: 1},
		{Name: "Version", Type: "string", Priority: 1},
		{Name: "Message", Type: "string", Priority: 1},
	}}
	for i := range secrets {
		s := &secrets[i]
		ready, reason, message := "Unknown", "<none>", "<none>"
		if cond := meta.FindStatusCondition(s.Status.Conditions, lightningv1alpha1.ConditionReady); cond != nil {
			ready, reason, message = string(cond.Status), cmdutil.OrNone(cond.Reason), cmdutil.OrNone(cond.Message)
		}
		usedBy := mergeUsers(s.Status.UsedBy, users[types.NamespacedName{Namespace: s.Namespace, Name: s.Name}])
		t.Rows = append(t.Rows, metav1.TableRow{Cells: []any{
			s.Name, ready, reason, cmdutil.OrNone(s.Status.KeyID), cmdutil.OrNone(strings.Join(usedBy, ",")),
			cmdutil.Age(s.CreationTimestamp, now), cmdutil.OrNone(strings.Join(statusKeyIDs(s), ",")), cmdutil.OrNone(s.Status.Version), message,
		}})
	}
	return t
}

// appUsers maps each secret to the apps whose spec references it, in
// namespace ns ("" for every one). The operator reports the same in status.usedBy; the
// specs also cover apps it has not reconciled yet. A user who may not list
// apps gets an empty map: status.usedBy still tells.
func appUsers(ctx context.Context, c client.Client, ns string) (map[types.NamespacedName][]string, error) {
	apps := &lightningv1alpha1.LightningAppList{}
	if err := c.List(ctx, apps, client.InNamespace(ns)); err != nil {
		if apierrors.IsForbidden(err) {
			return nil, nil
		}
		return nil, cmdutil.APIError(err)
	}
	users := map[types.NamespacedName][]string{}
	for _, a := range apps.Items {
		for _, s := range a.Spec.Secrets {
			key := types.NamespacedName{Namespace: a.Namespace, Name: s.SecretRef}
			if !slices.Contains(users[key], a.Name) {
				users[key] = append(users[key], a.Name)
			}
		}
	}
	return users, nil
}

// mergeUsers is the sorted union of app names.
func mergeUsers(a, b []string) []string {
	all := slices.Concat(a, b)
	slices.Sort(all)
	return slices.Compact(all)
}

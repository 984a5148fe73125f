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

package app

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
)

// NewListCommand is `list`, which holds `list apps`.
func NewListCommand(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.GroupCommand(&cobra.Command{Use: "list", Short: "List Lightning Apps"}, newListAppsCommand(f))
}

type listAppsOptions struct {
	*cmdutil.ListOptions
}

const (
	listAppsLong = `List LightningApps, as 'lightning list apps' does: NAME, PHASE (the operator's
status.phase: Pending, Running, Degraded, Failed or Stopped), READY (the Ready
condition), SECRETS (the number of --secret variables) and AGE. -o wide adds the
Ready REASON, COMPONENTS (ready/all), the app's SECRET and its IMAGE. NAMEs list just
those apps.`

	listAppsExample = `  # List the apps of the current namespace
  kubectl lightning list apps

  # List the apps of every namespace, with more columns
  kubectl lightning list apps -A -o wide

  # The names of the apps that are not ready
  kubectl lightning list apps -o jsonpath='{range .items[?(@.status.phase!="Running")]}{.metadata.name}{"\n"}{end}'`
)

func newListAppsCommand(f *cmdutil.Factory) *cobra.Command {
	o := &listAppsOptions{cmdutil.NewListOptions(f, "apps", ValidateAppName)}
	cmd := &cobra.Command{
		Use:               "apps [-n NAMESPACE | -A] [NAME...]",
		Aliases:           []string{"app"},
		Short:             "List Lightning Apps: their phase, readiness and secrets",
		Long:              listAppsLong,
		Example:           listAppsExample,
		ValidArgsFunction: completeAppNames(f, -1),
		RunE:              cmdutil.RunE(o),
	}
	o.AddFlags(cmd, "NAME, PHASE, READY, SECRETS, AGE")
	return cmd
}

func (o *listAppsOptions) Run(ctx context.Context) error {
	list := &lightningv1alpha1.LightningAppList{}
	_, ns, err := o.List(ctx, list)
	if err != nil {
		return err
	}
	apps, err := cmdutil.Pick(list.Items, o.Names, func(n string) error { return appNotFound(n, ns, list.Items) })
	if err != nil {
		return err
	}
	now := o.Factory.Now()
	return o.Print(cmdutil.Objects(apps), ns, func() *metav1.Table { return appsTable(apps, now) })
}

// appsTable is the table of list apps; -o wide shows its last columns.
func appsTable(apps []lightningv1alpha1.LightningApp, now time.Time) *metav1.Table {
	t := &metav1.Table{ColumnDefinitions: []metav1.TableColumnDefinition{
		{Name: "Name", Type: "string", Format: "name"},
		{Name: "Phase", Type: "string"},
		{Name: "Ready", Type: "string"},
		{Name: "Secrets", Type: "integer"},
		{Name: "Age", Type: "string"},
		{Name: "Reason", Type: "string", Priority: 1},
		{Name: "Components", Type: "string", Priority: 1},
		{Name: "Secret", Type: "string", Priority: 1},
		{Name: "Image", Type: "string", Priority: 1},
	}}
	for i := range apps {
		a := &apps[i]
		ready, reason := "Unknown", "<none>"
		if cond := meta.FindStatusCondition(a.Status.Conditions, lightningv1alpha1.ConditionReady); cond != nil {
			ready, reason = string(cond.Status), cmdutil.OrNone(cond.Reason)
		}
		t.Rows = append(t.Rows, metav1.TableRow{Cells: []any{
			a.Name, cmdutil.OrNone(a.Status.Phase), ready, int64(len(a.Spec.Secrets)), cmdutil.Age(a.CreationTimestamp, now),
			reason, componentsReady(a), cmdutil.OrNone(a.Status.SecretName), a.Spec.Image,
		}})
	}
	return t
}

// componentsReady is "ready/all" of the components the status reports.
func componentsReady(a *lightningv1alpha1.LightningApp) string {
	if len(a.Status.Components) == 0 {
		return "<none>"
	}
	ready := 0
	for _, c := range a.Status.Components {
		if c.Ready {
			ready++
		}
	}
	return fmt.Sprintf("%d/%d", ready, len(a.Status.Components))
}

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
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

func newListCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List Lightning Apps",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(newListAppsCommand(e))
	return cmd
}

type listAppsOptions struct {
	*env
	allNamespaces bool
	output        *outputFlags
}

func newListAppsCommand(e *env) *cobra.Command {
	o := &listAppsOptions{env: e, output: newOutputFlags(true)}
	cmd := &cobra.Command{
		Use:     "apps [-n NAMESPACE | -A] [NAME...]",
		Aliases: []string{"app"},
		Short:   "List Lightning Apps: their phase, readiness and secrets",
		Long: `List LightningApps, as 'lightning list apps' does: NAME, PHASE (the operator's
status.phase: Pending, Running, Degraded, Failed or Stopped), READY (the Ready
condition), SECRETS (the number of --secret variables) and AGE. -o wide adds the
Ready REASON, COMPONENTS (ready/all), the app's SECRET and its IMAGE. NAMEs list just
those apps.`,
		Example: `  # List the apps of the current namespace
  kubectl lightning list apps

  # List the apps of every namespace, with more columns
  kubectl lightning list apps -A -o wide

  # The names of the apps that are not ready
  kubectl lightning list apps -o jsonpath='{range .items[?(@.status.phase!="Running")]}{.metadata.name}{"\n"}{end}'`,
		ValidArgsFunction: completeAppNames(e, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), args)
		},
	}
	cmd.Flags().BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "List the apps of every namespace.")
	o.output.addFlags(cmd, "a table (NAME, PHASE, READY, SECRETS, AGE)")
	return cmd
}

func (o *listAppsOptions) run(ctx context.Context, names []string) error {
	if err := o.output.validate(); err != nil {
		return err
	}
	c, opts, ns, err := o.listTarget(names, o.allNamespaces, ValidateAppName, "apps")
	if err != nil {
		return err
	}
	apps := &lightningv1alpha1.LightningAppList{}
	if err := c.List(ctx, apps, opts...); err != nil {
		return apiError(err)
	}
	if len(names) > 0 {
		var picked []lightningv1alpha1.LightningApp
		for _, n := range names {
			i := slices.IndexFunc(apps.Items, func(a lightningv1alpha1.LightningApp) bool { return a.Name == n })
			if i < 0 {
				return appNotFound(n, ns, apps.Items)
			}
			picked = append(picked, apps.Items[i])
		}
		apps.Items = picked
	}
	items := make([]runtime.Object, len(apps.Items))
	for i := range apps.Items {
		items[i] = &apps.Items[i]
	}
	now := o.Now()
	return o.output.printList(o.out(), o.errOut(), items, o.allNamespaces, ns, func() *metav1.Table {
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
		for i := range apps.Items {
			a := &apps.Items[i]
			ready, reason := "Unknown", "<none>"
			if cond := meta.FindStatusCondition(a.Status.Conditions, lightningv1alpha1.ConditionReady); cond != nil {
				ready, reason = string(cond.Status), orNone(cond.Reason)
			}
			t.Rows = append(t.Rows, metav1.TableRow{Cells: []any{
				a.Name, orNone(a.Status.Phase), ready, int64(len(a.Spec.Secrets)), age(a.CreationTimestamp, now),
				reason, componentsReady(a), orNone(a.Status.SecretName), a.Spec.Image,
			}})
		}
		return t
	})
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

// getApp reads an app, with a not-found error that names the apps there.
func getApp(ctx context.Context, c client.Client, ns, name string) (*lightningv1alpha1.LightningApp, error) {
	a := &lightningv1alpha1.LightningApp{}
	err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, a)
	switch {
	case err == nil:
		return a, nil
	case apierrors.IsNotFound(err):
		apps := &lightningv1alpha1.LightningAppList{}
		if c.List(ctx, apps, client.InNamespace(ns)) != nil {
			apps.Items = nil
		}
		return nil, appNotFound(name, ns, apps.Items)
	default:
		return nil, apiError(err)
	}
}

// appNotFound is Lightning's "does not exist", with the apps to choose from.
func appNotFound(name, ns string, apps []lightningv1alpha1.LightningApp) error {
	if len(apps) == 0 {
		return fmt.Errorf("app '%s' not found in namespace '%s': there are no apps in namespace '%s'", name, ns, ns)
	}
	names := make([]string, len(apps))
	for i, a := range apps {
		names[i] = a.Name
	}
	if len(names) > 10 {
		names = append(names[:10], "…")
	}
	return fmt.Errorf("app '%s' not found in namespace '%s'; the apps there are: %s", name, ns, strings.Join(names, ", "))
}

// appArg validates the APP argument and reads the namespace.
func (e *env) appArg(name string) (string, error) {
	if err := ValidateAppName(name); err != nil {
		return "", err
	}
	return e.namespace()
}

type stopAppOptions struct {
	*env
	stop   bool
	output *outputFlags
	dryRun dryRun
}

func newStopCommand(e *env) *cobra.Command {
	return newAppVerbCommand(e, "stop", "Stop a Lightning App", newStopAppCommand(e, true))
}

func newStartCommand(e *env) *cobra.Command {
	return newAppVerbCommand(e, "start", "Start a stopped Lightning App", newStopAppCommand(e, false))
}

func newAppVerbCommand(_ *env, verb, short string, sub *cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:   verb,
		Short: short,
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(sub)
	return cmd
}

func newStopAppCommand(e *env, stop bool) *cobra.Command {
	o := &stopAppOptions{env: e, stop: stop, output: newOutputFlags(false)}
	cmd := &cobra.Command{
		Use:   "app APP",
		Short: "Scale every component of an app to zero, keeping its secrets (spec.stopped: true)",
		Long: `Stop an app, as 'lightning stop app' does: set spec.stopped to true (a merge patch).
The operator scales the Flow and every Work to zero pods; the app's Secret stays, so
'start app' runs the same values again. Its phase becomes Stopped, and Ready stays
True with reason Stopped.`,
		Example: `  # Stop an app
  kubectl lightning stop app my-app -n alice

  # Start it again
  kubectl lightning start app my-app -n alice`,
		Args:              exactArgs(1, "the APP"),
		ValidArgsFunction: completeAppNames(e, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), args[0])
		},
	}
	if !stop {
		cmd.Short = "Start a stopped app: its components run again with the same values (spec.stopped: false)"
		cmd.Long = `Start a stopped app: set spec.stopped to false (a merge patch). The operator
scales the Flow and every Work back up, with the values the app had when it stopped.`
		cmd.Example = `  # Start an app that 'stop app' stopped
  kubectl lightning start app my-app -n alice`
	}
	o.output.addFlags(cmd, "a line saying what changed (-o prints the app)")
	addDryRunFlag(cmd, &o.dryRun, "none, client or server. server: the apiserver checks the patch without storing it. client: nothing is sent.")
	return cmd
}

func (o *stopAppOptions) run(ctx context.Context, name string) error {
	if err := o.output.validate(); err != nil {
		return err
	}
	ns, err := o.appArg(name)
	if err != nil {
		return err
	}
	c, err := o.client()
	if err != nil {
		return err
	}
	a, err := getApp(ctx, c, ns, name)
	if err != nil {
		return err
	}
	verb := "started"
	if o.stop {
		verb = "stopped"
	}
	operation := verb
	switch {
	case a.Spec.Stopped == o.stop:
		operation = "already " + verb
	case o.dryRun == dryRunClient:
		a.Spec.Stopped = o.stop
	default:
		patch := fmt.Appendf(nil, `{"spec":{"stopped":%t}}`, o.stop)
		opts := []client.PatchOption{client.FieldOwner(FieldManager)}
		if o.dryRun == dryRunServer {
			opts = append(opts, client.DryRunAll)
		}
		if err := c.Patch(ctx, a, client.RawPatch(types.MergePatchType, patch), opts...); err != nil {
			if apierrors.IsNotFound(err) {
				return appNotFound(name, ns, nil)
			}
			return apiError(err)
		}
	}
	p, err := o.output.actionPrinter(operation + o.dryRun.suffix())
	if err != nil {
		return err
	}
	return printTo(o.out(), p, a)
}

type deleteAppOptions struct {
	*env
	wait    bool
	timeout time.Duration
	output  string
	dryRun  dryRun
}

func newDeleteCommand(e *env) *cobra.Command {
	return newAppVerbCommand(e, "delete", "Delete a Lightning App", newDeleteAppCommand(e))
}

func newDeleteAppCommand(e *env) *cobra.Command {
	o := &deleteAppOptions{env: e}
	cmd := &cobra.Command{
		Use:     "app APP [--wait]",
		Aliases: []string{"apps"},
		Short:   "Delete an app and everything the operator made for it",
		Long: `Delete a LightningApp, as 'lightning delete app' does. Kubernetes then removes what
the operator made for it: its Deployments and their pods, its Secret, its
ServiceAccount. The LightningSecrets it used are kept.

--wait deletes in the foreground and returns once the app is gone, and so are its
Deployments and pods; without it, the command returns as soon as the deletion is
accepted and the rest is removed in the background.`,
		Example: `  # Delete an app
  kubectl lightning delete app my-app -n alice

  # Delete it and wait until its pods are gone
  kubectl lightning delete app my-app -n alice --wait`,
		Args:              exactArgs(1, "the APP"),
		ValidArgsFunction: completeAppNames(e, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), args[0])
		},
	}
	cmd.Flags().BoolVar(&o.wait, "wait", false, "Wait until the app, its Deployments and its pods are gone.")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 5*time.Minute, "With --wait, how long to wait; 0 waits forever.")
	cmd.Flags().StringVarP(&o.output, "output", "o", "", "Output format: name (kind.group/NAME). Default: kubectl's line 'kind.group \"NAME\" deleted'.")
	addDryRunFlag(cmd, &o.dryRun, "none, client or server. server: the apiserver checks the deletion without deleting. client: nothing is sent.")
	return cmd
}

func (o *deleteAppOptions) run(ctx context.Context, name string) error {
	if err := validateNameOutput(o.output); err != nil {
		return err
	}
	if o.timeout < 0 {
		return fmt.Errorf("--timeout must not be negative: %s", o.timeout)
	}
	ns, err := o.appArg(name)
	if err != nil {
		return err
	}
	c, err := o.client()
	if err != nil {
		return err
	}
	a, err := getApp(ctx, c, ns, name)
	if err != nil {
		return err
	}
	if o.dryRun != dryRunClient {
		uid := a.UID
		opts := []client.DeleteOption{client.Preconditions{UID: &uid}}
		if o.wait {
			opts = append(opts, client.PropagationPolicy(metav1.DeletePropagationForeground))
		}
		if o.dryRun == dryRunServer {
			opts = append(opts, client.DryRunAll)
		}
		if err := c.Delete(ctx, a, opts...); err != nil {
			if apierrors.IsNotFound(err) {
				return appNotFound(name, ns, nil)
			}
			return apiError(err)
		}
		if o.wait && o.dryRun == dryRunNone {
			if err := o.waitGone(ctx, c, a); err != nil {
				return err
			}
		}
	}
	u, err := toUnstructured(a)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(o.out(), deletedLine(u, o.output == formatName, o.dryRun))
	return err
}

// waitGone polls until the app with a's uid is gone.
func (o *deleteAppOptions) waitGone(ctx context.Context, c client.Client, a *lightningv1alpha1.LightningApp) error {
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	key := client.ObjectKeyFromObject(a)
	err := wait.PollUntilContextCancel(ctx, 500*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		live := &lightningv1alpha1.LightningApp{}
		switch err := c.Get(ctx, key, live); {
		case apierrors.IsNotFound(err):
			return true, nil
		case apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err):
			return false, apiError(err)
		case err != nil:
			return false, nil // the next poll may get through
		}
		return live.UID != a.UID, nil
	})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("timed out after %s waiting for app '%s' to be deleted: its Deployments and pods are still being removed (see 'kubectl get deployments,pods -n %s -l %s=%s')",
			o.timeout, a.Name, a.Namespace, lightningv1alpha1.LabelApp, a.Name)
	}
	return err
}

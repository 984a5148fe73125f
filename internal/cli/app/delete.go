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
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
)

// NewDeleteCommand is `delete`, which holds `delete app`.
func NewDeleteCommand(f *cmdutil.Factory) *cobra.Command {
	return verbCommand("delete", "Delete a Lightning App", newDeleteAppCommand(f))
}

type deleteAppOptions struct {
	f *cmdutil.Factory
	cmdutil.DeleteFlags
	wait    bool
	timeout time.Duration
	name    string
}

const (
	deleteAppLong = `Delete a LightningApp, as 'lightning delete app' does. Kubernetes then removes what
the operator made for it: its Deployments and their pods, its Secret, its
ServiceAccount. The LightningSecrets it used are kept.

--wait deletes in the foreground and returns once the app is gone, and so are its
Deployments and pods; without it, the command returns as soon as the deletion is
accepted and the rest is removed in the background.`

	deleteAppExample = `  # Delete an app
  kubectl lightning delete app my-app -n alice

  # Delete it and wait until its pods are gone
  kubectl lightning delete app my-app -n alice --wait`
)

func newDeleteAppCommand(f *cmdutil.Factory) *cobra.Command {
	o := &deleteAppOptions{f: f}
	cmd := &cobra.Command{
		Use:               "app APP [--wait]",
		Aliases:           []string{"apps"},
		Short:             "Delete an app and everything the operator made for it",
		Long:              deleteAppLong,
		Example:           deleteAppExample,
		Args:              cmdutil.ExactArgs(1, "the APP"),
		ValidArgsFunction: completeAppNames(f, 1),
		RunE:              cmdutil.RunE(o),
	}
	cmd.Flags().BoolVar(&o.wait, "wait", false, "Wait until the app, its Deployments and its pods are gone.")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 5*time.Minute, "With --wait, how long to wait; 0 waits forever.")
	o.DeleteFlags.AddFlags(cmd)
	return cmd
}

func (o *deleteAppOptions) Complete(_ *cobra.Command, args []string) error {
	o.name = args[0]
	return nil
}

func (o *deleteAppOptions) Validate() error {
	if err := o.DeleteFlags.Validate(); err != nil {
		return err
	}
	if o.timeout < 0 {
		return fmt.Errorf("--timeout must not be negative: %s", o.timeout)
	}
	return ValidateAppName(o.name)
}

func (o *deleteAppOptions) Run(ctx context.Context) error {
	c, a, err := readApp(ctx, o.f, o.name)
	if err != nil {
		return err
	}
	var opts []client.DeleteOption
	if o.wait {
		opts = append(opts, client.PropagationPolicy(metav1.DeletePropagationForeground))
	}
	if err := o.Delete(ctx, c, a, appNotFound(a.Name, a.Namespace, nil), opts...); err != nil {
		return err
	}
	if o.wait && o.DryRun == cmdutil.DryRunNone {
		if err := o.waitGone(ctx, c, a); err != nil {
			return err
		}
	}
	return o.PrintDeleted(o.f.Out, a)
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
			return false, cmdutil.APIError(err)
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

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

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
)

// NewStopCommand is `stop`, which holds `stop app`.
func NewStopCommand(f *cmdutil.Factory) *cobra.Command {
	return verbCommand("stop", "Stop a Lightning App", newStopAppCommand(f, true))
}

// NewStartCommand is `start`, which holds `start app`.
func NewStartCommand(f *cmdutil.Factory) *cobra.Command {
	return verbCommand("start", "Start a stopped Lightning App", newStopAppCommand(f, false))
}

type stopAppOptions struct {
	f      *cmdutil.Factory
	stop   bool
	output *cmdutil.PrintFlags
	dryRun cmdutil.DryRun
	name   string
}

const (
	stopAppLong = `Stop an app, as 'lightning stop app' does: set spec.stopped to true (a merge patch).
The operator scales the Flow and every Work to zero pods; the app's Secret stays, so
'start app' runs the same values again. Its phase becomes Stopped, and Ready stays
True with reason Stopped.`

	stopAppExample = `  # Stop an app
  kubectl lightning stop app my-app -n alice

  # Start it again
  kubectl lightning start app my-app -n alice`

	startAppLong = `Start a stopped app: set spec.stopped to false (a merge patch). The operator
scales the Flow and every Work back up, with the values the app had when it stopped.`

	startAppExample = `  # Start an app that 'stop app' stopped
  kubectl lightning start app my-app -n alice`
)

// newStopAppCommand is `stop app`, or with stop false `start app`.
func newStopAppCommand(f *cmdutil.Factory, stop bool) *cobra.Command {
	o := &stopAppOptions{f: f, stop: stop, output: cmdutil.NewPrintFlags(false)}
	cmd := &cobra.Command{
		Use:               "app APP",
		Short:             "Scale every component of an app to zero, keeping its secrets (spec.stopped: true)",
		Long:              stopAppLong,
		Example:           stopAppExample,
		Args:              cmdutil.ExactArgs(1, "the APP"),
		ValidArgsFunction: completeAppNames(f, 1),
		RunE:              cmdutil.RunE(o),
	}
	if !stop {
		cmd.Short = "Start a stopped app: its components run again with the same values (spec.stopped: false)"
		cmd.Long, cmd.Example = startAppLong, startAppExample
	}
	o.output.AddFlags(cmd, "a line saying what changed (-o prints the app)")
	cmdutil.AddDryRunFlag(cmd, &o.dryRun, "none, client or server. server: the apiserver checks the patch without storing it. client: nothing is sent.")
	return cmd
}

func (o *stopAppOptions) Complete(_ *cobra.Command, args []string) error {
	o.name = args[0]
	return nil
}

func (o *stopAppOptions) Validate() error {
	if err := o.output.Validate(); err != nil {
		return err
	}
	return ValidateAppName(o.name)
}

func (o *stopAppOptions) Run(ctx context.Context) error {
	c, a, err := readApp(ctx, o.f, o.name)
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
	case o.dryRun == cmdutil.DryRunClient:
		a.Spec.Stopped = o.stop
	default:
		if err := o.patch(ctx, c, a); err != nil {
			return err
		}
	}
	return o.output.PrintAction(o.f.Out, operation+o.dryRun.Suffix(), a)
}

// patch sets spec.stopped with a merge patch, and reads a back.
func (o *stopAppOptions) patch(ctx context.Context, c client.Client, a *lightningv1alpha1.LightningApp) error {
	patch := fmt.Appendf(nil, `{"spec":{"stopped":%t}}`, o.stop)
	opts := []client.PatchOption{client.FieldOwner(cmdutil.FieldManager)}
	if o.dryRun == cmdutil.DryRunServer {
		opts = append(opts, client.DryRunAll)
	}
	if err := c.Patch(ctx, a, client.RawPatch(types.MergePatchType, patch), opts...); err != nil {
		if apierrors.IsNotFound(err) {
			return appNotFound(a.Name, a.Namespace, nil)
		}
		return cmdutil.APIError(err)
	}
	return nil
}

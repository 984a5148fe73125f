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
	"slices"

	"github.com/spf13/cobra"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	operatorapp "github.com/lightning-operator/lightning-operator/internal/app"
	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
)

// NewShowCommand is `show`, which holds `show logs`. logs, when set,
// replaces client-go as the source of pod logs (envtest runs no kubelet to
// serve them).
func NewShowCommand(f *cmdutil.Factory, logs LogStreamer) *cobra.Command {
	return cmdutil.GroupCommand(&cobra.Command{Use: "show", Short: "Show the logs of a Lightning App"}, newShowLogsCommand(f, logs))
}

type showLogsOptions struct {
	f    *cmdutil.Factory
	logs LogStreamer
	LogOptions
	tail       int64
	name       string
	components []string
}

const (
	showLogsLong = `Show the logs of an app's components, as 'lightning show logs' does: by default the
Flow (root), every declared Work and every Work the Flow launched that has a pod; or
just the COMPONENTs named (component paths such as root.train; 'flow' is root).

Each line is prefixed with its component path: "[root.train] ...". The logs are read
from one Running pod per component (the pods labelled lightning.ai/app=APP and
lightning.ai/component=PATH). A component without one gets a line saying so on
stderr. With --follow the logs of every component are streamed together until the
pods end or Ctrl-C.`

	showLogsExample = `  # The logs of every component
  kubectl lightning show logs my-app -n alice

  # The last 20 lines of the Flow and one Work, then follow them
  kubectl lightning show logs my-app flow root.train --tail 20 -f`
)

func newShowLogsCommand(f *cmdutil.Factory, logs LogStreamer) *cobra.Command {
	o := &showLogsOptions{f: f, logs: logs}
	cmd := &cobra.Command{
		Use:     "logs APP [COMPONENT...] [--follow] [--tail N]",
		Short:   "Show the logs of an app's Flow and Works, each line prefixed with its component",
		Long:    showLogsLong,
		Example: showLogsExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("the APP is required: %s", cmd.UseLine())
			}
			return nil
		},
		ValidArgsFunction: completeLogsArgs(f),
		RunE:              cmdutil.RunE(o),
	}
	fl := cmd.Flags()
	fl.BoolVarP(&o.Follow, "follow", "f", false, "Wait for new logs and stream them; Ctrl-C ends.")
	fl.Int64Var(&o.tail, "tail", -1, "Show only the last N lines of each component; -1 shows all.")
	fl.BoolVar(&o.Timestamps, "timestamps", false, "Start each line, after its prefix, with its timestamp.")
	return cmd
}

func (o *showLogsOptions) Complete(_ *cobra.Command, args []string) error {
	o.name, o.components = args[0], args[1:]
	if o.tail >= 0 {
		o.TailLines = &o.tail
	}
	return nil
}

func (o *showLogsOptions) Validate() error {
	if o.tail < -1 {
		return fmt.Errorf("--tail must be -1 (every line) or a number of lines, not %d", o.tail)
	}
	return ValidateAppName(o.name)
}

func (o *showLogsOptions) Run(ctx context.Context) error {
	c, ns, err := o.f.ClientIn()
	if err != nil {
		return err
	}
	cs, err := o.f.Clientset()
	if err != nil {
		return err
	}
	src := o.logs
	if src == nil {
		src = ClientsetLogs(cs)
	}
	return showLogs(ctx, c, cs, src, o.f.Out, o.f.ErrOut, LogsRequest{
		Namespace: ns, App: o.name, Components: o.components, LogOptions: o.LogOptions,
	})
}

// completeLogsArgs completes show logs: the APP, then its component paths
// (root and the Works of its spec).
func completeLogsArgs(f *cmdutil.Factory) cobra.CompletionFunc {
	appNames := completeAppNames(f, 1)
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return appNames(cmd, args, toComplete)
		}
		apps := &lightningv1alpha1.LightningAppList{}
		if !f.ListForCompletion(cmd, apps, true) {
			return nil, cmdutil.CompFail
		}
		i := slices.IndexFunc(apps.Items, func(a lightningv1alpha1.LightningApp) bool { return a.Name == args[0] })
		if i < 0 {
			return nil, cmdutil.CompFail
		}
		var paths []string
		for _, c := range operatorapp.Components(&apps.Items[i]) {
			if !slices.Contains(args[1:], c.Path) {
				paths = append(paths, c.Path)
			}
		}
		return cmdutil.WithPrefix(paths, toComplete), cmdutil.CompletionOK | cobra.ShellCompDirectiveKeepOrder
	}
}

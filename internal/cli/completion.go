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
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/app"
)

// completionTimeout bounds the cluster requests of one completion: a shell
// waiting on an unreachable cluster is worse than no candidates.
const completionTimeout = 5 * time.Second

// Completion never fails loudly: on any error it offers nothing and says
// ShellCompDirectiveError, and the shell stays quiet.
const compFail = cobra.ShellCompDirectiveError

// completionOK is the directive of a list of names: no files, and a space
// after the name.
const completionOK = cobra.ShellCompDirectiveNoFileComp

func completionContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithTimeout(ctx, completionTimeout)
}

// registerRootCompletion completes the flags every command has.
func registerRootCompletion(e *env, root *cobra.Command) {
	namespaces := func(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		ctx, cancel := completionContext(cmd)
		defer cancel()
		c, err := e.client()
		if err != nil {
			return nil, compFail
		}
		list := &corev1.NamespaceList{}
		if err := c.List(ctx, list); err != nil {
			return nil, compFail
		}
		var names []string
		for _, ns := range list.Items {
			names = append(names, ns.Name)
		}
		return withPrefix(names, toComplete), completionOK
	}
	_ = root.RegisterFlagCompletionFunc("namespace", namespaces)
	_ = root.RegisterFlagCompletionFunc("operator-namespace", namespaces)
	_ = root.RegisterFlagCompletionFunc("context", func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		cfg, err := e.config.ToRawKubeConfigLoader().RawConfig()
		if err != nil {
			return nil, compFail
		}
		var names []string
		for name := range cfg.Contexts {
			names = append(names, name)
		}
		sort.Strings(names)
		return withPrefix(names, toComplete), completionOK
	})
}

// appNames lists the apps of the namespace of the flags.
func (e *env) appNames(cmd *cobra.Command) ([]lightningv1alpha1.LightningApp, bool) {
	list := &lightningv1alpha1.LightningAppList{}
	if !e.listForCompletion(cmd, list) {
		return nil, false
	}
	return list.Items, true
}

// secretNames lists the LightningSecrets of the namespace of the flags.
func (e *env) secretNames(cmd *cobra.Command) ([]string, bool) {
	list := &lightningv1alpha1.LightningSecretList{}
	if !e.listForCompletion(cmd, list) {
		return nil, false
	}
	names := make([]string, len(list.Items))
	for i, s := range list.Items {
		names[i] = s.Name
	}
	return names, true
}

// listForCompletion lists into list in the namespace of the flags, within
// completion's time limit; false on any error (completion stays silent).
func (e *env) listForCompletion(cmd *cobra.Command, list client.ObjectList) bool {
	ctx, cancel := completionContext(cmd)
	defer cancel()
	ns, err := e.namespace()
	if err != nil {
		return false
	}
	c, err := e.client()
	if err != nil {
		return false
	}
	return c.List(ctx, list, client.InNamespace(ns)) == nil
}

// completeAppNames completes app names for up to max arguments (-1: any
// number), leaving out those already given.
func completeAppNames(e *env, max int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if max >= 0 && len(args) >= max {
			return nil, completionOK
		}
		apps, ok := e.appNames(cmd)
		if !ok {
			return nil, compFail
		}
		var names []string
		for _, a := range apps {
			if !slices.Contains(args, a.Name) {
				names = append(names, a.Name)
			}
		}
		return withPrefix(names, toComplete), completionOK
	}
}

// completeSecretNames completes LightningSecret names for up to max
// arguments (-1: any number).
func completeSecretNames(e *env, max int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if max >= 0 && len(args) >= max {
			return nil, completionOK
		}
		all, ok := e.secretNames(cmd)
		if !ok {
			return nil, compFail
		}
		var names []string
		for _, n := range all {
			if !slices.Contains(args, n) {
				names = append(names, n)
			}
		}
		return withPrefix(names, toComplete), completionOK
	}
}

// completeLogsArgs completes show logs: the APP, then its component paths
// (root and the Works of its spec).
func completeLogsArgs(e *env) cobra.CompletionFunc {
	appNames := completeAppNames(e, 1)
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return appNames(cmd, args, toComplete)
		}
		apps, ok := e.appNames(cmd)
		if !ok {
			return nil, compFail
		}
		i := slices.IndexFunc(apps, func(a lightningv1alpha1.LightningApp) bool { return a.Name == args[0] })
		if i < 0 {
			return nil, compFail
		}
		var paths []string
		for _, c := range app.Components(&apps[i]) {
			if !slices.Contains(args[1:], c.Path) {
				paths = append(paths, c.Path)
			}
		}
		return withPrefix(paths, toComplete), completionOK | cobra.ShellCompDirectiveKeepOrder
	}
}

// registerRunAppCompletion completes run app: FILE is a .py file,
// --secret K=<LightningSecret>, --work PATH=<compute>, --flow-compute.
func registerRunAppCompletion(e *env, cmd *cobra.Command) {
	cmd.ValidArgsFunction = func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return []string{"py"}, cobra.ShellCompDirectiveFilterFileExt
		}
		return nil, cobra.ShellCompDirectiveDefault // after --, the command's own arguments
	}
	_ = cmd.RegisterFlagCompletionFunc("secret", func(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		key, value, ok := strings.Cut(toComplete, "=")
		if !ok {
			// The variable's name is the user's to choose.
			return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
		}
		names, ok := e.secretNames(cmd)
		if !ok {
			return nil, compFail
		}
		return withKey(key, withPrefix(names, value)), completionOK
	})
	computes := app.DefaultPresets().Names()
	_ = cmd.RegisterFlagCompletionFunc("work", func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		path, value, ok := strings.Cut(toComplete, "=")
		if !ok {
			return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
		}
		return withKey(path, withPrefix(computes, value)), completionOK
	})
	_ = cmd.RegisterFlagCompletionFunc("flow-compute", func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return withPrefix(computes, toComplete), completionOK
	})
	_ = cmd.RegisterFlagCompletionFunc("env", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("image", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("name", cobra.NoFileCompletions)
}

// withPrefix keeps the names that start with prefix.
func withPrefix(names []string, prefix string) []string {
	out := []string{}
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}

// withKey turns names into KEY=name candidates.
func withKey(key string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = key + "=" + n
	}
	return out
}

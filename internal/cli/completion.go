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
	"sort"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"

	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
)

// registerRootCompletion completes the flags every command has.
func registerRootCompletion(f *cmdutil.Factory, root *cobra.Command) {
	namespaces := func(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		names, ok := f.NamesForCompletion(cmd, &corev1.NamespaceList{}, false)
		if !ok {
			return nil, cmdutil.CompFail
		}
		return cmdutil.WithPrefix(names, toComplete), cmdutil.CompletionOK
	}
	_ = root.RegisterFlagCompletionFunc("namespace", namespaces)
	_ = root.RegisterFlagCompletionFunc("operator-namespace", namespaces)
	_ = root.RegisterFlagCompletionFunc("context", func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		cfg, err := f.ConfigFlags.ToRawKubeConfigLoader().RawConfig()
		if err != nil {
			return nil, cmdutil.CompFail
		}
		var names []string
		for name := range cfg.Contexts {
			names = append(names, name)
		}
		sort.Strings(names)
		return cmdutil.WithPrefix(names, toComplete), cmdutil.CompletionOK
	})
}

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

package cmdutil

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// completionTimeout bounds the cluster requests of one completion: a shell
// waiting on an unreachable cluster is worse than no candidates.
const completionTimeout = 5 * time.Second

// CompFail is what completion says on any error: it offers nothing, and
// the shell stays quiet.
const CompFail = cobra.ShellCompDirectiveError

// CompletionOK is the directive of a list of names: no files, and a space
// after the name.
const CompletionOK = cobra.ShellCompDirectiveNoFileComp

// ListForCompletion lists into list, in the namespace of the flags when
// inNamespace, within completion's time limit; false on any error.
func (f *Factory) ListForCompletion(cmd *cobra.Command, list client.ObjectList, inNamespace bool) bool {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, completionTimeout)
	defer cancel()
	var opts []client.ListOption
	if inNamespace {
		ns, err := f.Namespace()
		if err != nil {
			return false
		}
		opts = append(opts, client.InNamespace(ns))
	}
	c, err := f.Client()
	if err != nil {
		return false
	}
	return c.List(ctx, list, opts...) == nil
}

// NamesForCompletion are the names of what ListForCompletion lists.
func (f *Factory) NamesForCompletion(cmd *cobra.Command, list client.ObjectList, inNamespace bool) ([]string, bool) {
	if !f.ListForCompletion(cmd, list, inNamespace) {
		return nil, false
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, false
	}
	var names []string
	for _, item := range items {
		if m, err := meta.Accessor(item); err == nil {
			names = append(names, m.GetName())
		}
	}
	return names, true
}

// CompleteNames completes the names of the objects newList lists in the
// namespace of the flags, for up to max arguments (-1: any number), leaving
// out those already given.
func CompleteNames(f *Factory, max int, newList func() client.ObjectList) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if max >= 0 && len(args) >= max {
			return nil, CompletionOK
		}
		all, ok := f.NamesForCompletion(cmd, newList(), true)
		if !ok {
			return nil, CompFail
		}
		var names []string
		for _, n := range all {
			if !slices.Contains(args, n) {
				names = append(names, n)
			}
		}
		return WithPrefix(names, toComplete), CompletionOK
	}
}

// WithPrefix keeps the names that start with prefix.
func WithPrefix(names []string, prefix string) []string {
	out := []string{}
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}

// WithKey turns names into KEY=name candidates.
func WithKey(key string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = key + "=" + n
	}
	return out
}

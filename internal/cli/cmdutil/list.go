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
	"fmt"
	"slices"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ListOptions are what the list commands share, as kubectl get has them:
// NAMEs, -A and -o. A list command embeds them and adds its Run.
type ListOptions struct {
	Factory       *Factory
	AllNamespaces bool
	Output        *PrintFlags
	Names         []string
	// what the command lists ("apps"), and the check of a NAME of one.
	what         string
	validateName func(string) error
}

// NewListOptions are the options of a command that lists what ("apps",
// "secrets"), whose names validateName checks.
func NewListOptions(f *Factory, what string, validateName func(string) error) *ListOptions {
	return &ListOptions{Factory: f, Output: NewPrintFlags(true), what: what, validateName: validateName}
}

// AddFlags adds -A, and -o with table as the default output's columns.
func (o *ListOptions) AddFlags(cmd *cobra.Command, table string) {
	cmd.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "List the "+o.what+" of every namespace.")
	o.Output.AddFlags(cmd, "a table ("+table+")")
}

func (o *ListOptions) Complete(_ *cobra.Command, args []string) error {
	o.Names = args
	return nil
}

// Validate checks -o, the NAMEs, and that NAMEs do not go with -A.
func (o *ListOptions) Validate() error {
	if err := o.Output.Validate(); err != nil {
		return err
	}
	for _, n := range o.Names {
		if err := o.validateName(n); err != nil {
			return err
		}
	}
	if o.AllNamespaces && len(o.Names) > 0 {
		return fmt.Errorf("%s are listed by NAME in one namespace: use -n NAMESPACE instead of -A", o.what)
	}
	return nil
}

// List lists into list in -n's namespace, or with -A in every one, and
// returns the client and the namespace listed ("" for every one).
func (o *ListOptions) List(ctx context.Context, list client.ObjectList) (client.Client, string, error) {
	c, opts, ns, err := o.Factory.ListScope(o.AllNamespaces)
	if err != nil {
		return nil, "", err
	}
	if err := c.List(ctx, list, opts...); err != nil {
		return nil, "", APIError(err)
	}
	return c, ns, nil
}

// Print prints items, listed in namespace ns ("" for every one): as the
// table that table makes, or as -o says.
func (o *ListOptions) Print(items []runtime.Object, ns string, table func() *metav1.Table) error {
	return o.Output.printList(o.Factory.Out, o.Factory.ErrOut, items, o.AllNamespaces, ns, table)
}

// Objects are pointers to items, as runtime.Objects.
func Objects[T any, P interface {
	*T
	runtime.Object
}](items []T) []runtime.Object {
	objs := make([]runtime.Object, len(items))
	for i := range items {
		objs[i] = P(&items[i])
	}
	return objs
}

// Pick is the items named, in the order named; all of them when no name is
// given. notFound is the error of a name that is not among them.
func Pick[T any, P interface {
	*T
	GetName() string
}](items []T, names []string, notFound func(name string) error) ([]T, error) {
	if len(names) == 0 {
		return items, nil
	}
	var picked []T
	for _, n := range names {
		i := slices.IndexFunc(items, func(item T) bool { return P(&item).GetName() == n })
		if i < 0 {
			return nil, notFound(n)
		}
		picked = append(picked, items[i])
	}
	return picked, nil
}

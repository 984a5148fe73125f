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

// Package app is kubectl-lightning's commands of Lightning Apps: run app,
// list apps, show logs, stop app, start app and delete app.
package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
)

// verbCommand is `VERB app`, as Lightning spells its commands: the verb
// holds the app command.
func verbCommand(verb, short string, app *cobra.Command) *cobra.Command {
	return cmdutil.GroupCommand(&cobra.Command{Use: verb, Short: short}, app)
}

// completeAppNames completes app names for up to max arguments (-1: any
// number), leaving out those already given.
func completeAppNames(f *cmdutil.Factory, max int) cobra.CompletionFunc {
	return cmdutil.CompleteNames(f, max, func() client.ObjectList { return &lightningv1alpha1.LightningAppList{} })
}

// readApp connects to the cluster and reads the app name, in the namespace
// of the flags.
func readApp(ctx context.Context, f *cmdutil.Factory, name string) (client.Client, *lightningv1alpha1.LightningApp, error) {
	c, ns, err := f.ClientIn()
	if err != nil {
		return nil, nil, err
	}
	a, err := getApp(ctx, c, ns, name)
	if err != nil {
		return nil, nil, err
	}
	return c, a, nil
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
		return nil, cmdutil.APIError(err)
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

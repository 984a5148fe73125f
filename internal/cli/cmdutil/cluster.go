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
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FieldManager owns the fields kubectl-lightning applies (server-side apply).
const FieldManager = "kubectl-lightning"

// APIError explains API errors that have a likely cause.
func APIError(err error) error {
	var noMatch *meta.NoKindMatchError
	switch {
	case err == nil:
		return nil
	case meta.IsNoMatchError(err) || errors.As(err, &noMatch):
		return fmt.Errorf("the lightning.ai/v1alpha1 API is not served by this cluster; is lightning-operator installed? (%v)", err)
	case apierrors.IsConflict(err) && isApplyConflict(err):
		return fmt.Errorf("%v; rerun with --force-conflicts to take these fields over", err)
	}
	return err
}

func isApplyConflict(err error) bool {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return false
	}
	d := status.Status().Details
	return d != nil && len(d.Causes) > 0 && d.Causes[0].Type == "FieldManagerConflict"
}

// ApplyResult says what an apply did, in kubectl's words.
type ApplyResult string

const (
	ResultCreated    ApplyResult = "created"
	ResultConfigured ApplyResult = "configured"
	ResultUnchanged  ApplyResult = "unchanged"
)

// Apply creates or updates manifest with server-side apply, as FieldManager.
// It returns the object as the server has it and what changed. manifest is
// left as it was.
func Apply(ctx context.Context, c client.Client, manifest map[string]any, force, dryRun bool) (*unstructured.Unstructured, ApplyResult, error) {
	u := &unstructured.Unstructured{Object: runtime.DeepCopyJSON(manifest)}
	existing := &unstructured.Unstructured{}
	existing.SetGroupVersionKind(u.GroupVersionKind())
	key := types.NamespacedName{Namespace: u.GetNamespace(), Name: u.GetName()}
	before, beforeGeneration := "", int64(0)
	switch err := c.Get(ctx, key, existing); {
	case err == nil:
		before, beforeGeneration = existing.GetResourceVersion(), existing.GetGeneration()
	case apierrors.IsNotFound(err):
	default:
		return nil, "", APIError(err)
	}
	opts := []client.ApplyOption{client.FieldOwner(FieldManager)}
	if force {
		opts = append(opts, client.ForceOwnership)
	}
	if dryRun {
		opts = append(opts, client.DryRunAll)
	}
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), opts...); err != nil {
		return nil, "", APIError(err)
	}
	switch {
	case before == "":
		return u, ResultCreated, nil
	// A server dry run does not change the resourceVersion; a change of
	// the spec still shows in the generation.
	case u.GetResourceVersion() == before && u.GetGeneration() == beforeGeneration:
		return u, ResultUnchanged, nil
	default:
		return u, ResultConfigured, nil
	}
}

// Manifest is obj as a user writes it: the fields the CLI set, without
// status and empty objects. It is what is printed and what is applied, so
// server-side apply owns exactly these fields.
func Manifest(obj runtime.Object) (map[string]any, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("converting %T: %w", obj, err)
	}
	delete(m, "status")
	if spec, ok := m["spec"].(map[string]any); ok {
		if flow, ok := spec["flow"].(map[string]any); ok && len(flow) == 0 {
			delete(spec, "flow")
		}
	}
	return m, nil
}

// ClientIn is the client, and the namespace of the flags it works in.
func (f *Factory) ClientIn() (client.Client, string, error) {
	ns, err := f.Namespace()
	if err != nil {
		return nil, "", err
	}
	c, err := f.Client()
	if err != nil {
		return nil, "", err
	}
	return c, ns, nil
}

// ListScope connects a list command: it returns the client, the list
// options and the namespace listed (-n's, or "" for every one with -A).
func (f *Factory) ListScope(allNamespaces bool) (client.Client, []client.ListOption, string, error) {
	if allNamespaces {
		c, err := f.Client()
		return c, nil, "", err
	}
	c, ns, err := f.ClientIn()
	if err != nil {
		return nil, nil, "", err
	}
	return c, []client.ListOption{client.InNamespace(ns)}, ns, nil
}

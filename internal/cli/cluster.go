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

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := lightningv1alpha1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}()

// namespace is -n, else the kubeconfig context's namespace, else "default".
func (e *env) namespace() (string, error) {
	ns := ""
	if e.config.Namespace != nil {
		ns = *e.config.Namespace
	}
	if ns == "" {
		var err error
		ns, _, err = e.config.ToRawKubeConfigLoader().Namespace()
		if err != nil {
			return "", fmt.Errorf("reading the namespace from the kubeconfig: %w", err)
		}
	}
	if err := ValidateNamespace(ns); err != nil {
		return "", err
	}
	return ns, nil
}

// restConfig is the client configuration of the kubeconfig flags (or the
// injected config), with the CLI's user agent and a warning writer.
func (e *env) restConfig() (*rest.Config, error) {
	var cfg *rest.Config
	var err error
	if e.RESTConfig != nil {
		cfg, err = e.RESTConfig()
	} else {
		cfg, err = e.config.ToRESTConfig()
	}
	if err != nil {
		return nil, fmt.Errorf("reading the kubeconfig: %w", err)
	}
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = "kubectl-lightning/" + buildVersion()
	cfg.WarningHandler = rest.NewWarningWriter(e.errOut(), rest.WarningWriterOptions{Deduplicate: true})
	cfg.WarningHandlerWithContext = nil
	return cfg, nil
}

// client connects to the cluster with a live, uncached client.
func (e *env) client() (client.Client, error) {
	cfg, err := e.restConfig()
	if err != nil {
		return nil, err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("connecting to the cluster: %w", err)
	}
	return c, nil
}

// clientset is client-go's typed clientset, for what controller-runtime's
// client does not do (pod logs).
func (e *env) clientset() (kubernetes.Interface, error) {
	cfg, err := e.restConfig()
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to the cluster: %w", err)
	}
	return cs, nil
}

// apiError explains API errors that have a likely cause.
func apiError(err error) error {
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

// applyResult says what an apply did, in kubectl's words.
type applyResult string

const (
	resultCreated    applyResult = "created"
	resultConfigured applyResult = "configured"
	resultUnchanged  applyResult = "unchanged"
)

// apply creates or updates manifest with server-side apply, as FieldManager.
// It returns the object as the server has it and what changed. manifest is
// left as it was.
func apply(ctx context.Context, c client.Client, manifest map[string]any, force, dryRun bool) (*unstructured.Unstructured, applyResult, error) {
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
		return nil, "", apiError(err)
	}
	opts := []client.ApplyOption{client.FieldOwner(FieldManager)}
	if force {
		opts = append(opts, client.ForceOwnership)
	}
	if dryRun {
		opts = append(opts, client.DryRunAll)
	}
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), opts...); err != nil {
		return nil, "", apiError(err)
	}
	switch {
	case before == "":
		return u, resultCreated, nil
	// A server dry run does not change the resourceVersion; a change of
	// the spec still shows in the generation.
	case u.GetResourceVersion() == before && u.GetGeneration() == beforeGeneration:
		return u, resultUnchanged, nil
	default:
		return u, resultConfigured, nil
	}
}

// publicKeys reads the operator's published public keys.
func (e *env) publicKeys(ctx context.Context, c client.Client) (current *sealing.PublicKey, all []*sealing.PublicKey, err error) {
	cm := &corev1.ConfigMap{}
	key := types.NamespacedName{Namespace: e.operatorNamespace, Name: PublicKeysConfigMap}
	if err := c.Get(ctx, key, cm); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil, fmt.Errorf("the operator's public keys are not published: ConfigMap %s not found; is lightning-operator installed there? (use --operator-namespace, or seal offline with --cert FILE)", key)
		}
		return nil, nil, fmt.Errorf("reading the operator's public keys from ConfigMap %s: %w", key, err)
	}
	current, all, err = keyring.ParsePublicData(cm.Data)
	if err != nil {
		return nil, nil, fmt.Errorf("ConfigMap %s does not hold valid public keys: %w", key, err)
	}
	return current, all, nil
}

// listTarget checks a list command's NAME arguments and -A, and returns the
// client, the list options and the namespace listed ("" for every one).
// what names the objects in the error ("apps", "secrets").
func (e *env) listTarget(names []string, allNamespaces bool, validate func(string) error, what string) (client.Client, []client.ListOption, string, error) {
	for _, n := range names {
		if err := validate(n); err != nil {
			return nil, nil, "", err
		}
	}
	if allNamespaces && len(names) > 0 {
		return nil, nil, "", fmt.Errorf("%s are listed by NAME in one namespace: use -n NAMESPACE instead of -A", what)
	}
	var opts []client.ListOption
	ns := ""
	if !allNamespaces {
		var err error
		if ns, err = e.namespace(); err != nil {
			return nil, nil, "", err
		}
		opts = append(opts, client.InNamespace(ns))
	}
	c, err := e.client()
	if err != nil {
		return nil, nil, "", err
	}
	return c, opts, ns, nil
}

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

package controllers

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/app"
)

// Field indexes, so lookups by reference read a cache index, never a full List.
const (
	// IndexAppSecretRefs indexes LightningApps by the LightningSecret names they reference.
	IndexAppSecretRefs = "spec.secrets.secretRef"
	// IndexSecretOwnerApp indexes our Secrets by the LightningApp that owns them.
	IndexSecretOwnerApp = "metadata.ownerApp"
	// IndexPodInjectedSecret indexes app pods by the Secret their env points at.
	IndexPodInjectedSecret = "metadata.injectedSecret"
	// IndexAppStarting holds the LightningApps that await their first
	// pass (app.Starting), under the second they were made
	// (startingIndexKey).
	IndexAppStarting = "status.starting"
	// IndexSecretAwaitsFirstStatus holds the LightningSecrets whose status
	// was never written, under indexedTrue.
	IndexSecretAwaitsFirstStatus = "status.awaitsFirstStatus"
)

// indexedTrue is the one value of the yes/no indexes.
const indexedTrue = "true"

// yes is the index value of a yes/no index.
func yes(b bool) []string {
	if b {
		return []string{indexedTrue}
	}
	return nil
}

// SetupIndexes registers the field indexes the reconcilers read.
func SetupIndexes(ctx context.Context, mgr ctrl.Manager) error {
	idx := mgr.GetFieldIndexer()
	if err := idx.IndexField(ctx, &lightningv1alpha1.LightningApp{}, IndexAppSecretRefs, func(o client.Object) []string {
		return secretRefs(o.(*lightningv1alpha1.LightningApp))
	}); err != nil {
		return err
	}
	if err := idx.IndexField(ctx, &corev1.Secret{}, IndexSecretOwnerApp, func(o client.Object) []string {
		if ref := metav1GetControllerOf(o); ref != nil && ref.Kind == "LightningApp" && ref.APIVersion == lightningv1alpha1.GroupVersion.String() {
			return []string{ref.Name}
		}
		return nil
	}); err != nil {
		return err
	}
	if err := idx.IndexField(ctx, &lightningv1alpha1.LightningApp{}, IndexAppStarting, func(o client.Object) []string {
		if a := o.(*lightningv1alpha1.LightningApp); app.Starting(a) {
			return []string{startingIndexKey(a.CreationTimestamp.Time)}
		}
		return nil
	}); err != nil {
		return err
	}
	if err := idx.IndexField(ctx, &lightningv1alpha1.LightningSecret{}, IndexSecretAwaitsFirstStatus, func(o client.Object) []string {
		return yes(awaitsFirstStatus(o.(*lightningv1alpha1.LightningSecret)))
	}); err != nil {
		return err
	}
	return idx.IndexField(ctx, &corev1.Pod{}, IndexPodInjectedSecret, func(o client.Object) []string {
		return podSecretNames(o.(*corev1.Pod))
	})
}

// secretRefs lists the distinct LightningSecret names an app references.
func secretRefs(a *lightningv1alpha1.LightningApp) []string {
	seen := make(map[string]struct{}, len(a.Spec.Secrets))
	out := make([]string, 0, len(a.Spec.Secrets))
	for _, s := range a.Spec.Secrets {
		if _, dup := seen[s.SecretRef]; !dup {
			seen[s.SecretRef] = struct{}{}
			out = append(out, s.SecretRef)
		}
	}
	return out
}

// podSecretNames lists the Secrets a pod's env refers to: the webhook's
// annotation, and any secretKeyRef, so a pod keeps its Secret alive either way.
func podSecretNames(p *corev1.Pod) []string {
	seen := map[string]struct{}{}
	if name := p.Annotations[lightningv1alpha1.AnnotationInjectedSecret]; name != "" {
		seen[name] = struct{}{}
	}
	for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for _, c := range cs {
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					seen[e.ValueFrom.SecretKeyRef.Name] = struct{}{}
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for name := range seen {
		out = append(out, name)
	}
	return out
}

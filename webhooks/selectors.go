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

package webhooks

import (
	"slices"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

// The leader reads and patches the webhook's own registration.
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=mutatingwebhookconfigurations,verbs=get;patch,resourceNames=lightning-operator-mutating-webhook-configuration

// namespaceNameLabel is set by the apiserver on every namespace.
const namespaceNameLabel = corev1.LabelMetadataName

// KeepSelectors returns what the configuration's writer applies to each
// webhook of the registration: the pod webhook must select only pods
// labelled lightning.ai/app, outside the operator's namespace and
// kube-system, whatever namespace it was installed into (the generated
// manifest can only name the default one). It adds what is missing and
// removes nothing, so a stricter selector a cluster admin set stays. It
// reports whether it changed w.
//
// A namespace-scoped operator (watchNamespaces, sorted) also keeps the
// selector's kubernetes.io/metadata.name In requirement to exactly those
// namespaces, so pods elsewhere are never sent to it: that one requirement
// follows the flag, and narrowing further takes another requirement.
func KeepSelectors(operatorNamespace string, watchNamespaces ...string) func(*admissionregistrationv1.MutatingWebhook) bool {
	excluded := []string{operatorNamespace, metav1.NamespaceSystem}
	return func(w *admissionregistrationv1.MutatingWebhook) bool {
		if w.Name != PodWebhookName {
			return false
		}
		changed := ensureSelectors(w, excluded)
		return ensureWatched(w, watchNamespaces) || changed
	}
}

// ensureWatched makes w's namespaceSelector require a namespace name in
// watched, when there are any. It reports whether it changed w.
func ensureWatched(w *admissionregistrationv1.MutatingWebhook, watched []string) bool {
	if len(watched) == 0 {
		return false
	}
	r, added := nameRequirement(w.NamespaceSelector, metav1.LabelSelectorOpIn, watched)
	if added || slices.Equal(r.Values, watched) {
		return added
	}
	r.Values = slices.Clone(watched)
	return true
}

// nameRequirement returns sel's requirement on the namespace name with op,
// adding it with values when sel has none (then added is true).
func nameRequirement(sel *metav1.LabelSelector, op metav1.LabelSelectorOperator, values []string) (r *metav1.LabelSelectorRequirement, added bool) {
	i := slices.IndexFunc(sel.MatchExpressions, func(r metav1.LabelSelectorRequirement) bool {
		return r.Key == namespaceNameLabel && r.Operator == op
	})
	if i >= 0 {
		return &sel.MatchExpressions[i], false
	}
	sel.MatchExpressions = append(sel.MatchExpressions, metav1.LabelSelectorRequirement{
		Key: namespaceNameLabel, Operator: op, Values: slices.Clone(values),
	})
	return &sel.MatchExpressions[len(sel.MatchExpressions)-1], true
}

// ensureSelectors makes w select only pods labelled lightning.ai/app, outside
// the excluded namespaces. It reports whether it changed w.
func ensureSelectors(w *admissionregistrationv1.MutatingWebhook, excluded []string) bool {
	changed := false
	if w.ObjectSelector == nil {
		w.ObjectSelector = &metav1.LabelSelector{}
	}
	appExists := metav1.LabelSelectorRequirement{Key: lightningv1alpha1.LabelApp, Operator: metav1.LabelSelectorOpExists}
	if !slices.ContainsFunc(w.ObjectSelector.MatchExpressions, func(r metav1.LabelSelectorRequirement) bool {
		return r.Key == appExists.Key && r.Operator == appExists.Operator
	}) {
		w.ObjectSelector.MatchExpressions = append(w.ObjectSelector.MatchExpressions, appExists)
		changed = true
	}

	if w.NamespaceSelector == nil {
		w.NamespaceSelector = &metav1.LabelSelector{}
	}
	r, added := nameRequirement(w.NamespaceSelector, metav1.LabelSelectorOpNotIn, excluded)
	if added {
		return true
	}
	for _, ns := range excluded {
		if !slices.Contains(r.Values, ns) {
			r.Values = append(r.Values, ns)
			changed = true
		}
	}
	return changed
}

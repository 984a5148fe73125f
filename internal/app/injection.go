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
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// WebhookSelectsNamespace reports whether the registered pod webhook is
// called for pods in a namespace with nsLabels, by its namespaceSelector (a
// missing selector selects every namespace, as the apiserver reads it). An
// app whose namespace it does not select would run its pods without env. A
// selector the apiserver accepted always parses; the error is for one that
// does not.
func WebhookSelectsNamespace(w *admissionregistrationv1.MutatingWebhook, nsLabels map[string]string) (bool, error) {
	if w.NamespaceSelector == nil {
		return true, nil
	}
	sel, err := metav1.LabelSelectorAsSelector(w.NamespaceSelector)
	if err != nil {
		return false, fmt.Errorf("the namespaceSelector of webhook %s does not parse: %w", w.Name, err)
	}
	return sel.Matches(labels.Set(nsLabels)), nil
}

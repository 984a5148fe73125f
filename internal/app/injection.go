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

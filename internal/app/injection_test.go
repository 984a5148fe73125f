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
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestWebhookSelectsNamespace(t *testing.T) {
	notIn := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
		{Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"lightning-system", "kube-system"}},
		{Key: "lightning.ai/injection", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"disabled"}},
	}}
	tests := []struct {
		name     string
		selector *metav1.LabelSelector
		labels   map[string]string
		want     bool
		wantErr  bool
	}{
		{"no selector selects every namespace", nil, map[string]string{"kubernetes.io/metadata.name": "kube-system"}, true, false},
		{"an empty selector selects every namespace", &metav1.LabelSelector{}, nil, true, false},
		{"a user namespace", notIn, map[string]string{"kubernetes.io/metadata.name": "alice"}, true, false},
		{"the operator's namespace", notIn, map[string]string{"kubernetes.io/metadata.name": "lightning-system"}, false, false},
		{"a namespace an admin opted out", notIn, map[string]string{"kubernetes.io/metadata.name": "bob", "lightning.ai/injection": "disabled"}, false, false},
		{"matchLabels an opted-in namespace has", &metav1.LabelSelector{MatchLabels: map[string]string{"lightning.ai/injection": "enabled"}}, map[string]string{"lightning.ai/injection": "enabled"}, true, false},
		{"matchLabels a namespace lacks", &metav1.LabelSelector{MatchLabels: map[string]string{"lightning.ai/injection": "enabled"}}, map[string]string{"kubernetes.io/metadata.name": "carol"}, false, false},
		{"a selector that does not parse", &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "k", Operator: "Near"}}}, nil, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := WebhookSelectsNamespace(&admissionregistrationv1.MutatingWebhook{Name: "pod-env.lightning.ai", NamespaceSelector: tt.selector}, tt.labels)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("WebhookSelectsNamespace = %v, %v; want %v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

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
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestKeepSelectorsNamespaces(t *testing.T) {
	notIn := metav1.LabelSelectorRequirement{Key: namespaceNameLabel, Operator: metav1.LabelSelectorOpNotIn, Values: []string{"ops", "kube-system"}}
	in := func(ns ...string) metav1.LabelSelectorRequirement {
		return metav1.LabelSelectorRequirement{Key: namespaceNameLabel, Operator: metav1.LabelSelectorOpIn, Values: ns}
	}
	team := metav1.LabelSelectorRequirement{Key: "team", Operator: metav1.LabelSelectorOpExists}
	for _, tt := range []struct {
		name        string
		watch       []string
		have        []metav1.LabelSelectorRequirement
		want        []metav1.LabelSelectorRequirement
		wantChanged bool
	}{
		{name: "cluster-wide adds the exclusion", have: nil,
			want: []metav1.LabelSelectorRequirement{notIn}, wantChanged: true},
		{name: "cluster-wide keeps an admin's In", have: []metav1.LabelSelectorRequirement{notIn, in("a")},
			want: []metav1.LabelSelectorRequirement{notIn, in("a")}},
		{name: "namespaced adds the watched namespaces", watch: []string{"a", "b"}, have: []metav1.LabelSelectorRequirement{notIn},
			want: []metav1.LabelSelectorRequirement{notIn, in("a", "b")}, wantChanged: true},
		{name: "namespaced on a fresh registration", watch: []string{"a"}, have: nil,
			want: []metav1.LabelSelectorRequirement{notIn, in("a")}, wantChanged: true},
		{name: "namespaced already narrowed", watch: []string{"a", "b"}, have: []metav1.LabelSelectorRequirement{notIn, in("a", "b")},
			want: []metav1.LabelSelectorRequirement{notIn, in("a", "b")}},
		{name: "the In follows a changed flag", watch: []string{"a", "c"}, have: []metav1.LabelSelectorRequirement{notIn, in("a", "b")},
			want: []metav1.LabelSelectorRequirement{notIn, in("a", "c")}, wantChanged: true},
		{name: "an admin's other requirement stays", watch: []string{"a"}, have: []metav1.LabelSelectorRequirement{team, notIn},
			want: []metav1.LabelSelectorRequirement{team, notIn, in("a")}, wantChanged: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := &admissionregistrationv1.MutatingWebhook{Name: PodWebhookName}
			if tt.have != nil {
				w.ObjectSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
					{Key: "lightning.ai/app", Operator: metav1.LabelSelectorOpExists}}}
				w.NamespaceSelector = &metav1.LabelSelector{MatchExpressions: tt.have}
			}
			wantChanged := tt.wantChanged || tt.have == nil
			if changed := KeepSelectors("ops", tt.watch...)(w); changed != wantChanged {
				t.Errorf("changed = %v, want %v", changed, wantChanged)
			}
			if diff := cmp.Diff(tt.want, w.NamespaceSelector.MatchExpressions); diff != "" {
				t.Errorf("namespaceSelector (-want +got):\n%s", diff)
			}
		})
	}
	other := &admissionregistrationv1.MutatingWebhook{Name: "other.example.com"}
	if KeepSelectors("ops", "a")(other) || other.NamespaceSelector != nil {
		t.Error("another webhook of the registration was changed")
	}
}

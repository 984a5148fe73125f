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

package operator_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/operator"
)

func TestParseWatchNamespaces(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    []string
		wantErr string
	}{
		{in: "", want: nil},
		{in: "  ", want: nil},
		{in: "team-a", want: []string{"team-a"}},
		{in: "team-b, team-a", want: []string{"team-a", "team-b"}},
		{in: "team-a,,team-b", wantErr: `--watch-namespaces "team-a,,team-b" has an empty name`},
		{in: "team-a,", wantErr: "has an empty name"},
		{in: "Team-A", wantErr: `--watch-namespaces: "Team-A" is not a namespace name`},
		{in: "team_a", wantErr: `"team_a" is not a namespace name`},
		{in: "team-a,lightning-system", wantErr: "--watch-namespaces: lightning-system is the operator's own namespace"},
		{in: "kube-system", wantErr: "--watch-namespaces: kube-system is never served by the pod webhook"},
		{in: "team-a,team-a", wantErr: "--watch-namespaces: team-a is listed twice"},
	} {
		got, err := operator.ParseWatchNamespaces(tt.in, "lightning-system")
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%q: error %v, want one line containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.in, diff)
		}
	}
}

// byKind returns the ByObject entry of obj's type.
func byKind[T any](o cache.Options) (cache.ByObject, bool) {
	for obj, b := range o.ByObject {
		if _, ok := obj.(T); ok {
			return b, true
		}
	}
	return cache.ByObject{}, false
}

func namespacesOf(b cache.ByObject) []string {
	var out []string
	for ns := range b.Namespaces {
		out = append(out, ns)
	}
	slices.Sort(out)
	return out
}

func TestScopeCache(t *testing.T) {
	base := operator.CacheOptions("hook")
	if got := operator.ScopeCache(base, "lightning-system", nil); got.DefaultNamespaces != nil {
		t.Errorf("no watched namespaces scoped the cache to %v", got.DefaultNamespaces)
	}

	got := operator.ScopeCache(base, "lightning-system", []string{"team-a", "team-b"})
	var defaults []string
	for ns := range got.DefaultNamespaces {
		defaults = append(defaults, ns)
	}
	slices.Sort(defaults)
	if diff := cmp.Diff([]string{"team-a", "team-b"}, defaults); diff != "" {
		t.Errorf("DefaultNamespaces (-want +got):\n%s", diff)
	}

	secrets, ok := byKind[*corev1.Secret](got)
	if !ok {
		t.Fatal("no Secret entry")
	}
	if diff := cmp.Diff([]string{"lightning-system", "team-a", "team-b"}, namespacesOf(secrets)); diff != "" {
		t.Errorf("Secret namespaces (-want +got):\n%s", diff)
	}
	ours := labels.Set{lightningv1alpha1.LabelManagedBy: lightningv1alpha1.ManagedByValue}
	if secrets.Label == nil || !secrets.Label.Matches(ours) || secrets.Label.Matches(labels.Set{}) {
		t.Errorf("the Secret entry lost its label selector: %v", secrets.Label)
	}
	// Other namespaced kinds follow DefaultNamespaces.
	if deployments, _ := byKind[*appsv1.Deployment](got); deployments.Namespaces != nil {
		t.Errorf("Deployments are cached in %v, not the watched namespaces", namespacesOf(deployments))
	}

	ns, ok := byKind[*corev1.Namespace](got)
	if !ok || ns.Label == nil {
		t.Fatal("Namespaces are cached by no selector")
	}
	for name, want := range map[string]bool{"team-a": true, "team-b": true, "team-c": false, "lightning-system": false} {
		if m := ns.Label.Matches(labels.Set{corev1.LabelMetadataName: name}); m != want {
			t.Errorf("the Namespace selector %s matches %s: %v, want %v", ns.Label, name, m, want)
		}
	}

	// The base options are not changed.
	if base.DefaultNamespaces != nil {
		t.Error("ScopeCache changed its input's DefaultNamespaces")
	}
	if b, _ := byKind[*corev1.Secret](base); b.Namespaces != nil {
		t.Error("ScopeCache changed its input's Secret entry")
	}
	if _, ok := byKind[*corev1.Namespace](base); ok {
		t.Error("ScopeCache added to its input's ByObject")
	}
}

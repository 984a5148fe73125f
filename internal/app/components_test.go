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
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/test/builders"
)

func TestDeploymentName(t *testing.T) {
	long := "root." + strings.Repeat("very_long_work_name", 5)
	tests := []struct {
		app, path, want string
	}{
		{"my-app", "root", "my-app-root"},
		{"my-app", "root.works.0", "my-app-root-works-0"},
		{"my-app", "root.a.b", "my-app-root-a-b"},
		{"my-app", "root.work_a", "my-app-root-work-a-" + shortHash("my-app/root.work_a", 8)},
		{"my-app", "root.Work", "my-app-root-work-" + shortHash("my-app/root.Work", 8)},
		{"my-app", "root.a_", "my-app-root-a-" + shortHash("my-app/root.a_", 8)},
		{"my-app", long, "my-app-root-very-long-work-namevery-long-wo-" + shortHash("my-app/"+long, 8)},
		{strings.Repeat("a", 60), "root", strings.Repeat("a", 43) + "-" + shortHash(strings.Repeat("a", 60)+"/root", 8)},
	}
	for _, tt := range tests {
		got := DeploymentName(tt.app, tt.path)
		if got != tt.want {
			t.Errorf("DeploymentName(%q, %q) = %q, want %q", tt.app, tt.path, got, tt.want)
		}
		if errs := validation.IsDNS1123Label(got); len(errs) > 0 {
			t.Errorf("DeploymentName(%q, %q) = %q is not a DNS-1123 label: %v", tt.app, tt.path, got, errs)
		}
		if len(got) > maxDeploymentName {
			t.Errorf("DeploymentName(%q, %q) = %q is longer than %d", tt.app, tt.path, got, maxDeploymentName)
		}
	}
}

func TestDeploymentNamesAreUnique(t *testing.T) {
	paths := []string{"root", "root.a.b", "root.a_b", "root.A.b", "root.a.B", "root.a__b", "root.works.0", "root.works_0"}
	seen := map[string]string{}
	for _, p := range paths {
		name := DeploymentName("app", p)
		if other, dup := seen[name]; dup {
			t.Errorf("%q and %q both map to %q", p, other, name)
		}
		seen[name] = p
	}
}

func TestComponentLabel(t *testing.T) {
	tests := map[string]string{
		"root":                            "root",
		"root.work_a":                     "root.work_a",
		"root.works.0":                    "root.works.0",
		"root.a_":                         "c-" + shortHash("root.a_", 16),
		"root." + strings.Repeat("w", 70): "c-" + shortHash("root."+strings.Repeat("w", 70), 16),
	}
	for path, want := range tests {
		got := ComponentLabel(path)
		if got != want {
			t.Errorf("ComponentLabel(%q) = %q, want %q", path, got, want)
		}
		if errs := validation.IsValidLabelValue(got); len(errs) > 0 {
			t.Errorf("ComponentLabel(%q) = %q is not a label value: %v", path, got, errs)
		}
	}
}

func TestComponents(t *testing.T) {
	gpu := &lightningv1alpha1.CloudCompute{Name: "gpu"}
	a := builders.App("my-app", "").Work("root.work_a", "gpu").Work("root.works.0").Obj()
	want := []Component{{Path: "root"}, {Path: "root.work_a", CloudCompute: gpu}, {Path: "root.works.0"}}
	if diff := cmp.Diff(want, Components(a)); diff != "" {
		t.Errorf("Components() mismatch (-want +got):\n%s", diff)
	}
}

func TestPodComponent(t *testing.T) {
	long := "root." + strings.Repeat("w", 70)
	a := builders.App("my-app", "").Work("root.work_a").Work(long).Obj()
	tests := []struct {
		label        string
		path         string
		declared, ok bool
	}{
		{"root", "root", true, true},
		{"root.work_a", "root.work_a", true, true},
		{ComponentLabel(long), long, true, true},
		{"root.works.3", "root.works.3", false, true},
		{"root.nodes.0.worker", "root.nodes.0.worker", false, true},
		{"", "", false, false},
		{"work_a", "", false, false},
		{"root.", "", false, false},
		{"root..a", "", false, false},
		{"root.a-b", "", false, false},
		{"c-0123456789abcdef", "", false, false},
	}
	for _, tt := range tests {
		path, declared, ok := PodComponent(a, tt.label)
		if path != tt.path || declared != tt.declared || ok != tt.ok {
			t.Errorf("PodComponent(%q) = %q, %v, %v; want %q, %v, %v", tt.label, path, declared, ok, tt.path, tt.declared, tt.ok)
		}
	}
}

func TestWorkName(t *testing.T) {
	for path, want := range map[string]string{"root": "", "root.work_a": "work_a", "root.works.0": "works.0", "root.nodes.0.w": "nodes.0.w"} {
		if got := WorkName(path); got != want {
			t.Errorf("WorkName(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestPendingComponents(t *testing.T) {
	a := builders.App("my-app", "alice").Work("root.works.0").Work("root.work_a").Obj()
	want := []lightningv1alpha1.ComponentStatus{
		{Name: "root", Deployment: "my-app-root"},
		{Name: "root.works.0", Deployment: "my-app-root-works-0"},
		{Name: "root.work_a", Deployment: DeploymentName("my-app", "root.work_a")},
	}
	if diff := cmp.Diff(want, PendingComponents(a)); diff != "" {
		t.Errorf("PendingComponents (-want +got):\n%s", diff)
	}
}

func TestAwaitsFirstSecret(t *testing.T) {
	withSecret := builders.App("my-app", "alice").Secret("MY_APP_SECRET", "my-secret").Obj()
	hasOne := withSecret.DeepCopy()
	hasOne.Status.SecretName = "my-app-env-0123456789"
	failedBefore := withSecret.DeepCopy()
	failedBefore.Status.Phase = lightningv1alpha1.PhasePending
	tests := []struct {
		name string
		app  *lightningv1alpha1.LightningApp
		want bool
	}{
		{"a new app with secrets", withSecret, true},
		{"an app whose status names its Secret", hasOne, false},
		{"an app that never resolved", failedBefore, true},
		{"an app with no secrets makes no Secret", builders.App("plain", "alice").Obj(), false},
	}
	for _, tt := range tests {
		if got := AwaitsFirstSecret(tt.app); got != tt.want {
			t.Errorf("%s: AwaitsFirstSecret = %v, want %v", tt.name, got, tt.want)
		}
	}
}

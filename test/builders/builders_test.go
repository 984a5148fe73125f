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

package builders

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

func TestAppKeepsCallOrder(t *testing.T) {
	got := App("my-app", "alice").Secret("B", "b").Secret("A", "a").Env("FOO", "bar").Work("root.w", "gpu").Obj()
	want := &lightningv1alpha1.LightningApp{
		ObjectMeta: metav1.ObjectMeta{Name: "my-app", Namespace: "alice"},
		Spec: lightningv1alpha1.LightningAppSpec{
			Image:   DefaultImage,
			Env:     []lightningv1alpha1.EnvVar{{Name: "FOO", Value: "bar"}},
			Secrets: []lightningv1alpha1.SecretEnvVar{{Name: "B", SecretRef: "b"}, {Name: "A", SecretRef: "a"}},
			Works:   []lightningv1alpha1.WorkSpec{{Name: "root.w", CloudCompute: &lightningv1alpha1.CloudCompute{Name: "gpu"}}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("App (-want +got):\n%s", diff)
	}
}

func TestPod(t *testing.T) {
	got := Pod("alice", "my-app", "root").Containers("flow").Env("flow", corev1.EnvVar{Name: "X", Value: "1"}).Obj()
	if got.GenerateName != "my-app-" || got.Labels[lightningv1alpha1.LabelComponent] != "root" ||
		len(got.Spec.Containers) != 1 || got.Spec.Containers[0].Env[0].Name != "X" {
		t.Errorf("Pod = %+v", got)
	}
}

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

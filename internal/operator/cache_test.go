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

package operator

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

func TestStripUnread(t *testing.T) {
	managed := []metav1.ManagedFieldsEntry{{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply}}
	tests := []struct {
		name            string
		annotations     map[string]string
		managedFields   []metav1.ManagedFieldsEntry
		wantAnnotations map[string]string
	}{
		{"managedFields go", nil, managed, nil},
		{"kubectl's last-applied copy goes, other annotations stay",
			map[string]string{corev1.LastAppliedConfigAnnotation: `{"spec":{"encryptedValue":"..."}}`, lightningv1alpha1.AnnotationResealRequest: "r1"}, nil,
			map[string]string{lightningv1alpha1.AnnotationResealRequest: "r1"}},
		{"nothing to strip", map[string]string{"a": "b"}, nil, map[string]string{"a": "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lsec := &lightningv1alpha1.LightningSecret{ObjectMeta: metav1.ObjectMeta{Annotations: tt.annotations, ManagedFields: tt.managedFields}}
			out, err := stripUnread(lsec)
			if err != nil {
				t.Fatal(err)
			}
			got := out.(*lightningv1alpha1.LightningSecret)
			if got.ManagedFields != nil {
				t.Errorf("managedFields kept: %v", got.ManagedFields)
			}
			if diff := cmp.Diff(tt.wantAnnotations, got.Annotations); diff != "" {
				t.Errorf("annotations (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("a tombstone passes through", func(t *testing.T) {
		tomb := toolscache.DeletedFinalStateUnknown{Key: "ns/name"}
		if out, err := stripUnread(tomb); err != nil || out != any(tomb) {
			t.Errorf("got %v, %v", out, err)
		}
	})
}

func TestCacheTransformsKeepWhatIsRead(t *testing.T) {
	appSecret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{lightningv1alpha1.LabelApp: "a"}},
		Data: map[string][]byte{"TOKEN": []byte("value")}}
	keyring := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{lightningv1alpha1.LabelManagedBy: lightningv1alpha1.ManagedByValue}},
		Data: map[string][]byte{"keys": []byte("ring")}}
	if out, _ := stripAppSecretData(appSecret); out.(*corev1.Secret).Data != nil {
		t.Errorf("an app Secret's values stay in the cache")
	}
	if out, _ := stripAppSecretData(keyring); string(out.(*corev1.Secret).Data["keys"]) != "ring" {
		t.Errorf("the keyring lost its data")
	}

	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{"lightning.ai/template-hash": "h"}},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](0), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}},
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}}}},
		Status: appsv1.DeploymentStatus{AvailableReplicas: 1},
	}
	out, _ := chain(stripUnread, stripPodTemplate)(d)
	got := out.(*appsv1.Deployment)
	if len(got.Spec.Template.Spec.Containers) != 0 {
		t.Errorf("the pod template stays in the cache")
	}
	if got.Annotations["lightning.ai/template-hash"] != "h" || ptr.Deref(got.Spec.Replicas, 1) != 0 ||
		got.Spec.Selector == nil || got.Status.AvailableReplicas != 1 {
		t.Errorf("stripped what the controller reads: %+v", got)
	}
}

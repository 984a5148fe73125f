package operator

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"

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
			map[string]string{lastAppliedAnnotation: `{"spec":{"encryptedValue":"..."}}`, lightningv1alpha1.AnnotationResealRequest: "r1"}, nil,
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

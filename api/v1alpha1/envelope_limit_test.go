package v1alpha1_test

import (
	"os"
	"path/filepath"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/lightning-operator/lightning-operator/internal/sealing"
	"github.com/lightning-operator/lightning-operator/internal/testenv"
)

// The schema's limit must be exactly the longest envelope sealing makes, so
// every value up to the Secret size limit can be stored, and nothing larger.
func TestEncryptedValueMaxLengthMatchesSealing(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "crd", "bases", "lightning.ai_lightningsecrets.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.Unmarshal(data, crd); err != nil {
		t.Fatal(err)
	}
	field := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties["encryptedValue"]
	if field.MaxLength == nil || *field.MaxLength != int64(sealing.MaxEnvelopeLength) {
		t.Errorf("encryptedValue maxLength = %v, want sealing.MaxEnvelopeLength = %d", field.MaxLength, sealing.MaxEnvelopeLength)
	}
}

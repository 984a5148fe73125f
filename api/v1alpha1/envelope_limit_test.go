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

package v1alpha1_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel/model"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/cel/environment"
	"sigs.k8s.io/yaml"

	"github.com/lightning-operator/lightning-operator/internal/limits"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
	"github.com/lightning-operator/lightning-operator/internal/testenv"
)

// The apiserver's CEL limits (k8s.io/apiserver/pkg/apis/cel): per
// expression, and for all the rules of one request; and what a CRD's rules
// may be estimated to cost, each and together.
const (
	perCallLimit                = 1_000_000
	runtimeCELCostBudget        = 10_000_000
	staticEstimatedCostLimit    = 10_000_000
	staticEstimatedCRDCostLimit = 100_000_000
)

func encryptedValueSchema(t *testing.T) apiextensionsv1.JSONSchemaProps {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "crd", "bases", "lightning.ai_lightningsecrets.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.Unmarshal(data, crd); err != nil {
		t.Fatal(err)
	}
	return crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties["encryptedValue"]
}

// The schema's limit must be exactly the longest envelope sealing makes, so
// every value up to the limit can be stored, and nothing larger.
func TestEncryptedValueMaxLengthMatchesSealing(t *testing.T) {
	field := encryptedValueSchema(t)
	if field.MaxLength == nil || *field.MaxLength != int64(sealing.MaxEnvelopeLength) {
		t.Errorf("encryptedValue maxLength = %v, want sealing.MaxEnvelopeLength = %d", field.MaxLength, sealing.MaxEnvelopeLength)
	}
	if sealing.MaxPlaintextSize != limits.MaxValue {
		t.Errorf("sealing.MaxPlaintextSize = %d, want limits.MaxValue = %d", sealing.MaxPlaintextSize, limits.MaxValue)
	}
	// The longest envelope fits etcd's request limit with room for the
	// object's metadata and status (and kubectl's last-applied annotation,
	// limited to 256 KiB, holds the whole manifest).
	if sealing.MaxEnvelopeLength+64<<10 > limits.EtcdRequest || sealing.MaxEnvelopeLength+4<<10 > 256<<10 {
		t.Errorf("MaxEnvelopeLength = %d leaves too little room under etcd's %d or the 256 KiB of annotations", sealing.MaxEnvelopeLength, limits.EtcdRequest)
	}
}

// ruleValidator compiles encryptedValue's CEL rules as the apiserver does.
func ruleValidator(t *testing.T) (*cel.Validator, *structuralschema.Structural) {
	t.Helper()
	v1 := encryptedValueSchema(t)
	internal := &apiextensions.JSONSchemaProps{}
	if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(&v1, internal, nil); err != nil {
		t.Fatal(err)
	}
	s, err := structuralschema.NewStructural(internal)
	if err != nil {
		t.Fatal(err)
	}
	v := cel.NewValidator(s, false, perCallLimit)
	if v == nil {
		t.Fatal("encryptedValue has no CEL rules")
	}
	return v, s
}

// crafted is an envelope of the given form around a value of size bytes:
// random bytes where the nonce, stanzas and ciphertext go. The rules read
// the header and the length; opening is the operator's.
func crafted(version string, recipients, size int) string {
	ids := make([]string, recipients)
	for i := range ids {
		ids[i] = fmt.Sprintf("%016x", i+1)
	}
	n := 12 + recipients*1168 + size + 16
	if version == "v1" {
		n = 1120 + size + 16
	}
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return version + ":" + strings.Join(ids, ",") + ":" + base64.StdEncoding.EncodeToString(b)
}

// The size rule computes the sealed value's length from the envelope's
// length and header exactly: every recipient count and base64 padding,
// at the limit and one byte over. Its CEL cost stays a small part of the
// apiserver's budget at the longest envelope.
func TestEncryptedValueRules(t *testing.T) {
	v, s := ruleValidator(t)
	validate := func(envelope string) (field.ErrorList, int64) {
		errs, remaining := v.Validate(context.Background(), field.NewPath("spec", "encryptedValue"), s, envelope, nil, runtimeCELCostBudget)
		return errs, runtimeCELCostBudget - remaining
	}
	type form struct {
		version    string
		recipients int
	}
	forms := []form{{"v1", 1}}
	for n := 1; n <= sealing.MaxRecipients; n++ {
		forms = append(forms, form{"v2", n})
	}
	for _, f := range forms {
		// Three sizes at and under the limit cover the three paddings.
		for size := limits.MaxValue - 2; size <= limits.MaxValue+3; size++ {
			env := crafted(f.version, f.recipients, size)
			if d, err := sealing.Describe(env); err != nil || d.ValueSize != size {
				t.Fatalf("crafted %s with %d recipients: Describe = %+v, %v", f.version, f.recipients, d, err)
			}
			errs, cost := validate(env)
			// Both rules and the message, at most 60,000: 6% of one rule's limit.
			if cost > 60_000 {
				t.Errorf("%s, %d recipients, %d bytes: CEL cost %d, more than 60,000", f.version, f.recipients, size, cost)
			}
			if size <= limits.MaxValue {
				if len(errs) != 0 {
					t.Errorf("%s, %d recipients, %d bytes (at most the limit): refused: %v", f.version, f.recipients, size, errs)
				}
				continue
			}
			want := fmt.Sprintf("spec.encryptedValue: Forbidden: the sealed value is %d bytes, more than the 131069 one environment variable can carry (Linux MAX_ARG_STRLEN: 131072 bytes for NAME=value and its NUL)", size)
			if len(errs) != 1 || errs[0].Error() != want {
				t.Errorf("%s, %d recipients, %d bytes: errors %v, want %q", f.version, f.recipients, size, errs, want)
			}
		}
	}
	// What the apiserver estimates when it takes the CRD (at maxLength).
	results, err := cel.Compile(s, model.SchemaDeclType(s, false), perCallLimit, environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()), cel.StoredExpressionsEnvLoader())
	if err != nil {
		t.Fatal(err)
	}
	total := uint64(0)
	for i, r := range results {
		if r.Error != nil || r.MessageExpressionError != nil {
			t.Fatalf("rule %d does not compile: %v %v", i, r.Error, r.MessageExpressionError)
		}
		t.Logf("rule %d: estimated cost %d, message %d", i, r.MaxCost, r.MessageExpressionMaxCost)
		if r.MaxCost > staticEstimatedCostLimit || r.MessageExpressionMaxCost > staticEstimatedCostLimit {
			t.Errorf("rule %d: estimated cost %d, message %d: over the %d an expression may be estimated at", i, r.MaxCost, r.MessageExpressionMaxCost, staticEstimatedCostLimit)
		}
		total += r.MaxCost
	}
	if total > staticEstimatedCRDCostLimit/10 {
		t.Errorf("the rules are estimated at %d, more than a tenth of what a CRD's rules may take together (%d)", total, staticEstimatedCRDCostLimit)
	}

	longest := crafted("v2", sealing.MaxRecipients, limits.MaxValue)
	if len(longest) != sealing.MaxEnvelopeLength {
		t.Fatalf("the longest envelope is %d characters, want %d", len(longest), sealing.MaxEnvelopeLength)
	}
	_, shortCost := validate(crafted("v2", 1, 32))
	_, longCost := validate(longest)
	t.Logf("CEL cost: %d for a 32-byte value, %d for the longest envelope (per-call limit %d)", shortCost, longCost, perCallLimit)

	for _, bad := range []string{"my-password", "v1:abc:AAEC", "v1:0123456789abcdef:!not-base64", "V1:0123456789abcdef:AAEC",
		"v2:" + strings.Repeat("0123456789abcdef,", 9) + "0123456789abcdef:AAAA", "v2:0123456789abcdef,:AAAA"} {
		errs, _ := validate(bad)
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), "encryptedValue must be a sealed envelope") || strings.Contains(errs[0].Error(), bad) {
			t.Errorf("%q: errors %v, want the envelope message alone, without the value", bad, errs)
		}
	}
}

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
	"os"
	"regexp"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
)

// The CLI checks flags with copies of the LightningApp schema's patterns and
// limits, so a printed manifest is never refused at apply time. This test
// reads the generated CRD and keeps the copies equal to it.
func TestChecksMatchTheCRD(t *testing.T) {
	spec := appSpecSchema(t)
	env, secrets, works := spec.Properties["env"], spec.Properties["secrets"], spec.Properties["works"]
	flowCompute := spec.Properties["flow"].Properties["cloudCompute"].Properties["name"]
	workCompute := works.Items.Schema.Properties["cloudCompute"].Properties["name"]

	patterns := []struct {
		field  string
		schema string
		cli    *regexp.Regexp
	}{
		{"env[].name", celMatches(t, env.Items.Schema.Properties["name"]), envNameRE},
		{"secrets[].name", celMatches(t, secrets.Items.Schema.Properties["name"]), envNameRE},
		{"works[].name", celMatches(t, works.Items.Schema.Properties["name"]), workPathRE},
		{"flow.cloudCompute.name", flowCompute.Pattern, computeRE},
		{"works[].cloudCompute.name", workCompute.Pattern, computeRE},
	}
	for _, p := range patterns {
		if p.schema != p.cli.String() {
			t.Errorf("%s: the CRD has pattern %q, the CLI %q", p.field, p.schema, p.cli)
		}
	}

	limits := []struct {
		field  string
		schema *int64
		cli    int
	}{
		{"env", env.MaxItems, maxListItems},
		{"secrets", secrets.MaxItems, maxListItems},
		{"works", works.MaxItems, maxListItems},
		{"env[].name", env.Items.Schema.Properties["name"].MaxLength, maxEnvNameLen},
		{"env[].value", env.Items.Schema.Properties["value"].MaxLength, maxEnvValueLen},
		{"secrets[].name", secrets.Items.Schema.Properties["name"].MaxLength, maxEnvNameLen},
		{"secrets[].secretRef", secrets.Items.Schema.Properties["secretRef"].MaxLength, cmdutil.MaxSecretNameLen},
		{"works[].name", works.Items.Schema.Properties["name"].MaxLength, maxWorkPathLen},
		{"flow.cloudCompute.name", flowCompute.MaxLength, maxComputeLen},
		{"works[].cloudCompute.name", workCompute.MaxLength, maxComputeLen},
		{"image", spec.Properties["image"].MaxLength, maxImageLen},
		{"entrypoint", spec.Properties["entrypoint"].MaxLength, maxEntrypointLen},
	}
	for _, l := range limits {
		if l.schema == nil || *l.schema != int64(l.cli) {
			t.Errorf("%s: the CRD's limit is %v, the CLI's %d", l.field, deref(l.schema), l.cli)
		}
	}

	// Secret names are checked in code, not with a copied pattern: compare
	// the two on names at the edges of the rule.
	ref := secrets.Items.Schema.Properties["secretRef"]
	refRE := regexp.MustCompile(celMatches(t, ref))
	for _, name := range []string{
		"s", "my-secret", "db.password", "a1", "a-1.b-2",
		"1abc", "-a", "a-", "A", "a_b", "a..b", "a.-b", "a.b-", ".a", "a.",
		strings.Repeat("a", 253), strings.Repeat("a", 254),
	} {
		crd := refRE.MatchString(name) && int64(len(name)) <= *ref.MaxLength
		reason, _ := cmdutil.CheckSecretName(name)
		if cli := reason == ""; cli != crd {
			t.Errorf("secret name %q: the CRD accepts it: %v, the CLI: %v", cmdutil.Show(name), crd, cli)
		}
	}
}

// appSpecSchema reads spec's schema from the generated LightningApp CRD.
func appSpecSchema(t *testing.T) apiextensionsv1.JSONSchemaProps {
	t.Helper()
	data, err := os.ReadFile("../../../config/crd/bases/lightning.ai_lightningapps.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(data, &crd); err != nil {
		t.Fatal(err)
	}
	if len(crd.Spec.Versions) != 1 {
		t.Fatalf("the CRD has %d versions; this test reads one", len(crd.Spec.Versions))
	}
	return crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
}

var celMatchesRE = regexp.MustCompile(`^self\.matches\('((?:[^'\\]|\\.)*)'\)$`)

// celMatches returns the regular expression of the field's one
// self.matches('...') rule, with the CEL string escapes undone.
func celMatches(t *testing.T, field apiextensionsv1.JSONSchemaProps) string {
	t.Helper()
	var found []string
	for _, v := range field.XValidations {
		if m := celMatchesRE.FindStringSubmatch(v.Rule); m != nil {
			found = append(found, strings.NewReplacer(`\\`, `\`, `\'`, `'`).Replace(m[1]))
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one self.matches rule, found %d in %v", len(found), field.XValidations)
	}
	return found[0]
}

func deref(p *int64) any {
	if p == nil {
		return "none"
	}
	return *p
}

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

package chart

import (
	"path/filepath"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/loader"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
)

// TestLintStrict runs Helm v4's lint rules as `helm lint --strict` does:
// strict lowers the failing severity from error to warning (an icon missing
// is only INFO). The rules are called directly: helm's action package would
// bring its registry, plugin and SQL clients into the test build.
func TestLintStrict(t *testing.T) {
	dir := filepath.Join(root, "dist", "chart")
	kube, err := common.ParseKubeVersion("v1.37.2")
	if err != nil {
		t.Fatal(err)
	}
	for _, values := range []map[string]any{
		nil,
		{"webhook": map[string]any{"tls": "cert-manager"}},
		serviceMonitorOn,
		{"watchNamespaces": []any{"team-a", "team-b"}},
		kmsOn,
	} {
		l := lint.RunAll(dir, values, namespace, lint.WithKubeVersion(kube))
		for _, m := range l.Messages {
			if m.Severity >= support.WarningSev {
				t.Errorf("helm lint --strict with %v: %s", values, m)
			}
		}
	}
}

// TestChartAPIVersion: Helm v4 renders the chart as an apiVersion v2 chart,
// which Helm v3 installs too.
func TestChartAPIVersion(t *testing.T) {
	ch, err := loader.Load(filepath.Join(root, "dist", "chart"))
	if err != nil {
		t.Fatal(err)
	}
	v2, ok := ch.(*chartv2.Chart)
	if !ok || v2.Metadata.APIVersion != chartv2.APIVersionV2 {
		t.Fatalf("dist/chart loads as %T, want an apiVersion %s chart", ch, chartv2.APIVersionV2)
	}
}

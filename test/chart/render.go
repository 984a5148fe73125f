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

// Package chart renders the Helm chart in dist/chart in-process (Helm v4's
// engine: no helm binary, no cluster). Its tests check that the chart and
// the kustomize bundle in config/ install the same objects; test/e2e applies
// the rendering on the node.
package chart

import (
	"sort"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/loader"
	"helm.sh/helm/v4/pkg/engine"
)

// Manifest is one rendered template.
type Manifest struct {
	Template, YAML string
}

// Render renders the chart in dir as `helm template lightning-operator dir
// -n ns` would, with vals over values.yaml, and returns each manifest
// template's YAML in the order of their names.
func Render(dir, ns string, vals map[string]any) ([]Manifest, error) {
	ch, err := loader.Load(dir)
	if err != nil {
		return nil, err
	}
	rv, err := util.ToRenderValues(ch, vals, common.ReleaseOptions{
		Name: "lightning-operator", Namespace: ns, Revision: 1, IsInstall: true,
	}, nil)
	if err != nil {
		return nil, err
	}
	files, err := engine.Render(ch, rv)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for n := range files {
		if strings.HasSuffix(n, ".yaml") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	out := make([]Manifest, 0, len(names))
	for _, n := range names {
		out = append(out, Manifest{Template: n, YAML: files[n]})
	}
	return out, nil
}

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
	"fmt"
	"os"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"
)

// GPUResource is the extended resource name that GPU presets request.
const GPUResource corev1.ResourceName = "nvidia.com/gpu"

// Preset is the size of one CloudCompute name.
type Preset struct {
	CPU    resource.Quantity `json:"cpu"`
	Memory resource.Quantity `json:"memory"`
	GPUs   int64             `json:"gpus,omitempty"`
}

// Presets maps CloudCompute names to sizes.
type Presets map[string]Preset

// DefaultPresets mirror Lightning's CloudCompute names; operators override
// them with --compute-presets-file (for example a mounted ConfigMap).
func DefaultPresets() Presets {
	return Presets{
		"default":        {CPU: resource.MustParse("1"), Memory: resource.MustParse("4Gi")},
		"flow-lite":      {CPU: resource.MustParse("300m"), Memory: resource.MustParse("1Gi")},
		"cpu-small":      {CPU: resource.MustParse("2"), Memory: resource.MustParse("8Gi")},
		"cpu-medium":     {CPU: resource.MustParse("8"), Memory: resource.MustParse("32Gi")},
		"gpu":            {CPU: resource.MustParse("4"), Memory: resource.MustParse("16Gi"), GPUs: 1},
		"gpu-fast":       {CPU: resource.MustParse("8"), Memory: resource.MustParse("61Gi"), GPUs: 1},
		"gpu-fast-multi": {CPU: resource.MustParse("32"), Memory: resource.MustParse("244Gi"), GPUs: 4},
	}
}

// Names lists the preset names in order, for messages.
func (p Presets) Names() []string {
	names := make([]string, 0, len(p))
	for n := range p {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LoadPresets reads a YAML map of name -> {cpu, memory, gpus} and lays it over
// the defaults, so a file only names what it changes or adds.
func LoadPresets(path string) (Presets, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading compute presets: %w", err)
	}
	return ParsePresets(data)
}

// ParsePresets is LoadPresets on bytes.
func ParsePresets(data []byte) (Presets, error) {
	var file map[string]Preset
	if err := yaml.UnmarshalStrict(data, &file); err != nil {
		return nil, fmt.Errorf("parsing compute presets: %w", err)
	}
	out := DefaultPresets()
	for name, p := range file {
		if p.CPU.Sign() <= 0 || p.Memory.Sign() <= 0 || p.GPUs < 0 {
			return nil, fmt.Errorf("compute preset %q: cpu and memory must be positive and gpus not negative", name)
		}
		out[name] = p
	}
	return out, nil
}

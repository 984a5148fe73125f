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

package cli

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

// AppParams are the parts of a LightningApp the CLI sets.
type AppParams struct {
	Name, Namespace string
	Image           string
	Entrypoint      string
	Command         []string
	FlowCompute     string
	Works           []lightningv1alpha1.WorkSpec
	Vars
}

// NewApp builds the LightningApp of p.
func NewApp(p AppParams) *lightningv1alpha1.LightningApp {
	a := &lightningv1alpha1.LightningApp{
		TypeMeta:   metav1.TypeMeta{APIVersion: lightningv1alpha1.GroupVersion.String(), Kind: "LightningApp"},
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace},
		Spec: lightningv1alpha1.LightningAppSpec{
			Image:      p.Image,
			Entrypoint: p.Entrypoint,
			Command:    p.Command,
			Works:      p.Works,
			Env:        p.Env,
			Secrets:    p.Secrets,
		},
	}
	if p.FlowCompute != "" {
		a.Spec.Flow.CloudCompute = &lightningv1alpha1.CloudCompute{Name: p.FlowCompute}
	}
	return a
}

// NewSecret builds the LightningSecret holding a sealed envelope.
func NewSecret(namespace, name, envelope string) *lightningv1alpha1.LightningSecret {
	return &lightningv1alpha1.LightningSecret{
		TypeMeta:   metav1.TypeMeta{APIVersion: lightningv1alpha1.GroupVersion.String(), Kind: "LightningSecret"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec:       lightningv1alpha1.LightningSecretSpec{EncryptedValue: envelope},
	}
}

// Manifest is obj as a user writes it: the fields the CLI set, without
// status and empty objects. It is what is printed and what is applied, so
// server-side apply owns exactly these fields.
func Manifest(obj runtime.Object) (map[string]any, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("converting %T: %w", obj, err)
	}
	delete(m, "status")
	if spec, ok := m["spec"].(map[string]any); ok {
		if flow, ok := spec["flow"].(map[string]any); ok && len(flow) == 0 {
			delete(spec, "flow")
		}
	}
	return m, nil
}

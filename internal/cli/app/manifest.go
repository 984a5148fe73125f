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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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

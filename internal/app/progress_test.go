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
	"testing"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

func TestOnlyProgress(t *testing.T) {
	components := []lightningv1alpha1.ComponentStatus{{Name: "root", Deployment: "a-root"}, {Name: "root.work", Deployment: "a-work"}}
	observed := func(ready ...bool) Observed {
		obs := Observed{Generation: 1, Resolution: Resolution{Resolved: true}, SecretName: "a-env-1", SecretsHash: "1", SecretCount: 1}
		for i, c := range components {
			c.Ready = i < len(ready) && ready[i]
			obs.Components = append(obs.Components, c)
		}
		return obs
	}
	starting := DesiredStatus(lightningv1alpha1.LightningAppStatus{}, observed(false, false))
	oneUp := DesiredStatus(starting, observed(true, false))
	allUp := DesiredStatus(oneUp, observed(true, true))
	failingObs := observed(true, false)
	failingObs.Components[1].Reason, failingObs.Components[1].Message = "ImagePullBackOff", "no such image"
	failing := DesiredStatus(starting, failingObs)
	newGeneration := observed(true, false)
	newGeneration.Generation = 2
	running := DesiredStatus(allUp, observed(true, true))
	oneDown := DesiredStatus(running, observed(true, false))

	if !progressing(starting) || !progressing(oneUp) || progressing(allUp) {
		t.Fatalf("the statuses are not what the cases assume: %+v", oneUp.Conditions)
	}

	tests := []struct {
		name       string
		prev, next lightningv1alpha1.LightningAppStatus
		want       bool
	}{
		{"one of two components became available while starting", starting, oneUp, true},
		{"the app turned Ready", oneUp, allUp, false},
		{"a component fails", starting, failing, false},
		{"a new generation was seen", starting, DesiredStatus(starting, newGeneration), false},
		{"a running app lost a component", running, oneDown, false},
		{"nothing changed", starting, starting, true},
		{"the first status of all", lightningv1alpha1.LightningAppStatus{}, starting, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := OnlyProgress(tt.prev, tt.next); got != tt.want {
				t.Errorf("OnlyProgress = %v, want %v", got, tt.want)
			}
		})
	}
}

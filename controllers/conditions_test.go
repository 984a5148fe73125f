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

package controllers

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestEventFor(t *testing.T) {
	cond := func(status metav1.ConditionStatus, reason string) []metav1.Condition {
		return []metav1.Condition{{Type: "Ready", Status: status, Reason: reason}}
	}
	tests := []struct {
		name          string
		before, after []metav1.Condition
		announce      bool
		want          string // "" for no Event
	}{
		{"first True, not announced (a secret that opens)", nil, cond("True", "Sealed"), false, ""},
		{"first True, announced (an app turning Ready)", cond("False", "Progressing"), cond("True", "ComponentsReady"), true, "Normal"},
		{"progress is no Event", nil, cond("False", "Progressing"), true, ""},
		{"a failure is a Warning", nil, cond("False", "Tampered"), false, "Warning"},
		{"a new failure reason is a Warning", cond("False", "Tampered"), cond("False", "KeyNotFound"), false, "Warning"},
		{"a recovery is Normal", cond("False", "KeyNotFound"), cond("True", "Sealed"), false, "Normal"},
		{"nothing changed", cond("False", "Tampered"), cond("False", "Tampered"), false, ""},
	}
	for _, tt := range tests {
		got, emit := eventFor(conditionTransition(tt.before, tt.after, "Ready"), tt.announce)
		if (tt.want != "") != emit || got != tt.want {
			t.Errorf("%s: eventFor = %q, %v; want %q", tt.name, got, emit, tt.want)
		}
	}
}

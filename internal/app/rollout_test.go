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
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

func TestPlanRollout(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	rolledAt := func(ago time.Duration) lightningv1alpha1.LightningAppStatus {
		at := metav1.NewTime(now.Add(-ago))
		return lightningv1alpha1.LightningAppStatus{SecretsHash: "old", LastRolloutTime: &at}
	}
	tests := []struct {
		name string
		in   RolloutInput
		want RolloutPlan
	}{{
		name: "first resolution rolls onto the new hash",
		in:   RolloutInput{Resolved: true, NewHash: "new", Now: now, MinInterval: time.Minute},
		want: RolloutPlan{TemplateHash: "new", Roll: true},
	}, {
		name: "an app without secrets and no hash yet changes nothing",
		in:   RolloutInput{Resolved: true, Now: now},
		want: RolloutPlan{},
	}, {
		name: "the same hash changes nothing",
		in:   RolloutInput{Status: rolledAt(time.Hour), Resolved: true, NewHash: "old", Now: now},
		want: RolloutPlan{TemplateHash: "old"},
	}, {
		name: "unresolved keeps the last good hash",
		in:   RolloutInput{Status: rolledAt(time.Hour), NewHash: "", Now: now},
		want: RolloutPlan{TemplateHash: "old"},
	}, {
		name: "unresolved before any resolution has no hash",
		in:   RolloutInput{Now: now},
		want: RolloutPlan{},
	}, {
		name: "a change after the interval rolls",
		in:   RolloutInput{Status: rolledAt(2 * time.Minute), Resolved: true, NewHash: "new", Now: now, MinInterval: time.Minute},
		want: RolloutPlan{TemplateHash: "new", Roll: true},
	}, {
		name: "a change within the interval waits for its end",
		in:   RolloutInput{Status: rolledAt(20 * time.Second), Resolved: true, NewHash: "new", Now: now, MinInterval: time.Minute},
		want: RolloutPlan{TemplateHash: "old", RequeueAfter: 40 * time.Second},
	}, {
		name: "a change of the refs within the interval rolls at once",
		in:   RolloutInput{Status: rolledAt(20 * time.Second), Resolved: true, NewHash: "new", Now: now, MinInterval: time.Minute, RefsChanged: true},
		want: RolloutPlan{TemplateHash: "new", Roll: true},
	}, {
		name: "no interval rolls at once",
		in:   RolloutInput{Status: rolledAt(time.Second), Resolved: true, NewHash: "new", Now: now},
		want: RolloutPlan{TemplateHash: "new", Roll: true},
	}, {
		name: "no recorded roll time rolls at once",
		in:   RolloutInput{Status: lightningv1alpha1.LightningAppStatus{SecretsHash: "old"}, Resolved: true, NewHash: "new", Now: now, MinInterval: time.Minute},
		want: RolloutPlan{TemplateHash: "new", Roll: true},
	}, {
		name: "dropping every secret rolls to no hash",
		in:   RolloutInput{Status: rolledAt(time.Hour), Resolved: true, NewHash: "", Now: now, MinInterval: time.Minute},
		want: RolloutPlan{TemplateHash: "", Roll: true},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, PlanRollout(tc.in)); diff != "" {
				t.Errorf("PlanRollout (-want +got):\n%s", diff)
			}
		})
	}
}

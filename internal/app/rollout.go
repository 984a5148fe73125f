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
	"time"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

// RolloutInput is what PlanRollout decides from.
type RolloutInput struct {
	// Status is the app's status as last written: the hash its templates
	// carry and when they last rolled.
	Status lightningv1alpha1.LightningAppStatus
	// Resolved is true when every secret ref opened and its Secret exists.
	Resolved bool
	// NewHash is the secrets hash of the resolved refs; "" for an app that
	// maps no secret.
	NewHash string
	Now     time.Time
	// MinInterval is the least time between two rolls; 0 rolls at once.
	MinInterval time.Duration
	// RefsChanged is true when spec.secrets names other env vars or refs
	// than the templates' Secret holds: that roll is never held back, since
	// the pods would ask the old Secret for keys it lacks.
	RefsChanged bool
}

// RolloutPlan says which secrets hash the pod templates get.
type RolloutPlan struct {
	// TemplateHash goes on every component's pod template.
	TemplateHash string
	// Roll is true when TemplateHash is new: the pods roll now.
	Roll bool
	// RequeueAfter is when to come back for a roll that was held back.
	RequeueAfter time.Duration
}

// PlanRollout decides the templates' hash. An unresolved app keeps its last
// good hash, so a secret that breaks later never takes it down. A change
// within MinInterval of the last roll is held back until the interval ends,
// so a burst of value changes rolls the pods once.
func PlanRollout(in RolloutInput) RolloutPlan {
	current := in.Status.SecretsHash
	if !in.Resolved || in.NewHash == current {
		return RolloutPlan{TemplateHash: current}
	}
	if current != "" && in.Status.LastRolloutTime != nil && in.MinInterval > 0 && !in.RefsChanged {
		if wait := in.Status.LastRolloutTime.Add(in.MinInterval).Sub(in.Now); wait > 0 {
			return RolloutPlan{TemplateHash: current, RequeueAfter: wait}
		}
	}
	return RolloutPlan{TemplateHash: in.NewHash, Roll: true}
}

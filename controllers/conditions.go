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
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

// metav1GetControllerOf is metav1.GetControllerOf for any object.
func metav1GetControllerOf(o metav1.Object) *metav1.OwnerReference { return metav1.GetControllerOf(o) }

// transition describes how a condition changed between two statuses, for
// Events: only transitions are announced.
type transition struct {
	changed bool
	cond    metav1.Condition
	// recovered: it was there and not True before.
	recovered bool
}

func conditionTransition(before, after []metav1.Condition, condType string) transition {
	now := meta.FindStatusCondition(after, condType)
	if now == nil {
		return transition{}
	}
	was := meta.FindStatusCondition(before, condType)
	changed := was == nil || was.Status != now.Status || was.Reason != now.Reason
	recovered := was != nil && was.Status != metav1.ConditionTrue && now.Status == metav1.ConditionTrue
	return transition{changed: changed, cond: *now, recovered: recovered}
}

// eventFor decides the Event of a transition, so a clean create makes at
// most one (the app turning Ready) and the status carries the rest: every
// failure is a Warning; progress is none; a condition turning True is a
// Normal Event when it recovers from a failure, or when it is the one
// announced on success (announce).
func eventFor(t transition, announce bool) (eventType string, emit bool) {
	switch {
	case !t.changed:
		return "", false
	case t.cond.Status != metav1.ConditionTrue:
		if t.cond.Reason == lightningv1alpha1.ReasonProgressing {
			return "", false
		}
		return corev1.EventTypeWarning, true
	case t.recovered || announce:
		return corev1.EventTypeNormal, true
	}
	return "", false
}

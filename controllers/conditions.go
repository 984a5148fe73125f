package controllers

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// metav1GetControllerOf is metav1.GetControllerOf for any object.
func metav1GetControllerOf(o metav1.Object) *metav1.OwnerReference { return metav1.GetControllerOf(o) }

// transition describes how a condition changed between two statuses, for
// Events: only transitions are announced.
type transition struct {
	changed bool
	cond    metav1.Condition
}

func conditionTransition(before, after []metav1.Condition, condType string) transition {
	now := meta.FindStatusCondition(after, condType)
	if now == nil {
		return transition{}
	}
	was := meta.FindStatusCondition(before, condType)
	changed := was == nil || was.Status != now.Status || was.Reason != now.Reason
	return transition{changed: changed, cond: *now}
}

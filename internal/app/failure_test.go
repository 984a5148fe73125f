package app

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

func waiting(reason, message string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: "component", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: message}}}
}

func podWith(statuses ...corev1.ContainerStatus) corev1.Pod {
	return corev1.Pod{Status: corev1.PodStatus{ContainerStatuses: statuses}}
}

func TestComponentFailure(t *testing.T) {
	crash := waiting("CrashLoopBackOff", "back-off 40s restarting failed container=component pod=x")
	crash.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ExitCode: 3, Reason: "Error"}
	deleting := podWith(waiting("ErrImageNeverPull", "never"))
	deleting.DeletionTimestamp = &metav1.Time{}
	unschedulable := corev1.Pod{Status: corev1.PodStatus{Conditions: []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "0/1 nodes are available: 1 Insufficient nvidia.com/gpu."}}}}
	failedCreate := &appsv1.Deployment{Status: appsv1.DeploymentStatus{Conditions: []appsv1.DeploymentCondition{
		{Type: appsv1.DeploymentReplicaFailure, Status: corev1.ConditionTrue, Reason: "FailedCreate", Message: `pods "x" is forbidden: violates PodSecurity "restricted:latest": runAsNonRoot != true`}}}}
	deadline := &appsv1.Deployment{Status: appsv1.DeploymentStatus{Conditions: []appsv1.DeploymentCondition{
		{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded", Message: `ReplicaSet "x" has timed out progressing.`}}}}
	tests := []struct {
		name string
		d    *appsv1.Deployment
		pods []corev1.Pod
		want *Failure
	}{
		{"nothing fails", &appsv1.Deployment{}, []corev1.Pod{podWith(waiting("ContainerCreating", ""))}, nil},
		{"the image is not on the node", nil, []corev1.Pod{podWith(waiting("ErrImageNeverPull", `Container image "lightning.local/missing:dev" is not present with pull policy of Never`))},
			&Failure{"ErrImageNeverPull", `Container image "lightning.local/missing:dev" is not present with pull policy of Never`}},
		{"ErrImagePull reads as ImagePullBackOff", nil, []corev1.Pod{podWith(waiting("ErrImagePull", "connection refused"))}, &Failure{"ImagePullBackOff", "connection refused"}},
		{"a crash loop gives the last exit", nil, []corev1.Pod{podWith(crash)}, &Failure{"CrashLoopBackOff", "container component exited with code 3 (Error)"}},
		{"a pod being deleted does not count", nil, []corev1.Pod{deleting}, nil},
		{"an unschedulable pod", nil, []corev1.Pod{unschedulable}, &Failure{"Unschedulable", "0/1 nodes are available: 1 Insufficient nvidia.com/gpu."}},
		{"the ReplicaSet cannot create pods", failedCreate, nil, &Failure{"FailedCreate", `pods "x" is forbidden: violates PodSecurity "restricted:latest": runAsNonRoot != true`}},
		{"FailedCreate before a pod's failure", failedCreate, []corev1.Pod{podWith(crash)}, &Failure{"FailedCreate", `pods "x" is forbidden: violates PodSecurity "restricted:latest": runAsNonRoot != true`}},
		{"the rollout ran out of time", deadline, nil, &Failure{"ProgressDeadlineExceeded", `ReplicaSet "x" has timed out progressing.`}},
		{"a long message is one bounded line", nil, []corev1.Pod{podWith(waiting("CreateContainerConfigError", "line one\nline two "+strings.Repeat("x", 400)))}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ComponentFailure(tt.d, tt.pods)
			if tt.name == "a long message is one bounded line" {
				if got == nil || strings.Contains(got.Message, "\n") || len(got.Message) > maxFailureMessage || !strings.HasPrefix(got.Message, "line one line two") {
					t.Errorf("ComponentFailure = %+v", got)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ComponentFailure (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDesiredStatusNamesFailingComponents(t *testing.T) {
	obs := Observed{Generation: 1, Resolution: Resolution{Resolved: true}, Components: []lightningv1alpha1.ComponentStatus{
		{Name: "root", Deployment: "a-root", Ready: true},
		{Name: "root.work_a", Deployment: "a-root-work-a", Reason: "ErrImageNeverPull", Message: `Container image "x" is not present`},
		{Name: "root.work_b", Deployment: "a-root-work-b"},
	}}
	st := DesiredStatus(lightningv1alpha1.LightningAppStatus{}, obs)
	ready := meta.FindStatusCondition(st.Conditions, lightningv1alpha1.ConditionReady)
	if ready.Reason != lightningv1alpha1.ReasonComponentsFailing || ready.Message != `Components failing: root.work_a: ErrImageNeverPull: Container image "x" is not present` {
		t.Errorf("Ready = %+v", ready)
	}
	if !meta.IsStatusConditionTrue(st.Conditions, ConditionReconciling) || meta.FindStatusCondition(st.Conditions, ConditionStalled) != nil {
		t.Errorf("a failing component is in progress (the kubelet retries), not stalled: %+v", st.Conditions)
	}
}

func TestErrorStatus(t *testing.T) {
	prev := lightningv1alpha1.LightningAppStatus{SecretName: "a-env-1", Phase: lightningv1alpha1.PhaseRunning, Conditions: []metav1.Condition{
		{Type: lightningv1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: "ComponentsReady"},
		{Type: ConditionReconciling, Status: metav1.ConditionTrue, Reason: "Progressing"},
	}}
	for _, stalled := range []bool{false, true} {
		st := ErrorStatus(prev, 4, "ForeignObject", "Deployment ns/a-root exists\nand is not owned", stalled)
		ready := meta.FindStatusCondition(st.Conditions, lightningv1alpha1.ConditionReady)
		if ready.Status != metav1.ConditionFalse || ready.Reason != "ForeignObject" || ready.Message != "Deployment ns/a-root exists and is not owned" || ready.ObservedGeneration != 4 {
			t.Errorf("stalled=%v: Ready = %+v", stalled, ready)
		}
		if meta.IsStatusConditionTrue(st.Conditions, ConditionStalled) != stalled || meta.IsStatusConditionTrue(st.Conditions, ConditionReconciling) == stalled {
			t.Errorf("stalled=%v: conditions = %+v", stalled, st.Conditions)
		}
		if st.SecretName != "a-env-1" {
			t.Error("the error dropped what the pass did not reach")
		}
		if st.ObservedGeneration != 4 {
			t.Errorf("observedGeneration = %d, want 4: kstatus would wait for a generation that was seen", st.ObservedGeneration)
		}
	}
	if prev.Conditions[0].Status != metav1.ConditionTrue {
		t.Error("ErrorStatus changed its input")
	}
}

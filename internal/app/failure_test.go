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
	"strings"
	"testing"
	"time"

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
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	runningSince := func(ago time.Duration, restarts int32, exitCode int32) corev1.ContainerStatus {
		st := corev1.ContainerStatus{Name: "component", RestartCount: restarts,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(now.Add(-ago))}}}
		if restarts > 0 {
			st.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ExitCode: exitCode, Reason: "Error"}
		}
		return st
	}
	nul := "environment variable value can't contain null(\\x00): \"NUL=before\\x00after-canary-value\""
	runtimePod := podWith(waiting("RunContainerError", "failed to create containerd task: "+nul))
	runtimePod.Namespace, runtimePod.Name = "alice", "my-app-root-abc"
	createPod := podWith(waiting("CreateContainerError", "Error: "+nul))
	createPod.Namespace, createPod.Name = "alice", "my-app-root-def"
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
		{"a crash-looping container running again is still crash-looping", nil, []corev1.Pod{podWith(runningSince(5*time.Second, 4, 1))},
			&Failure{"CrashLoopBackOff", "container component exited with code 1 (Error)"}},
		{"it runs once it has run for the crash window", nil, []corev1.Pod{podWith(runningSince(CrashLoopWindow, 4, 1))}, nil},
		{"an exit with an error, before the back-off", nil, []corev1.Pod{podWith(corev1.ContainerStatus{Name: "component",
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error"}}})},
			&Failure{"CrashLoopBackOff", "container component exited with code 1 (Error)"}},
		{"a restart after a clean exit is no crash", nil, []corev1.Pod{podWith(runningSince(time.Second, 1, 0))}, nil},
		{"a first run is no crash", nil, []corev1.Pod{podWith(runningSince(time.Second, 0, 0))}, nil},
		{"the runtime's message is not copied: it may quote a value", nil, []corev1.Pod{runtimePod},
			&Failure{"RunContainerError", "the container runtime could not start container component (its message may quote the environment, so it is not copied): kubectl describe pod -n alice my-app-root-abc"}},
		{"nor when it cannot create the container", nil, []corev1.Pod{createPod},
			&Failure{"CreateContainerError", "the container runtime could not start container component (its message may quote the environment, so it is not copied): kubectl describe pod -n alice my-app-root-def"}},
		{"an unschedulable pod", nil, []corev1.Pod{unschedulable}, &Failure{"Unschedulable", "0/1 nodes are available: 1 Insufficient nvidia.com/gpu."}},
		{"the ReplicaSet cannot create pods", failedCreate, nil, &Failure{"FailedCreate", `pods "x" is forbidden: violates PodSecurity "restricted:latest": runAsNonRoot != true`}},
		{"FailedCreate before a pod's failure", failedCreate, []corev1.Pod{podWith(crash)}, &Failure{"FailedCreate", `pods "x" is forbidden: violates PodSecurity "restricted:latest": runAsNonRoot != true`}},
		{"the rollout ran out of time", deadline, nil, &Failure{"ProgressDeadlineExceeded", `ReplicaSet "x" has timed out progressing.`}},
		{"a long message is one bounded line", nil, []corev1.Pod{podWith(waiting("CreateContainerConfigError", "line one\nline two "+strings.Repeat("x", 400)))}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ComponentFailure(tt.d, tt.pods, now)
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

func TestCrashLoopRecheck(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	pod := func(ago time.Duration, restarts int32) corev1.Pod {
		st := corev1.ContainerStatus{Name: "component", RestartCount: restarts,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(now.Add(-ago))}}}
		st.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ExitCode: 2}
		return podWith(st)
	}
	tests := []struct {
		name string
		pods []corev1.Pod
		want time.Duration
	}{
		{"no pods", nil, 0},
		{"none restarted", []corev1.Pod{pod(time.Second, 0)}, 0},
		{"the one that leaves the window first", []corev1.Pod{pod(10*time.Second, 3), pod(50*time.Second, 1)}, CrashLoopWindow - 50*time.Second},
		{"out of the window", []corev1.Pod{pod(2*CrashLoopWindow, 3)}, 0},
	}
	for _, tt := range tests {
		if got := CrashLoopRecheck(tt.pods, now); got != tt.want {
			t.Errorf("%s: CrashLoopRecheck = %v, want %v", tt.name, got, tt.want)
		}
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
	if !meta.IsStatusConditionTrue(st.Conditions, lightningv1alpha1.ConditionReconciling) || meta.FindStatusCondition(st.Conditions, lightningv1alpha1.ConditionStalled) != nil {
		t.Errorf("a failing component is in progress (the kubelet retries), not stalled: %+v", st.Conditions)
	}
}

func TestErrorStatus(t *testing.T) {
	prev := lightningv1alpha1.LightningAppStatus{SecretName: "a-env-1", Phase: lightningv1alpha1.PhaseRunning, Conditions: []metav1.Condition{
		{Type: lightningv1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: "ComponentsReady"},
		{Type: lightningv1alpha1.ConditionReconciling, Status: metav1.ConditionTrue, Reason: "Progressing"},
	}}
	for _, stalled := range []bool{false, true} {
		st := ErrorStatus(prev, 4, "ForeignObject", "Deployment ns/a-root exists\nand is not owned", stalled)
		ready := meta.FindStatusCondition(st.Conditions, lightningv1alpha1.ConditionReady)
		if ready.Status != metav1.ConditionFalse || ready.Reason != "ForeignObject" || ready.Message != "Deployment ns/a-root exists and is not owned" || ready.ObservedGeneration != 4 {
			t.Errorf("stalled=%v: Ready = %+v", stalled, ready)
		}
		if meta.IsStatusConditionTrue(st.Conditions, lightningv1alpha1.ConditionStalled) != stalled || meta.IsStatusConditionTrue(st.Conditions, lightningv1alpha1.ConditionReconciling) == stalled {
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

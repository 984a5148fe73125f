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
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// Failure is why a component's pods are not running, as the Kubernetes part
// that knows reports it.
type Failure struct {
	Reason, Message string
}

// waitingFailures are the kubelet's waiting reasons that mean a container
// will not start by itself soon. ContainerCreating and PodInitializing are
// progress, not failures.
var waitingFailures = map[string]bool{
	"ImagePullBackOff":           true,
	"ErrImagePull":               true,
	"ErrImageNeverPull":          true,
	"InvalidImageName":           true,
	"CrashLoopBackOff":           true,
	"CreateContainerConfigError": true,
	"CreateContainerError":       true,
	"RunContainerError":          true,
}

// maxFailureMessage bounds a message copied into the app's status.
const maxFailureMessage = 256

// runtimeReasons are the waiting reasons whose message comes from the
// container runtime, which is handed the container's environment: runc
// quotes an env entry it refuses, value included ("environment variable
// value can't contain null(\x00): \"NAME=value\""). Their message is never
// copied into the app's status or Events; a pointer is.
var runtimeReasons = map[string]bool{
	"CreateContainerError": true,
	"RunContainerError":    true,
}

// CrashLoopWindow is how long a container that last exited with an error
// must run before it counts as running: the kubelet shows a crash-looping
// container Running for a moment after each restart, which would otherwise
// make the app Ready and then failing at every restart.
const CrashLoopWindow = time.Minute

// PodFailure is the first failure of a pod's containers, or of its
// scheduling, at now; nil when nothing fails. ErrImagePull and
// ImagePullBackOff, which the kubelet alternates between, both read
// ImagePullBackOff, and a crash-looping container reads CrashLoopBackOff
// while it waits and while it runs again within CrashLoopWindow, so the
// status does not flap with every retry.
func PodFailure(pod *corev1.Pod, now time.Time) *Failure {
	if pod.DeletionTimestamp != nil {
		return nil
	}
	statuses := append(append([]corev1.ContainerStatus(nil), pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...)
	for _, st := range statuses {
		if f := containerFailure(pod, st, now); f != nil {
			return f
		}
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return &Failure{Reason: c.Reason, Message: oneLine(c.Message)}
		}
	}
	return nil
}

func containerFailure(pod *corev1.Pod, st corev1.ContainerStatus, now time.Time) *Failure {
	if t := st.State.Terminated; t != nil && t.ExitCode != 0 {
		// Exited, before the kubelet's back-off: the same failure as the
		// back-off that follows, so the status does not move in between.
		return crashLoop(st)
	}
	if r := st.State.Running; r != nil {
		if recentlyCrashed(st, r.StartedAt.Time, now) {
			return crashLoop(st)
		}
		return nil
	}
	w := st.State.Waiting
	if w == nil || !waitingFailures[w.Reason] {
		return nil
	}
	switch {
	case w.Reason == "ErrImagePull":
		return &Failure{Reason: "ImagePullBackOff", Message: oneLine(w.Message)}
	case w.Reason == "CrashLoopBackOff":
		return crashLoop(st)
	case runtimeReasons[w.Reason]:
		return &Failure{Reason: w.Reason, Message: fmt.Sprintf("the container runtime could not start container %s (its message may quote the environment, so it is not copied): kubectl describe pod -n %s %s",
			st.Name, pod.Namespace, pod.Name)}
	}
	return &Failure{Reason: w.Reason, Message: oneLine(w.Message)}
}

// recentlyCrashed: the container runs again after an exit with an error,
// for less than CrashLoopWindow.
func recentlyCrashed(st corev1.ContainerStatus, startedAt, now time.Time) bool {
	t := st.LastTerminationState.Terminated
	return st.RestartCount > 0 && t != nil && t.ExitCode != 0 && now.Sub(startedAt) < CrashLoopWindow
}

// crashLoop names the last exit, which does not change from one restart to
// the next (the back-off message does).
func crashLoop(st corev1.ContainerStatus) *Failure {
	message := fmt.Sprintf("container %s keeps exiting", st.Name)
	t := st.State.Terminated
	if t == nil {
		t = st.LastTerminationState.Terminated
	}
	if t != nil {
		message = fmt.Sprintf("container %s exited with code %d (%s)", st.Name, t.ExitCode, t.Reason)
	}
	return &Failure{Reason: "CrashLoopBackOff", Message: message}
}

// CrashLoopRecheck is when a pod's crash-looping verdict can change without
// an event: the first container that runs again after a crash leaves
// CrashLoopWindow then. Zero when none is in the window.
func CrashLoopRecheck(pods []corev1.Pod, now time.Time) time.Duration {
	var next time.Duration
	for i := range pods {
		for _, st := range pods[i].Status.ContainerStatuses {
			r := st.State.Running
			if r == nil || !recentlyCrashed(st, r.StartedAt.Time, now) {
				continue
			}
			if d := r.StartedAt.Add(CrashLoopWindow).Sub(now); next == 0 || d < next {
				next = d
			}
		}
	}
	return next
}

// ComponentFailure is why a component is not available: its ReplicaSet
// cannot create pods (FailedCreate, such as a PodSecurity violation), a pod
// fails (PodFailure), or its rollout ran out of time; nil when nothing fails.
func ComponentFailure(d *appsv1.Deployment, pods []corev1.Pod, now time.Time) *Failure {
	if d != nil {
		for _, c := range d.Status.Conditions {
			if c.Type == appsv1.DeploymentReplicaFailure && c.Status == corev1.ConditionTrue {
				return &Failure{Reason: c.Reason, Message: oneLine(c.Message)}
			}
		}
	}
	for i := range pods {
		if f := PodFailure(&pods[i], now); f != nil {
			return f
		}
	}
	if d != nil {
		for _, c := range d.Status.Conditions {
			if c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse {
				return &Failure{Reason: c.Reason, Message: oneLine(c.Message)}
			}
		}
	}
	return nil
}

// oneLine keeps a message to one bounded line.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxFailureMessage {
		s = strings.ToValidUTF8(s[:maxFailureMessage-len("…")], "") + "…"
	}
	return s
}

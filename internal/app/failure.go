package app

import (
	"fmt"
	"strings"

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

// PodFailure is the first failure of a pod's containers, or of its
// scheduling; nil when nothing fails. ErrImagePull and ImagePullBackOff,
// which the kubelet alternates between, both read ImagePullBackOff, so the
// status does not flap with every retry.
func PodFailure(pod *corev1.Pod) *Failure {
	if pod.DeletionTimestamp != nil {
		return nil
	}
	statuses := append(append([]corev1.ContainerStatus(nil), pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...)
	for _, st := range statuses {
		w := st.State.Waiting
		if w == nil || !waitingFailures[w.Reason] {
			continue
		}
		reason, message := w.Reason, w.Message
		switch reason {
		case "ErrImagePull":
			reason = "ImagePullBackOff"
		case "CrashLoopBackOff":
			// The back-off message changes with every restart; the last exit does not.
			message = fmt.Sprintf("container %s keeps exiting", st.Name)
			if t := st.LastTerminationState.Terminated; t != nil {
				message = fmt.Sprintf("container %s exited with code %d (%s)", st.Name, t.ExitCode, t.Reason)
			}
		}
		return &Failure{Reason: reason, Message: oneLine(message)}
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return &Failure{Reason: c.Reason, Message: oneLine(c.Message)}
		}
	}
	return nil
}

// ComponentFailure is why a component is not available: its ReplicaSet
// cannot create pods (FailedCreate, such as a PodSecurity violation), a pod
// fails (PodFailure), or its rollout ran out of time; nil when nothing fails.
func ComponentFailure(d *appsv1.Deployment, pods []corev1.Pod) *Failure {
	if d != nil {
		for _, c := range d.Status.Conditions {
			if c.Type == appsv1.DeploymentReplicaFailure && c.Status == corev1.ConditionTrue {
				return &Failure{Reason: c.Reason, Message: oneLine(c.Message)}
			}
		}
	}
	for i := range pods {
		if f := PodFailure(&pods[i]); f != nil {
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

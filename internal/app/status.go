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

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

// Resolution is the outcome of resolving and opening an app's secret refs.
type Resolution struct {
	Resolved bool
	// Reason and Message explain a failure; they never hold a value.
	Reason, Message string
}

// Observed is what a reconcile saw and did, the input of DesiredStatus.
type Observed struct {
	Generation  int64
	Resolution  Resolution
	SecretName  string
	SecretsHash string
	SecretCount int32
	// Secrets are the env names, refs and versions in SecretName.
	Secrets []lightningv1alpha1.SecretVersion
	// ComputeError is set when a component names an unknown preset.
	ComputeError error
	Components   []lightningv1alpha1.ComponentStatus
	// RolledOutAt is set when this reconcile gave the templates a new hash.
	RolledOutAt *metav1.Time
	// Stopped is the app's spec.stopped.
	Stopped bool
}

// DeploymentReady is true once the Deployment's current template is rolled
// out and available.
func DeploymentReady(d *appsv1.Deployment) bool {
	if d == nil || d.Status.ObservedGeneration < d.Generation {
		return false
	}
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	return d.Status.UpdatedReplicas >= want && d.Status.AvailableReplicas >= want && d.Status.Replicas == d.Status.UpdatedReplicas
}

// DesiredStatus computes the app's status from what was observed. Messages
// are deterministic, so an unchanged world yields an unchanged status and no write.
func DesiredStatus(prev lightningv1alpha1.LightningAppStatus, obs Observed) lightningv1alpha1.LightningAppStatus {
	st := *prev.DeepCopy()
	st.ObservedGeneration = obs.Generation
	st.Components = obs.Components
	if obs.Resolution.Resolved {
		st.SecretName = obs.SecretName
		st.SecretsHash = obs.SecretsHash
		st.SecretCount = obs.SecretCount
		st.Secrets = obs.Secrets
	}
	if obs.RolledOutAt != nil {
		st.LastRolloutTime = obs.RolledOutAt
	}

	set := func(condType string, status metav1.ConditionStatus, reason, message string) {
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type: condType, Status: status, Reason: reason, Message: message, ObservedGeneration: obs.Generation,
		})
	}

	if obs.Resolution.Resolved {
		set(lightningv1alpha1.ConditionSecretsResolved, metav1.ConditionTrue, lightningv1alpha1.ReasonResolved,
			fmt.Sprintf("%d secret(s) materialized in Secret %s", obs.SecretCount, obs.SecretName))
	} else {
		set(lightningv1alpha1.ConditionSecretsResolved, metav1.ConditionFalse, obs.Resolution.Reason, obs.Resolution.Message)
	}

	var notReady, failing []string
	for _, c := range obs.Components {
		if c.Ready {
			continue
		}
		notReady = append(notReady, c.Name)
		if c.Reason != "" {
			failing = append(failing, fmt.Sprintf("%s: %s: %s", c.Name, c.Reason, c.Message))
		}
	}
	var stalledReason, stalledMessage string
	// A secret that is not there yet is waited for, not a failure: GitOps
	// applies an app and its LightningSecret together, and the watch brings
	// the app back the moment the secret appears (kstatus: InProgress).
	waitingForSecret := !obs.Resolution.Resolved && st.SecretName == "" && obs.Resolution.Reason == lightningv1alpha1.ReasonSecretNotFound
	// Nor is a keyring the KMS plugin cannot open now: it opens once the
	// plugin answers, and the keyring controller's recovery brings the app back.
	waitingForKMS := !obs.Resolution.Resolved && obs.Resolution.Reason == lightningv1alpha1.ReasonKMSUnavailable
	switch {
	case waitingForSecret, waitingForKMS: // not failures
	case !obs.Resolution.Resolved && st.SecretName != "" && obs.Resolution.Reason != lightningv1alpha1.ReasonNamespaceExcluded:
		stalledReason = lightningv1alpha1.ReasonLastGoodSecrets
		stalledMessage = fmt.Sprintf("%s; the app keeps running on its last good Secret %s, and re-created pods get it: fix or restore the secret, or remove its reference",
			obs.Resolution.Message, st.SecretName)
	case !obs.Resolution.Resolved:
		stalledReason, stalledMessage = obs.Resolution.Reason, obs.Resolution.Message
	case obs.ComputeError != nil:
		stalledReason, stalledMessage = lightningv1alpha1.ReasonUnknownCloudCompute, obs.ComputeError.Error()
	}

	switch {
	case waitingForSecret:
		set(lightningv1alpha1.ConditionReady, metav1.ConditionFalse, obs.Resolution.Reason, obs.Resolution.Message)
		set(lightningv1alpha1.ConditionReconciling, metav1.ConditionTrue, obs.Resolution.Reason, obs.Resolution.Message+"; waiting for it")
		meta.RemoveStatusCondition(&st.Conditions, lightningv1alpha1.ConditionStalled)
		st.Phase = lightningv1alpha1.PhasePending
	case waitingForKMS:
		msg := obs.Resolution.Message + "; waiting for the KMS plugin"
		if st.SecretName != "" {
			msg += fmt.Sprintf(", the app keeps running on its Secret %s", st.SecretName)
		} else {
			st.Phase = lightningv1alpha1.PhasePending
		}
		set(lightningv1alpha1.ConditionReady, metav1.ConditionFalse, obs.Resolution.Reason, msg)
		set(lightningv1alpha1.ConditionReconciling, metav1.ConditionTrue, obs.Resolution.Reason, msg)
		meta.RemoveStatusCondition(&st.Conditions, lightningv1alpha1.ConditionStalled)
	case stalledReason != "":
		set(lightningv1alpha1.ConditionReady, metav1.ConditionFalse, stalledReason, stalledMessage)
		set(lightningv1alpha1.ConditionStalled, metav1.ConditionTrue, stalledReason, stalledMessage)
		meta.RemoveStatusCondition(&st.Conditions, lightningv1alpha1.ConditionReconciling)
		st.Phase = lightningv1alpha1.PhaseFailed
	case obs.Stopped && len(notReady) == 0:
		set(lightningv1alpha1.ConditionReady, metav1.ConditionTrue, lightningv1alpha1.ReasonStopped,
			fmt.Sprintf("Stopped: its %d component(s) run no pods; the Secret stays, so setting spec.stopped to false starts them again", len(obs.Components)))
		meta.RemoveStatusCondition(&st.Conditions, lightningv1alpha1.ConditionReconciling)
		meta.RemoveStatusCondition(&st.Conditions, lightningv1alpha1.ConditionStalled)
		st.Phase = lightningv1alpha1.PhaseStopped
	case len(notReady) > 0:
		reason, msg := lightningv1alpha1.ReasonProgressing, "Waiting for components to become available: "+strings.Join(notReady, ", ")
		if len(failing) > 0 {
			// The kubelet or the ReplicaSet may still get there (an image
			// pushed late), so it is not Stalled; the message says what fails.
			reason, msg = lightningv1alpha1.ReasonComponentsFailing, "Components failing: "+strings.Join(failing, "; ")
		}
		set(lightningv1alpha1.ConditionReady, metav1.ConditionFalse, reason, msg)
		set(lightningv1alpha1.ConditionReconciling, metav1.ConditionTrue, reason, msg)
		meta.RemoveStatusCondition(&st.Conditions, lightningv1alpha1.ConditionStalled)
		st.Phase = lightningv1alpha1.PhasePending
		if len(notReady) < len(obs.Components) {
			st.Phase = lightningv1alpha1.PhaseDegraded
		}
	default:
		set(lightningv1alpha1.ConditionReady, metav1.ConditionTrue, lightningv1alpha1.ReasonComponentsReady,
			fmt.Sprintf("All %d component(s) are available", len(obs.Components)))
		meta.RemoveStatusCondition(&st.Conditions, lightningv1alpha1.ConditionReconciling)
		meta.RemoveStatusCondition(&st.Conditions, lightningv1alpha1.ConditionStalled)
		st.Phase = lightningv1alpha1.PhaseRunning
	}
	return st
}

// ErrorStatus is prev with the reconcile error that stopped this pass:
// Ready=False with reason and a one-line message, and Stalled=True when
// retrying alone cannot help (a foreign object in the way), else
// Reconciling=True. What the pass did not get to stays as it was.
func ErrorStatus(prev lightningv1alpha1.LightningAppStatus, generation int64, reason, message string, stalled bool) lightningv1alpha1.LightningAppStatus {
	st := *prev.DeepCopy()
	// This generation was seen, and failed: kstatus reads the conditions.
	st.ObservedGeneration = generation
	message = oneLine(message)
	set := func(condType string, status metav1.ConditionStatus) {
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type: condType, Status: status, Reason: reason, Message: message, ObservedGeneration: generation,
		})
	}
	set(lightningv1alpha1.ConditionReady, metav1.ConditionFalse)
	if stalled {
		set(lightningv1alpha1.ConditionStalled, metav1.ConditionTrue)
		meta.RemoveStatusCondition(&st.Conditions, lightningv1alpha1.ConditionReconciling)
		st.Phase = lightningv1alpha1.PhaseFailed
	} else {
		set(lightningv1alpha1.ConditionReconciling, metav1.ConditionTrue)
		meta.RemoveStatusCondition(&st.Conditions, lightningv1alpha1.ConditionStalled)
	}
	return st
}

// OnlyProgress says whether next differs from prev only by start-up
// progress: the app was and stays Progressing (no failure), and what moved
// is which components are available already. Such a change is not worth a
// write: the one that turns the app Ready (or names a failure) follows, and
// an app with several components would otherwise write once per component
// (the scale harness counted 0.15 extra status writes per app of two).
func OnlyProgress(prev, next lightningv1alpha1.LightningAppStatus) bool {
	if !progressing(prev) || !progressing(next) {
		return false
	}
	return equality.Semantic.DeepEqual(withoutProgress(prev), withoutProgress(next))
}

func progressing(st lightningv1alpha1.LightningAppStatus) bool {
	c := meta.FindStatusCondition(st.Conditions, lightningv1alpha1.ConditionReady)
	return c != nil && c.Status == metav1.ConditionFalse && c.Reason == lightningv1alpha1.ReasonProgressing
}

// withoutProgress blanks what start-up progress changes: the components'
// availability, the phase (Pending or Degraded) and the messages that list
// the components still starting.
func withoutProgress(st lightningv1alpha1.LightningAppStatus) lightningv1alpha1.LightningAppStatus {
	out := *st.DeepCopy()
	out.Phase = ""
	for i := range out.Components {
		out.Components[i].Ready = false
	}
	for i := range out.Conditions {
		if t := out.Conditions[i].Type; t == lightningv1alpha1.ConditionReady || t == lightningv1alpha1.ConditionReconciling {
			out.Conditions[i].Message = ""
		}
	}
	return out
}

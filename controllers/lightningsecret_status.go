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
	"time"

	"errors"
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/keysecret"
	"github.com/lightning-operator/lightning-operator/internal/limits"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

// openResult is what proving a LightningSecret's value opens came to.
type openResult struct {
	keyID  string
	keyIDs []string
	// version is the value's version; empty when it does not open.
	version string
	err     error
}

// kmsUnavailable says err is the keyring's KMS plugin failing: waiting
// helps, the values are fine. A wrapped keyring and no plugin configured
// (keysecret.ErrNoKMS) is not: waiting cannot fix the operator's flags.
func kmsUnavailable(err error) bool {
	return errors.Is(err, keyring.ErrKMS)
}

// openCondition gives the Ready condition's reason and a deterministic
// message; neither ever holds the value. Reasons come from limits.Reason (a
// value env cannot carry) and sealing.Reason, the one table of open errors;
// an error neither knows is the keyring's (missing, corrupt, unreadable),
// not the value's.
func openCondition(res openResult, ns, name string) (reason, message string) {
	if res.err == nil {
		return lightningv1alpha1.ReasonSealed, fmt.Sprintf("The value opens with sealing key %s", res.keyID)
	}
	if reason := limits.Reason(res.err); reason != "" {
		// It opens, and no process can get it: retrying cannot help until the
		// value changes. The message names the rule and the size.
		return reason, fmt.Sprintf("The value opens with sealing key %s, but %s; seal one an environment variable can carry", res.keyID, res.err)
	}
	switch reason := sealing.Reason(res.err); reason {
	case "":
		if kmsUnavailable(res.err) {
			return lightningv1alpha1.ReasonKMSUnavailable, fmt.Sprintf("The operator's keyring cannot be opened now, so sealing key %s is unavailable; it opens once the KMS plugin answers: %v", res.keyID, res.err)
		}
		if errors.Is(res.err, keysecret.ErrMissing) {
			return lightningv1alpha1.ReasonKeyNotFound, fmt.Sprintf("The operator's keyring is missing, so sealing key %s cannot be found; restore the keyring from backup (see docs/operations.md). Nothing was regenerated", res.keyID)
		}
		return lightningv1alpha1.ReasonKeyNotFound, fmt.Sprintf("The operator's keyring cannot be read, so sealing key %s is unavailable: %v", res.keyID, res.err)
	case lightningv1alpha1.ReasonKeyNotFound:
		return reason, fmt.Sprintf("Sealing key %s is not in the operator's keyring; seal the value again with 'kubectl lightning secret create'", res.keyID)
	case lightningv1alpha1.ReasonTampered:
		return reason, fmt.Sprintf("The value does not open as LightningSecret %s/%s: it was altered, or sealed for another name or namespace", ns, name)
	default:
		return reason, res.err.Error()
	}
}

// desiredSecretStatus computes a LightningSecret's status.
func desiredSecretStatus(prev lightningv1alpha1.LightningSecretStatus, generation int64, ns, name string, res openResult, usedBy []string) lightningv1alpha1.LightningSecretStatus {
	st := *prev.DeepCopy()
	st.ObservedGeneration = generation
	st.KeyID = res.keyID
	st.KeyIDs = res.keyIDs
	st.Version = res.version
	sorted := append([]string(nil), usedBy...)
	sort.Strings(sorted)
	st.UsedBy = sorted
	if len(sorted) == 0 {
		st.UsedBy = nil
	}
	reason, message := openCondition(res, ns, name)
	status := metav1.ConditionFalse
	if res.err == nil {
		status = metav1.ConditionTrue
	}
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{
		Type: lightningv1alpha1.ConditionReady, Status: status, Reason: reason, Message: message, ObservedGeneration: generation,
	})
	// kstatus (Flux, Argo CD through our Lua check) reads Stalled=True as
	// Failed: a value that does not open will not open by waiting. One that
	// waits for the KMS plugin will.
	if res.err != nil && reason != lightningv1alpha1.ReasonKMSUnavailable {
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type: lightningv1alpha1.ConditionStalled, Status: metav1.ConditionTrue, Reason: reason, Message: message, ObservedGeneration: generation,
		})
	} else {
		meta.RemoveStatusCondition(&st.Conditions, lightningv1alpha1.ConditionStalled)
	}
	return st
}

// firstStatusHoldMax is the longest a new LightningSecret's first status
// waits for starting apps.
const firstStatusHoldMax = 30 * time.Second

// firstStatusHold is how long a LightningSecret's first status waits: while
// an app awaits its first pass (startingUntil is when the youngest such app
// stops counting, firstStatusHoldMax after it was made, so an app that never
// gets a status holds nothing for long), and for at most firstStatusHoldMax
// after the LightningSecret was made. In a burst of new apps (a cold start, a bulk
// apply) what their pods wait for is each app's Secret and the status that
// names it; a first status only tells people the value opens, and those
// statuses were a fifth of the apiserver's work in the scale harness's cold
// start (docs/performance.md). A re-seal request is answered at once.
func firstStatusHold(lsec *lightningv1alpha1.LightningSecret, startingUntil, now time.Time) time.Duration {
	if !awaitsFirstStatus(lsec) || resealPending(lsec) {
		return 0
	}
	until := lsec.CreationTimestamp.Add(firstStatusHoldMax)
	if startingUntil.Before(until) {
		until = startingUntil
	}
	return max(0, until.Sub(now))
}

// startingIndexKey is the IndexAppStarting key of an app made at created.
func startingIndexKey(created time.Time) string {
	return created.UTC().Format(time.RFC3339)
}

// startingSkew allows for apps whose creation time (the apiserver's clock)
// is ahead of the operator's.
const startingSkew = 5 * time.Second

// startingIndexKeys are the IndexAppStarting keys of apps that still hold
// first statuses at now, the youngest first.
func startingIndexKeys(now time.Time) []string {
	var keys []string
	for t := now.Add(startingSkew); t.After(now.Add(-firstStatusHoldMax)); t = t.Add(-time.Second) {
		keys = append(keys, startingIndexKey(t))
	}
	return keys
}

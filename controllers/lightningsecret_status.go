package controllers

import (
	"errors"
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/keystore"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

// openResult is what proving a LightningSecret's value opens came to.
type openResult struct {
	keyID string
	err   error
}

// openReason maps an open error to the Ready condition's reason and a
// deterministic message; neither ever holds the value.
func openReason(res openResult, ns, name string) (reason, message string) {
	switch {
	case res.err == nil:
		return lightningv1alpha1.ReasonSealed, fmt.Sprintf("The value opens with sealing key %s", res.keyID)
	case errors.Is(res.err, keystore.ErrMissing):
		return lightningv1alpha1.ReasonKeyNotFound, fmt.Sprintf("The operator's keyring is missing, so sealing key %s cannot be found; restore the keyring from backup (see docs/operations.md). Nothing was regenerated", res.keyID)
	case errors.Is(res.err, sealing.ErrKeyNotFound):
		return lightningv1alpha1.ReasonKeyNotFound, fmt.Sprintf("Sealing key %s is not in the operator's keyring; seal the value again with 'kubectl lightning secret create'", res.keyID)
	case errors.Is(res.err, sealing.ErrTampered):
		return lightningv1alpha1.ReasonTampered, fmt.Sprintf("The value does not open as LightningSecret %s/%s: it was altered, or sealed for another name or namespace", ns, name)
	case errors.Is(res.err, sealing.ErrUnknownVersion):
		return lightningv1alpha1.ReasonUnknownVersion, res.err.Error()
	case errors.Is(res.err, sealing.ErrMalformed):
		return lightningv1alpha1.ReasonMalformed, res.err.Error()
	default:
		// The keyring could not be read (corrupt, API error): not the value's fault.
		return lightningv1alpha1.ReasonKeyNotFound, fmt.Sprintf("The operator's keyring cannot be read, so sealing key %s is unavailable: %v", res.keyID, res.err)
	}
}

// desiredSecretStatus computes a LightningSecret's status.
func desiredSecretStatus(prev lightningv1alpha1.LightningSecretStatus, generation int64, ns, name string, res openResult, usedBy []string) lightningv1alpha1.LightningSecretStatus {
	st := *prev.DeepCopy()
	st.ObservedGeneration = generation
	st.KeyID = res.keyID
	sorted := append([]string(nil), usedBy...)
	sort.Strings(sorted)
	st.UsedBy = sorted
	if len(sorted) == 0 {
		st.UsedBy = nil
	}
	reason, message := openReason(res, ns, name)
	status := metav1.ConditionFalse
	if res.err == nil {
		status = metav1.ConditionTrue
	}
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{
		Type: lightningv1alpha1.ConditionReady, Status: status, Reason: reason, Message: message, ObservedGeneration: generation,
	})
	return st
}

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// LightningSecretSpec holds a value sealed to the operator's public key.
type LightningSecretSpec struct {
	// encryptedValue is the sealed value (at most the envelope of a 1 MiB value to 8 recipients): an HPKE envelope
	// "v<version>:<keyID>[,<keyID>…]:<base64>" made by `kubectl lightning secret create`. It opens only under this
	// object's namespace and name, so it is safe to commit to git.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1410739
	// +kubebuilder:validation:XValidation:rule="self.matches('^v[0-9]+:[0-9a-f]{16}(,[0-9a-f]{16}){0,7}:[A-Za-z0-9+/]+={0,2}$')",message="encryptedValue must be a sealed envelope 'v2:<16 hex key ID>[,<key ID>…]:<base64>' (or v1 with one key ID); make one with 'kubectl lightning secret create'"
	EncryptedValue string `json:"encryptedValue"`
}

// LightningSecretStatus reports whether the sealed value opens.
type LightningSecretStatus struct {
	// conditions: Ready is True when the value opens with the operator's keyring.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// keyID names the sealing key of this cluster that opens the value (the
	// first recipient when the keyring holds none of them).
	// +optional
	KeyID string `json:"keyID,omitempty"`
	// keyIDs are every recipient the value is sealed to, in order: this
	// cluster's key, other clusters', a recovery key.
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=8
	// +optional
	KeyIDs []string `json:"keyIDs,omitempty"`
	// version changes exactly when the value does: a keyed digest
	// (HMAC-SHA256, under a key only the operator holds) of the value and
	// this object's namespace and name. Re-sealing the same value keeps it.
	// Empty while the value does not open.
	// +optional
	Version string `json:"version,omitempty"`
	// observedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// reseal answers the last lightning.ai/reseal-request annotation.
	// +optional
	Reseal *ResealStatus `json:"reseal,omitempty"`
	// usedBy lists the LightningApps in this namespace that reference this secret.
	// +listType=set
	// +optional
	UsedBy []string `json:"usedBy,omitempty"`
}

// ResealStatus is the operator's answer to a re-seal request.
type ResealStatus struct {
	// request is the annotation's value this answers.
	// +required
	Request string `json:"request"`
	// result is Resealed (spec.encryptedValue now holds the new envelope),
	// Unchanged (it was sealed to the newest key already) or Failed.
	// +required
	Result string `json:"result"`
	// message says what was done, or why it failed; never the value.
	// +optional
	Message string `json:"message,omitempty"`
}

// Results of a re-seal request.
const (
	ResealResealed  = "Resealed"
	ResealUnchanged = "Unchanged"
	ResealFailed    = "Failed"
)

// LightningSecret is a secret of a profile (namespace), its value sealed to the operator's key.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=lsec,categories=lightning
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.status.version`
// +kubebuilder:printcolumn:name="Key ID",type=string,JSONPath=`.status.keyID`
// +kubebuilder:printcolumn:name="Used By",type=string,JSONPath=`.status.usedBy[*]`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name.matches('^[a-z]')",message="metadata.name: a LightningSecret name must start with a letter, like Lightning's secret names"
type LightningSecret struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec LightningSecretSpec `json:"spec"`
	// +optional
	Status LightningSecretStatus `json:"status,omitempty"`
}

// LightningSecretList is a list of LightningSecrets.
// +kubebuilder:object:root=true
type LightningSecretList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []LightningSecret `json:"items"`
}

func init() {
	SchemeBuilder.Register(&LightningSecret{}, &LightningSecretList{})
}

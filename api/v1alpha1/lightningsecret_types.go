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

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// LightningSecretSpec holds a value sealed to the operator's public key.
type LightningSecretSpec struct {
	// The rules on encryptedValue keep their CEL cost far below the
	// apiserver's budget at any length: a regex over the header only (at most
	// 148 characters), and the value's size computed from the length and the
	// header (internal/limits.MaxValue; internal/sealing's overheads: v1 1136
	// bytes, v2 28 + 1168 per recipient). CEL charges a tenth of a unit per
	// character for taking the header (substring) and finding its end
	// (indexOf, bound once through a one-element list; the message, only
	// evaluated on a refusal, once more), so the cost is at
	// most about 38,000 of the 1,000,000 per rule at maxLength (57,000 when
	// refused), and maxLength stops the rules from running on anything longer. A whole-value pattern would cost no
	// CEL, but the apiserver quotes the value in a pattern's error (and in
	// a rule's, unless its reason is FieldValueForbidden): a plaintext pasted
	// by mistake would land in GitOps tools' statuses, and a long envelope
	// would make a message of 180 KiB.
	// api/v1alpha1/envelope_limit_test.go pins the numbers.

	// encryptedValue is the sealed value: an HPKE envelope "v<version>:<keyID>[,<keyID>…]:<base64>" made by
	// `kubectl lightning secret create`. It opens only under this object's namespace and name, so it is safe to
	// commit to git. The value it seals is at most 131069 bytes, what one environment variable can carry (Linux's
	// MAX_ARG_STRLEN, 131072 bytes for NAME=value and its NUL), so the envelope is at most 187395 characters (that
	// value sealed to 8 recipients). The apiserver checks the header's form and, from the length, the value's size.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=187395
	// +kubebuilder:validation:XValidation:rule="self.substring(0, size(self) < 148 ? size(self) : 148).matches('^v[0-9]+:[0-9a-f]{16}(,[0-9a-f]{16}){0,7}:[A-Za-z0-9+/]')",message="encryptedValue must be a sealed envelope 'v2:<16 hex key ID>[,<key ID>…]:<base64>' (or v1 with one key ID); make one with 'kubectl lightning secret create'",reason=FieldValueForbidden
	// +kubebuilder:validation:XValidation:rule="!(self.startsWith('v1:') || self.startsWith('v2:')) || [self.indexOf(':', 3)].all(h, h < 19 || (size(self) - h - 1) / 4 * 3 - (self.endsWith('==') ? 2 : (self.endsWith('=') ? 1 : 0)) - (self.startsWith('v1:') ? 1136 : 28 + 1168 * ((h - 2) / 17)) <= 131069)",messageExpression="'the sealed value is %d bytes, more than the 131069 one environment variable can carry (Linux MAX_ARG_STRLEN: 131072 bytes for NAME=value and its NUL)'.format([self.indexOf(':', 3)].map(h, (size(self) - h - 1) / 4 * 3 - (self.endsWith('==') ? 2 : (self.endsWith('=') ? 1 : 0)) - (self.startsWith('v1:') ? 1136 : 28 + 1168 * ((h - 2) / 17))))",reason=FieldValueForbidden
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

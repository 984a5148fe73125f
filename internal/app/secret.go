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
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

// ResolvedRef is one secret env var of an app with the version of the value
// its LightningSecret holds.
type ResolvedRef struct {
	EnvName   string
	SecretRef string
	// Version is the value's keyed digest (LightningSecret status.version).
	Version string
}

// SecretsHash identifies the content of an app's Secret. It is computed over
// value versions, never the plaintext or the ciphertext: the hash (visible in
// names and pod templates) reveals nothing about the values, and re-sealing a
// value unchanged, to the same or a newer key, keeps the hash and so
// restarts nothing.
func SecretsHash(namespace, appName string, refs []ResolvedRef) string {
	sorted := append([]ResolvedRef(nil), refs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].EnvName < sorted[j].EnvName })
	h := sha256.New()
	writeField(h, namespace)
	writeField(h, appName)
	for _, r := range sorted {
		writeField(h, r.EnvName)
		writeField(h, r.SecretRef)
		writeField(h, r.Version)
	}
	return hex.EncodeToString(h.Sum(nil))[:10]
}

// SecretVersions are the status entries of refs, in order.
func SecretVersions(refs []ResolvedRef) []lightningv1alpha1.SecretVersion {
	if len(refs) == 0 {
		return nil
	}
	out := make([]lightningv1alpha1.SecretVersion, len(refs))
	for i, r := range refs {
		out[i] = lightningv1alpha1.SecretVersion{Name: r.EnvName, SecretRef: r.SecretRef, Version: r.Version}
	}
	return out
}

// SameRefs reports whether status lists exactly the spec's env names and
// refs, in the spec's order; versions do not count.
func SameRefs(spec []lightningv1alpha1.SecretEnvVar, status []lightningv1alpha1.SecretVersion) bool {
	return slices.EqualFunc(spec, status, func(s lightningv1alpha1.SecretEnvVar, v lightningv1alpha1.SecretVersion) bool {
		return s.Name == v.Name && s.SecretRef == v.SecretRef
	})
}

// HoldsRefs reports whether status holds every env name of spec from the
// same ref, in any order (the Secret it describes may hold more).
func HoldsRefs(status []lightningv1alpha1.SecretVersion, spec []lightningv1alpha1.SecretEnvVar) bool {
	for _, want := range spec {
		if !slices.ContainsFunc(status, func(v lightningv1alpha1.SecretVersion) bool {
			return v.Name == want.Name && v.SecretRef == want.SecretRef
		}) {
			return false
		}
	}
	return true
}

// writeField length-prefixes each field so no two inputs hash alike.
func writeField(h hash.Hash, s string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	h.Write([]byte(s))
}

// SecretName is the name of the app's Secret for a content hash.
func SecretName(appName, secretsHash string) string {
	const suffix = "-env-"
	if max := 253 - len(suffix) - len(secretsHash); len(appName) > max {
		appName = appName[:max]
	}
	return appName + suffix + secretsHash
}

// Labels are the labels of every object the operator creates for an app.
func Labels(appName string) map[string]string {
	return map[string]string{
		lightningv1alpha1.LabelApp:       appName,
		lightningv1alpha1.LabelManagedBy: lightningv1alpha1.ManagedByValue,
		lightningv1alpha1.LabelPartOf:    appName,
	}
}

// OwnerReference makes the app the controller of an object, so deleting the
// app garbage-collects it.
func OwnerReference(a *lightningv1alpha1.LightningApp) metav1.OwnerReference {
	return metav1.OwnerReference{
		APIVersion:         lightningv1alpha1.GroupVersion.String(),
		Kind:               "LightningApp",
		Name:               a.Name,
		UID:                a.UID,
		Controller:         ptr.To(true),
		BlockOwnerDeletion: ptr.To(true),
	}
}

// DesiredSecret is the immutable Secret holding an app's opened values, keyed
// by env var name. A change of value makes a new Secret with a new name.
func DesiredSecret(a *lightningv1alpha1.LightningApp, secretsHash string, values map[string][]byte) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:            SecretName(a.Name, secretsHash),
			Namespace:       a.Namespace,
			Labels:          Labels(a.Name),
			Annotations:     map[string]string{lightningv1alpha1.AnnotationSecretsHash: secretsHash},
			OwnerReferences: []metav1.OwnerReference{OwnerReference(a)},
		},
		Immutable: ptr.To(true),
		Type:      corev1.SecretTypeOpaque,
		Data:      values,
	}
}

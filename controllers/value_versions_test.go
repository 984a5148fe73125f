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
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

func TestValueVersions(t *testing.T) {
	lsec := func(uid types.UID, generation int64) *lightningv1alpha1.LightningSecret {
		return &lightningv1alpha1.LightningSecret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "s", UID: uid, Generation: generation}}
	}
	v := newValueVersions()
	v.put(lsec("u1", 1), "vk1", "version-1")
	tests := []struct {
		name         string
		lsec         *lightningv1alpha1.LightningSecret
		versionKeyID string
		want         bool
	}{
		{"the same spec", lsec("u1", 1), "vk1", true},
		{"a new spec", lsec("u1", 2), "vk1", false},
		{"a re-created object", lsec("u2", 1), "vk1", false},
		{"another version key", lsec("u1", 1), "vk2", false},
	}
	for _, tt := range tests {
		got, ok := v.get(tt.lsec, tt.versionKeyID)
		if ok != tt.want || (ok && got != "version-1") {
			t.Errorf("%s: get = %q, %v; want found=%v", tt.name, got, ok, tt.want)
		}
	}
	v.forget(types.NamespacedName{Namespace: "ns", Name: "s"})
	if _, ok := v.get(lsec("u1", 1), "vk1"); ok || v.len() != 0 {
		t.Error("forget kept the entry")
	}
}

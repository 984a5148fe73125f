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

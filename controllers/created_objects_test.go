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
	"time"

	"k8s.io/apimachinery/pkg/types"
)

func TestCreatedObjects(t *testing.T) {
	key := types.NamespacedName{Namespace: "ns", Name: "app-root"}
	tests := []struct {
		name  string
		steps func(c *createdObjects, advance func(time.Duration))
		want  bool
	}{
		{"nothing created", func(*createdObjects, func(time.Duration)) {}, false},
		{"created, the cache not there yet", func(c *createdObjects, _ func(time.Duration)) { c.record("Deployment", key) }, true},
		{"another kind with the same name", func(c *createdObjects, _ func(time.Duration)) { c.record("Secret", key) }, false},
		{"the cache showed it, or it was deleted", func(c *createdObjects, _ func(time.Duration)) {
			c.record("Deployment", key)
			c.forget("Deployment", key)
		}, false},
		{"a note older than createdTTL", func(c *createdObjects, advance func(time.Duration)) {
			c.record("Deployment", key)
			advance(createdTTL + time.Second)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var now time.Time
			c := newCreatedObjects(func() time.Time { return now })
			tt.steps(c, func(d time.Duration) { now = now.Add(d) })
			if got := c.made("Deployment", key); got != tt.want {
				t.Errorf("made = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCreatedObjectsSweepsOldNotes(t *testing.T) {
	var now time.Time
	c := newCreatedObjects(func() time.Time { return now })
	c.record("Deployment", types.NamespacedName{Namespace: "ns", Name: "old"})
	now = now.Add(2 * createdTTL)
	c.record("Deployment", types.NamespacedName{Namespace: "ns", Name: "new"})
	if len(c.at) != 1 {
		t.Errorf("%d notes kept, want 1: an old note of an app not reconciled again stays forever", len(c.at))
	}
}

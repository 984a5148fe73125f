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

package expectations

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

var (
	app    = types.NamespacedName{Namespace: "ns", Name: "app"}
	other  = types.NamespacedName{Namespace: "ns", Name: "other"}
	depKey = types.NamespacedName{Namespace: "ns", Name: "app-flow"}
)

func TestStore(t *testing.T) {
	// An update of what was at version rv, and what the cache shows.
	update := func(rv string) Write { return Write{Kind: "Deployment", Key: depKey, After: rv} }
	dep := func(rv string) Write { return Write{Kind: "Deployment", Key: depKey, ResourceVersion: rv} }
	create := Write{Kind: "Deployment", Key: depKey}
	statusOver := func(rv string) Write { return Write{Kind: "LightningApp", Key: app, After: rv} }
	status := func(rv string) Write { return Write{Kind: "LightningApp", Key: app, ResourceVersion: rv} }
	gone := Write{Kind: "Deployment", Key: depKey, Deleted: true}
	type step struct {
		expect    *Write
		thenQueue bool // ExpectThenQueue
		drop      *Write
		observe   *Write
		wantQueue bool // what Observe returns
		advance   time.Duration
		satisfied bool
		// unchecked skips Satisfied after the step (a check holds a pass back).
		unchecked bool
	}
	ptr := func(w Write) *Write { return &w }
	tests := []struct {
		name  string
		steps []step
	}{
		{"nothing expected is satisfied", []step{{satisfied: true}}},
		{"an update waits for a newer version", []step{
			{expect: ptr(update("10")), satisfied: false},
			{observe: ptr(dep("10")), satisfied: false},
			{observe: ptr(dep("11")), wantQueue: true, satisfied: true},
		}},
		{"versions compare as numbers, not strings", []step{
			{expect: ptr(update("10"))},
			{observe: ptr(dep("9")), satisfied: false},
			{observe: ptr(dep("100")), wantQueue: true, satisfied: true},
		}},
		{"a create waits for the object", []step{
			{expect: ptr(create)},
			{observe: ptr(dep("1")), wantQueue: true, satisfied: true},
		}},
		{"every write must be seen", []step{
			{expect: ptr(create)},
			{expect: ptr(statusOver("11"))},
			{observe: ptr(dep("12")), satisfied: false},
			{observe: ptr(status("13")), wantQueue: true, satisfied: true},
		}},
		{"no pass held back, nothing to queue", []step{
			{expect: ptr(create), unchecked: true},
			{observe: ptr(dep("10")), wantQueue: false, satisfied: true},
		}},
		{"a pass asked for is queued when the writes are seen", []step{
			{expect: ptr(statusOver("5")), thenQueue: true, unchecked: true},
			{observe: ptr(status("6")), wantQueue: true, satisfied: true},
		}},
		{"a failed write is dropped", []step{
			{expect: ptr(update("10"))},
			{drop: ptr(update("10")), satisfied: true},
		}},
		{"a delete covers a write", []step{
			{expect: ptr(update("10"))},
			{observe: ptr(gone), wantQueue: true, satisfied: true},
		}},
		{"an expected delete waits for the delete", []step{
			{expect: ptr(gone)},
			{observe: ptr(dep("20")), satisfied: false},
			{observe: ptr(gone), wantQueue: true, satisfied: true},
		}},
		{"expectations lapse", []step{
			{expect: ptr(update("10"))},
			{advance: time.Minute, satisfied: true},
			{observe: ptr(dep("11")), wantQueue: false, satisfied: true},
		}},
		{"unparsable versions: any other version", []step{
			{expect: ptr(update("b"))},
			{observe: ptr(dep("b")), satisfied: false},
			{observe: ptr(dep("a")), wantQueue: true, satisfied: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Unix(1000, 0)
			s := New(time.Minute, func() time.Time { return now })
			s.Expect(other, Write{Kind: "Deployment", Key: depKey, After: "1"}) // another owner's writes never count
			for i, st := range tt.steps {
				now = now.Add(st.advance)
				switch {
				case st.expect != nil && st.thenQueue:
					s.ExpectThenQueue(app, *st.expect)
				case st.expect != nil:
					s.Expect(app, *st.expect)
				case st.drop != nil:
					s.Drop(app, *st.drop)
				case st.observe != nil:
					if got := s.Observe(app, *st.observe); got != st.wantQueue {
						t.Fatalf("step %d: Observe = %v, want %v", i, got, st.wantQueue)
					}
				}
				if st.unchecked {
					continue
				}
				ok, wait := s.Satisfied(app)
				if ok != st.satisfied {
					t.Fatalf("step %d: Satisfied = %v, want %v", i, ok, st.satisfied)
				}
				if !ok && (wait <= 0 || wait > time.Minute) {
					t.Fatalf("step %d: wait %v, want within the TTL", i, wait)
				}
			}
			if ok, _ := s.Satisfied(other); ok != (now.Sub(time.Unix(1000, 0)) >= time.Minute) {
				t.Fatal("the other owner's write was taken as seen")
			}
		})
	}
}

func TestForget(t *testing.T) {
	s := New(time.Minute, nil)
	s.Expect(app, Write{Kind: "Secret", Key: app, After: "3"})
	s.Forget(app)
	if ok, _ := s.Satisfied(app); !ok {
		t.Fatal("after Forget: not satisfied")
	}
}

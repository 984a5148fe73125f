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

package keysecret

import (
	"testing"
	"time"

	"github.com/lightning-operator/lightning-operator/internal/keyring"
)

func TestNextRotation(t *testing.T) {
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const period = 30 * 24 * time.Hour
	for _, tc := range []struct {
		name   string
		period time.Duration
		cutoff time.Time
		want   time.Time
	}{
		{"the key's age reaches the period", period, time.Time{}, created.Add(period)},
		{"no period, no cutoff: never", 0, time.Time{}, time.Time{}},
		{"a cutoff after the key, before its period ends: the cutoff", period, created.Add(time.Hour), created.Add(time.Hour)},
		{"a cutoff after the period ends: the period", period, created.Add(2 * period), created.Add(period)},
		{"a cutoff before the key: the period", period, created.Add(-time.Hour), created.Add(period)},
		{"a cutoff within the key's second: the period (kept at second precision)", period, created.Add(500 * time.Millisecond), created.Add(period)},
		{"no period, a cutoff after the key: the cutoff", 0, created.Add(time.Hour), created.Add(time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := nextRotation(created, tc.period, tc.cutoff); !got.Equal(tc.want) {
				t.Errorf("nextRotation = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestNextRotationAgreesWithNeedsRotation: just before the due time the
// keyring needs no rotation, and at it, it does.
func TestNextRotationAgreesWithNeedsRotation(t *testing.T) {
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		period time.Duration
		cutoff time.Time
	}{
		{"period", time.Hour, time.Time{}},
		{"cutoff", time.Hour, created.Add(10 * time.Minute)},
		{"cutoff with a fraction of a second", time.Hour, created.Add(10*time.Minute + 300*time.Millisecond)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ring, err := keyring.New(created)
			if err != nil {
				t.Fatal(err)
			}
			due := nextRotation(ring.Current().Created, tc.period, tc.cutoff)
			if keyring.NeedsRotation(ring, due.Add(-time.Millisecond), tc.period, tc.cutoff) {
				t.Errorf("due at %v, yet a rotation is needed just before", due)
			}
			if !keyring.NeedsRotation(ring, due, tc.period, tc.cutoff) {
				t.Errorf("due at %v, yet no rotation is needed then", due)
			}
		})
	}
}

func TestRequeueAfter(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		due  time.Time
		want time.Duration
	}{
		{"nothing due: the interval", time.Time{}, time.Minute},
		{"due sooner: just past it", now.Add(5 * time.Second), 5*time.Second + dueMargin},
		{"due later: the interval", now.Add(30 * 24 * time.Hour), time.Minute},
		{"due in the past: at once, never zero (no requeue)", now.Add(-time.Hour), dueMargin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := requeueAfter(now, tc.due, time.Minute); got != tc.want {
				t.Errorf("requeueAfter = %s, want %s", got, tc.want)
			}
		})
	}
}

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

package periodic

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
)

func TestNextWait(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	failed := errors.New("apiserver unavailable")
	for _, tc := range []struct {
		name    string
		next    time.Time
		err     error
		backoff time.Duration
		want    time.Duration
	}{
		{"nothing asked: the interval", time.Time{}, nil, time.Second, time.Minute},
		{"a sooner time: just past it", now.Add(5 * time.Second), nil, time.Second, 5*time.Second + 10*time.Millisecond},
		{"a later time: the interval", now.Add(time.Hour), nil, time.Second, time.Minute},
		{"a past time: at once", now.Add(-time.Hour), nil, time.Second, 10 * time.Millisecond},
		{"an error: the backoff", time.Time{}, failed, 4 * time.Second, 4 * time.Second},
		{"the backoff never passes the interval", time.Time{}, failed, time.Hour, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := NextWait(now, tc.next, tc.err, time.Minute, tc.backoff); got != tc.want {
				t.Errorf("NextWait = %s, want %s", got, tc.want)
			}
		})
	}
}

// TestLoopRunsOnTrigger runs the step at start and once per trigger, well
// before its hour-long interval, and stops with its context.
func TestLoopRunsOnTrigger(t *testing.T) {
	var runs atomic.Int32
	ran := make(chan struct{}, 10)
	events := make(chan struct{})
	stopped := make(chan struct{})
	l := &Loop{
		Interval: time.Hour,
		Step: func(context.Context) (time.Time, error) {
			runs.Add(1)
			ran <- struct{}{}
			return time.Time{}, nil
		},
		Trigger: func(context.Context) (<-chan struct{}, func(), error) { return events, func() { close(stopped) }, nil },
		Log:     logr.Discard(),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- l.Start(ctx) }()
	<-ran
	events <- struct{}{}
	<-ran
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Start = %v", err)
	}
	<-stopped
	if got := runs.Load(); got != 2 {
		t.Errorf("the step ran %d times, want 2", got)
	}
}

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

// Package periodic is the operator's one mechanism for timed work (key
// rotation, certificate renewal, the webhook configuration, copying the
// serving certificate): a Loop runs its Step now, then at the time the Step
// asks for, at the latest every Interval, at once when Trigger fires, and
// after an error with a backoff that doubles from a second up to Interval.
package periodic

import (
	"context"
	"time"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// Step does the work once. A non-zero next asks to run again then (if it
// is before the interval ends).
type Step func(ctx context.Context) (next time.Time, err error)

// Loop is a manager.Runnable that runs a Step until its context ends.
type Loop struct {
	// Step is the work. Required.
	Step Step
	// Interval is the longest time between two runs. Required.
	Interval time.Duration
	// Trigger, if set, is called once at start; each value on its channel
	// runs the Step at once. stop releases it.
	Trigger func(ctx context.Context) (events <-chan struct{}, stop func(), err error)
	// LeaderOnly runs the loop on the elected leader only.
	LeaderOnly bool
	// Log gets one error line per failed run, with FailureMessage and the
	// KeysAndValues.
	Log            logr.Logger
	FailureMessage string
	KeysAndValues  []any
}

var (
	_ manager.Runnable               = (*Loop)(nil)
	_ manager.LeaderElectionRunnable = (*Loop)(nil)
)

// NeedLeaderElection reports LeaderOnly.
func (l *Loop) NeedLeaderElection() bool { return l.LeaderOnly }

const minBackoff = time.Second

// Start runs the loop until ctx ends. Errors are logged and retried, never
// fatal, but a Trigger that cannot start is.
func (l *Loop) Start(ctx context.Context) error {
	var events <-chan struct{}
	if l.Trigger != nil {
		ch, stop, err := l.Trigger(ctx)
		if err != nil {
			return err
		}
		defer stop()
		events = ch
	}
	backoff := minBackoff
	for {
		next, err := l.Step(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait := NextWait(time.Now(), next, err, l.Interval, backoff)
		if err != nil {
			l.Log.Error(err, l.FailureMessage, append(l.KeysAndValues[:len(l.KeysAndValues):len(l.KeysAndValues)], "retryIn", wait)...)
			backoff = min(2*backoff, l.Interval)
		} else {
			backoff = minBackoff
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		case <-events:
			t.Stop()
		}
	}
}

// NextWait is how long the loop sleeps after a run: the backoff after an
// error, else until next when it is sooner than interval, else interval.
func NextWait(now, next time.Time, err error, interval, backoff time.Duration) time.Duration {
	if err != nil {
		return min(backoff, interval)
	}
	if !next.IsZero() {
		// A moment past next, so the step sees it as due.
		if d := next.Sub(now) + 10*time.Millisecond; d < interval {
			return max(d, 10*time.Millisecond)
		}
	}
	return interval
}

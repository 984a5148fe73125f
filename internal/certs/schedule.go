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

package certs

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// Each timed job of this package is a controller-runtime controller of one
// named object: its events run it at once, RequeueAfter runs it when it
// is next due, and a returned error retries it with the workqueue's
// backoff.

// dueMargin is how far past a due time a reconcile runs, so that it sees
// the time as due; it is also the shortest requeue.
const dueMargin = 10 * time.Millisecond

// requeueAfter is how long to wait after a successful run: until just past
// due when that comes before interval, else interval (the longest time
// between two runs). A zero due asks for nothing sooner.
func requeueAfter(now, due time.Time, interval time.Duration) time.Duration {
	if due.IsZero() {
		return interval
	}
	if d := due.Sub(now) + dueMargin; d < interval {
		return max(d, dueMargin)
	}
	return interval
}

// timedOptions retry a failed run after a second, doubling up to interval:
// a job that fails keeps being tried at least as often as one that works.
func timedOptions(interval time.Duration) controller.Options {
	return controller.Options{
		RateLimiter: workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](time.Second, interval),
	}
}

// only lets through the events of the object key names.
func only(key types.NamespacedName) predicate.Predicate {
	return predicate.NewPredicateFuncs(func(o client.Object) bool {
		return o.GetNamespace() == key.Namespace && o.GetName() == key.Name
	})
}

// enqueue maps every event to the one request key.
func enqueue(key types.NamespacedName) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{{NamespacedName: key}}
	})
}

// atStart queues key once when the controller starts: the object may be
// missing (to be created) or outside the label-selected cache (to be
// labelled), and then no event ever comes.
func atStart(key types.NamespacedName) source.Source {
	return source.Func(func(_ context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
		q.Add(reconcile.Request{NamespacedName: key})
		return nil
	})
}

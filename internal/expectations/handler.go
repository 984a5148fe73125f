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
	"context"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// OwnerFunc names the owner whose expectations an object of the watched kind
// may satisfy; false for an object no owner waits on.
type OwnerFunc func(client.Object) (types.NamespacedName, bool)

// Observer feeds the store from every event of one kind, before any
// predicate, and queues an owner whose held-back pass may now run, at
// priority (nil: the queue's default). It queues nothing else: whether an
// event is news for the owner is the other handlers' business.
func (s *Store) Observer(kind string, ownerOf OwnerFunc, priority *int) handler.EventHandler {
	observe := func(o client.Object, deleted bool, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
		owner, ok := ownerOf(o)
		if !ok {
			return
		}
		seen := Write{Kind: kind, Key: client.ObjectKeyFromObject(o), ResourceVersion: o.GetResourceVersion(), Deleted: deleted}
		if !s.Observe(owner, seen) {
			return
		}
		req := reconcile.Request{NamespacedName: owner}
		if pq, ok := q.(priorityqueue.PriorityQueue[reconcile.Request]); ok && priority != nil {
			pq.AddWithOpts(priorityqueue.AddOpts{Priority: priority}, req)
			return
		}
		q.Add(req)
	}
	return handler.Funcs{
		CreateFunc: func(_ context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			observe(e.Object, false, q)
		},
		UpdateFunc: func(_ context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			observe(e.ObjectNew, false, q)
		},
		DeleteFunc: func(_ context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			observe(e.Object, true, q)
		},
	}
}

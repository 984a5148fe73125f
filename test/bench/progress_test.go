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

package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

// The harness's own caches log nothing.
func init() { logf.SetLogger(logr.Discard()) }

// appProgress follows every app through a watch (a List every poll would
// cost the apiserver O(N) each time, and grow the run faster than N): when
// the first and the last app had SecretsResolved=True, and when the last
// turned Ready.
type appProgress struct {
	mu                       sync.Mutex
	start                    time.Time
	want                     int
	resolved, ready          map[client.ObjectKey]bool
	first, allResolved, done time.Duration
	resolvedCh, readyCh      chan struct{}
}

// watchApps starts following the apps; the clock starts at start.
func watchApps(ctx context.Context, cfg *rest.Config, want int, start time.Time) (*appProgress, error) {
	p := &appProgress{start: start, want: want, resolved: map[client.ObjectKey]bool{}, ready: map[client.ObjectKey]bool{},
		resolvedCh: make(chan struct{}), readyCh: make(chan struct{})}
	c, err := cache.New(cfg, cache.Options{Scheme: benchScheme(), DefaultTransform: cache.TransformStripManagedFields()})
	if err != nil {
		return nil, err
	}
	inf, err := c.GetInformer(ctx, &lightningv1alpha1.LightningApp{})
	if err != nil {
		return nil, err
	}
	observe := func(obj any) {
		if a, ok := obj.(*lightningv1alpha1.LightningApp); ok {
			p.observe(a)
		}
	}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc: observe, UpdateFunc: func(_, obj any) { observe(obj) },
	}); err != nil {
		return nil, err
	}
	go func() { _ = c.Start(ctx) }()
	return p, nil
}

func (p *appProgress) observe(a *lightningv1alpha1.LightningApp) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := client.ObjectKeyFromObject(a)
	now := time.Since(p.start)
	if !p.resolved[key] && meta.IsStatusConditionTrue(a.Status.Conditions, lightningv1alpha1.ConditionSecretsResolved) && a.Status.SecretName != "" {
		p.resolved[key] = true
		if len(p.resolved) == 1 {
			p.first = now
		}
		if len(p.resolved) == p.want {
			p.allResolved = now
			close(p.resolvedCh)
		}
	}
	if !p.ready[key] && meta.IsStatusConditionTrue(a.Status.Conditions, lightningv1alpha1.ConditionReady) {
		p.ready[key] = true
		if len(p.ready) == p.want {
			p.done = now
			close(p.readyCh)
		}
	}
}

// wait blocks until every app has reached the stage (resolvedCh or readyCh).
func (p *appProgress) wait(ctx context.Context, stage chan struct{}, what string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	select {
	case <-stage:
		return nil
	case <-ctx.Done():
		p.mu.Lock()
		defer p.mu.Unlock()
		return fmt.Errorf("after 30 minutes, %d of %d apps resolved and %d Ready, waiting for %s", len(p.resolved), p.want, len(p.ready), what)
	}
}

func (p *appProgress) times() (first, allResolved, allReady time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.first, p.allResolved, p.done
}

// completeRollouts stands in for the deployment controller and the kubelet,
// which envtest does not run: until ctx ends, it reports every app
// Deployment whose status lags its spec as rolled out and available, one
// status write per roll. It follows a watch, like the real controller.
func completeRollouts(ctx context.Context, cfg *rest.Config, c client.Client, errs chan<- error) error {
	selector := labels.SelectorFromSet(labels.Set{lightningv1alpha1.LabelManagedBy: lightningv1alpha1.ManagedByValue})
	ca, err := cache.New(cfg, cache.Options{Scheme: benchScheme(), DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{&appsv1.Deployment{}: {Label: selector}}})
	if err != nil {
		return err
	}
	inf, err := ca.GetInformer(ctx, &appsv1.Deployment{})
	if err != nil {
		return err
	}
	work := make(chan *appsv1.Deployment, 1<<16)
	enqueue := func(obj any) {
		if d, ok := obj.(*appsv1.Deployment); ok && (d.Status.ObservedGeneration < d.Generation || d.Status.AvailableReplicas < 1) {
			select {
			case work <- d.DeepCopy():
			case <-ctx.Done():
			}
		}
	}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, obj any) { enqueue(obj) },
	}); err != nil {
		return err
	}
	go func() { _ = ca.Start(ctx) }()
	for w := 0; w < 16; w++ {
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case d := <-work:
					markAvailable(d)
					// A conflict means the operator changed it meanwhile; its
					// update event brings it back.
					if err := c.Status().Update(ctx, d); err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) && ctx.Err() == nil {
						select {
						case errs <- err:
						default:
						}
					}
				}
			}
		}()
	}
	return nil
}

// markAvailable sets the status the deployment controller would once every
// replica is available.
func markAvailable(d *appsv1.Deployment) {
	replicas := int32(1)
	if d.Spec.Replicas != nil {
		replicas = *d.Spec.Replicas
	}
	d.Status = appsv1.DeploymentStatus{
		ObservedGeneration: d.Generation, Replicas: replicas, UpdatedReplicas: replicas,
		ReadyReplicas: replicas, AvailableReplicas: replicas,
		Conditions: []appsv1.DeploymentCondition{
			{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable"},
			{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable"},
		},
	}
}

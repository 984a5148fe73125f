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

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

// floorPlan is every write the operator (and the stand-in for the
// deployment controller) made in a cold start, as it made them: the floor
// phase replays them with a plain client on fresh copies of the same
// LightningSecrets and apps, so ours ÷ floor is the cost of everything but
// the writes themselves.
type floorPlan struct {
	secrets []secretWrites
	apps    []appWrites
}

// secretWrites is the one status write of a LightningSecret.
type secretWrites struct {
	key    client.ObjectKey
	status lightningv1alpha1.LightningSecretStatus
}

// appWrites is what one app's reconciles wrote, in their order: its
// Secret, its Deployments, a status while the components start, their
// rollout (the stand-in's), the Ready status and its Event.
type appWrites struct {
	key         client.ObjectKey
	secret      *corev1.Secret
	deployments []*appsv1.Deployment
	progressing lightningv1alpha1.LightningAppStatus
	ready       lightningv1alpha1.LightningAppStatus
	events      []*eventsv1.Event
}

// recordFloor reads what a finished cold start wrote.
func recordFloor(ctx context.Context, c client.Client) (floorPlan, error) {
	var plan floorPlan
	ours := client.MatchingLabels{lightningv1alpha1.LabelManagedBy: lightningv1alpha1.ManagedByValue}
	lsecs := &lightningv1alpha1.LightningSecretList{}
	apps := &lightningv1alpha1.LightningAppList{}
	secrets := &corev1.SecretList{}
	deployments := &appsv1.DeploymentList{}
	events := &eventsv1.EventList{}
	for _, l := range []struct {
		list client.ObjectList
		opts []client.ListOption
	}{{lsecs, nil}, {apps, nil}, {secrets, []client.ListOption{ours}}, {deployments, []client.ListOption{ours}}, {events, nil}} {
		if err := c.List(ctx, l.list, l.opts...); err != nil {
			return plan, err
		}
	}
	for i := range lsecs.Items {
		plan.secrets = append(plan.secrets, secretWrites{key: client.ObjectKeyFromObject(&lsecs.Items[i]), status: lsecs.Items[i].Status})
	}
	secretByName := map[client.ObjectKey]*corev1.Secret{}
	for i := range secrets.Items {
		secretByName[client.ObjectKeyFromObject(&secrets.Items[i])] = &secrets.Items[i]
	}
	deploymentsOf := map[client.ObjectKey][]*appsv1.Deployment{}
	for i := range deployments.Items {
		d := &deployments.Items[i]
		key := client.ObjectKey{Namespace: d.Namespace, Name: d.Labels[lightningv1alpha1.LabelApp]}
		deploymentsOf[key] = append(deploymentsOf[key], d)
	}
	eventsOf := map[client.ObjectKey][]*eventsv1.Event{}
	for i := range events.Items {
		e := &events.Items[i]
		if e.Regarding.Kind == "LightningApp" {
			key := client.ObjectKey{Namespace: e.Regarding.Namespace, Name: e.Regarding.Name}
			eventsOf[key] = append(eventsOf[key], e)
		}
	}
	for i := range apps.Items {
		a := &apps.Items[i]
		key := client.ObjectKeyFromObject(a)
		secret := secretByName[client.ObjectKey{Namespace: a.Namespace, Name: a.Status.SecretName}]
		if secret == nil {
			return plan, fmt.Errorf("app %s has no Secret %s", key, a.Status.SecretName)
		}
		progressing := *a.Status.DeepCopy()
		meta.SetStatusCondition(&progressing.Conditions, metav1.Condition{Type: lightningv1alpha1.ConditionReady,
			Status: metav1.ConditionFalse, Reason: "Progressing", Message: "Waiting for the components to become available"})
		plan.apps = append(plan.apps, appWrites{key: key, secret: secret, deployments: deploymentsOf[key],
			progressing: progressing, ready: a.Status, events: eventsOf[key]})
	}
	return plan, nil
}

// replayFloor makes the plan's writes on the recreated objects with workers
// goroutines for the LightningSecrets and as many for the apps, as the
// operator's two controllers do; apps are the recreated apps, as created.
// It returns when the last write is done, and
// the time the first Secret was written.
func replayFloor(ctx context.Context, c client.Client, plan floorPlan, apps map[client.ObjectKey]*lightningv1alpha1.LightningApp, workers int, start time.Time) (first time.Duration, err error) {
	var once sync.Once
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Add(2)
	go func() {
		defer wg.Done()
		errs[0] = runParallelOn(workers, len(plan.secrets), func(i int) error {
			w := plan.secrets[i]
			lsec := &lightningv1alpha1.LightningSecret{}
			lsec.Namespace, lsec.Name = w.key.Namespace, w.key.Name
			base := lsec.DeepCopy()
			lsec.Status = w.status
			return c.Status().Patch(ctx, lsec, client.MergeFrom(base))
		})
	}()
	go func() {
		defer wg.Done()
		errs[1] = runParallelOn(workers, len(plan.apps), func(i int) error {
			w := plan.apps[i]
			a := apps[w.key].DeepCopy() // as created: the operator reads it from its cache
			if a == nil {
				return fmt.Errorf("app %s was not recreated", w.key)
			}
			if err := c.Create(ctx, fresh(w.secret, a)); err != nil {
				return err
			}
			once.Do(func() { first = time.Since(start) })
			var created []*appsv1.Deployment
			for _, d := range w.deployments {
				d := fresh(d, a)
				d.Status = appsv1.DeploymentStatus{}
				if err := c.Create(ctx, d); err != nil {
					return err
				}
				created = append(created, d)
			}
			if err := updateAppStatus(ctx, c, a, w.progressing); err != nil {
				return err
			}
			for _, d := range created {
				markAvailable(d)
				if err := c.Status().Update(ctx, d); err != nil {
					return err
				}
			}
			if err := updateAppStatus(ctx, c, a, w.ready); err != nil {
				return err
			}
			for _, e := range w.events {
				e := fresh(e, a)
				e.Regarding.UID, e.Regarding.ResourceVersion = a.UID, a.ResourceVersion
				if err := c.Create(ctx, e); err != nil {
					return err
				}
			}
			return nil
		})
	}()
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return first, err
		}
	}
	return first, nil
}

// updateAppStatus writes an app's status as the operator does: an update
// from the version it read (a holds the version the last write returned).
func updateAppStatus(ctx context.Context, c client.Client, a *lightningv1alpha1.LightningApp, status lightningv1alpha1.LightningAppStatus) error {
	a.Status = *status.DeepCopy()
	return c.Status().Update(ctx, a)
}

// fresh is a copy of obj to create anew, owned by the recreated app.
func fresh[T client.Object](obj T, owner *lightningv1alpha1.LightningApp) T {
	out := obj.DeepCopyObject().(T)
	out.SetResourceVersion("")
	out.SetUID("")
	out.SetCreationTimestamp(metav1.Time{})
	out.SetManagedFields(nil)
	out.SetGeneration(0)
	refs := out.GetOwnerReferences()
	for i := range refs {
		refs[i].UID = owner.UID
	}
	out.SetOwnerReferences(refs)
	return out
}

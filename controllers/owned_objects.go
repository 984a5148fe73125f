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
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/expectations"
)

// ownedObjects reads and writes what an app owns (its Secrets, Deployments,
// ServiceAccount and RoleBinding) by one rule: an object the app does not
// control is never adopted, updated or deleted, only reported as foreign.
// Every write it makes is expected, so the app's next pass waits for the
// cache to show it.
type ownedObjects struct {
	client client.Client
	// apiReader reads past the cache, to tell a create that lost a race with
	// the cache from an object someone else made.
	apiReader    client.Reader
	expectations *expectations.Store
}

// ownership decides whether live, the object at the app's name, is the
// app's; an error (a foreignObjectError) says it is not. The default is
// the app's controller owner reference.
type ownership func(ctx context.Context, live client.Object) error

func controlledBy(a *lightningv1alpha1.LightningApp, kind string) ownership {
	return func(_ context.Context, live client.Object) error {
		if !metav1.IsControlledBy(live, a) {
			return &foreignObjectError{kind: kind, key: client.ObjectKeyFromObject(live), app: a.Name}
		}
		return nil
	}
}

// get reads the object at key into live from the cache and checks it is the
// app's; false when there is none.
func (o *ownedObjects) get(ctx context.Context, kind string, key types.NamespacedName, live client.Object, owns ownership) (bool, error) {
	if err := o.client.Get(ctx, key, live); err != nil {
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return false, fmt.Errorf("reading %s %s: %w", kind, key, err)
	}
	return true, owns(ctx, live)
}

// create makes desired. When one already exists that the cache did not
// hold, it is read past the cache into live and taken only if it is the
// app's (an earlier pass made it); it reports whether live holds that one.
func (o *ownedObjects) create(ctx context.Context, a *lightningv1alpha1.LightningApp, kind string, desired, live client.Object, owns ownership) (bool, error) {
	key := client.ObjectKeyFromObject(desired)
	err := o.write(a, expectations.Write{Kind: kind, Key: key}, false, func() error { return o.client.Create(ctx, desired) })
	if err == nil {
		return false, nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return false, createRefused(kind, key, err)
	}
	if o.apiReader == nil {
		return false, &foreignObjectError{kind: kind, key: key, app: a.Name}
	}
	if err := o.apiReader.Get(ctx, key, live); err != nil {
		return false, fmt.Errorf("reading %s %s past the cache: %w", kind, key, err)
	}
	return true, owns(ctx, live)
}

// apply creates desired, or updates live (the app's) when merge changes it.
// It returns the object as it now stands.
func (o *ownedObjects) apply(ctx context.Context, a *lightningv1alpha1.LightningApp, kind string, desired, live client.Object, merge func() bool) (client.Object, error) {
	owns := controlledBy(a, kind)
	found, err := o.get(ctx, kind, client.ObjectKeyFromObject(desired), live, owns)
	if err != nil {
		return nil, err
	}
	if !found {
		if found, err = o.create(ctx, a, kind, desired, live, owns); err != nil || !found {
			return desired, err
		}
	}
	if !merge() {
		return live, nil
	}
	return live, o.update(ctx, a, kind, live)
}

// update writes obj, which must be the app's.
func (o *ownedObjects) update(ctx context.Context, a *lightningv1alpha1.LightningApp, kind string, obj client.Object) error {
	w := expectations.Write{Kind: kind, Key: client.ObjectKeyFromObject(obj), After: obj.GetResourceVersion()}
	if err := o.write(a, w, false, func() error { return o.client.Update(ctx, obj) }); err != nil {
		return fmt.Errorf("updating %s %s: %w", kind, w.Key, err)
	}
	return nil
}

// delete deletes the object at key when the app controls it.
func (o *ownedObjects) delete(ctx context.Context, a *lightningv1alpha1.LightningApp, kind string, key types.NamespacedName, obj client.Object) error {
	if err := o.client.Get(ctx, key, obj); err != nil {
		return client.IgnoreNotFound(err)
	}
	return o.deleteLive(ctx, a, kind, obj)
}

// deleteLive deletes obj, read from the cache, when the app controls it.
func (o *ownedObjects) deleteLive(ctx context.Context, a *lightningv1alpha1.LightningApp, kind string, obj client.Object) error {
	if !metav1.IsControlledBy(obj, a) {
		return nil
	}
	uid := obj.GetUID()
	w := expectations.Write{Kind: kind, Key: client.ObjectKeyFromObject(obj), Deleted: true}
	err := o.write(a, w, false, func() error { return o.client.Delete(ctx, obj, client.Preconditions{UID: &uid}) })
	if client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("deleting %s %s: %w", kind, w.Key, err)
	}
	return nil
}

// write sends one of the app's writes through the expectations.
func (o *ownedObjects) write(a *lightningv1alpha1.LightningApp, w expectations.Write, queueNext bool, send func() error) error {
	return o.expectations.Write(client.ObjectKeyFromObject(a), w, queueNext, send)
}

// createRefused names a refused create. For a Secret, the reason only: the
// apiserver's message (a policy's, a validation's) can quote the object, so
// its values, and this error reaches the app's status and an Event.
func createRefused(kind string, key types.NamespacedName, err error) error {
	if kind == kindSecret {
		return fmt.Errorf("creating %s %s: the apiserver refused it: %s", kind, key, apierrors.ReasonForError(err))
	}
	return fmt.Errorf("creating %s %s: %w", kind, key, err)
}

// The kinds an app owns, as the expectations and errors name them.
const (
	kindSecret         = "Secret"
	kindDeployment     = "Deployment"
	kindServiceAccount = "ServiceAccount"
	kindRoleBinding    = "RoleBinding"
	kindLightningApp   = "LightningApp"
	// kindLightningSecret is for the LightningSecret controller's own writes.
	kindLightningSecret = "LightningSecret"
)

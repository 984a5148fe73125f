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

// Package webhooks holds the operator's admission webhooks: the Pod defaulter
// that injects a LightningApp's env into every Flow and Work pod.
//
// pod_webhook.go is the thin wiring (cache lookup, denials, metrics);
// pod_mutation.go is the pure, table-tested mutation.
package webhooks

import (
	"reflect"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/app"
)

// injection is what the handler decided for one pod.
type injection struct {
	// secret is the Secret its secret entries reference; "" adds none.
	secret string
	// component is the pod's component path (root, root.work_a, root.works.3).
	component string
}

// mutatePod returns a copy of the pod with the app's env added to every
// container and init container: {name, value} for each spec.env item,
// {name, valueFrom.secretKeyRef{name: in.secret, key: name}} for each
// spec.secrets item (the materialized Secret's keys are the env names), and
// the component's identity (LIGHTNING_CLOUD_APP_ID, LIGHTNING_CLOUD_PROJECT_ID,
// and for a Work LIGHTNING_CLOUD_WORK_NAME). With no in.secret, no secret
// entry is added.
//
// A container's own entry for a name wins, except a secretKeyRef this webhook
// wrote for the earlier Secret recorded in AnnotationInjectedSecret: it is
// repointed to in.secret. AnnotationInjectedEnv records, sorted, every name
// ever added, including an earlier invocation's.
//
// It never modifies pod or app, and returns pod itself when nothing changes,
// so mutatePod(mutatePod(p, a, in), a, in) is the same pod
// (reinvocationPolicy IfNeeded). No secret value passes through it: the app
// holds only names.
func mutatePod(pod *corev1.Pod, a *lightningv1alpha1.LightningApp, in injection) *corev1.Pod {
	oldSecret := pod.Annotations[lightningv1alpha1.AnnotationInjectedSecret]
	rotated := oldSecret != "" && oldSecret != in.secret
	want := appEnv(a, in)
	added := make([]bool, len(want)) // added[i]: want[i] went into some container
	out := pod.DeepCopy()
	for _, containers := range [][]corev1.Container{out.Spec.InitContainers, out.Spec.Containers} {
		for ci := range containers {
			c := &containers[ci]
			own := c.Env // the container's own entries; appending to c.Env leaves own as is
			c.Env = slices.Grow(c.Env, len(want))
			// Each container gets its own valueFrom structs, in one allocation:
			// two allocations per secret per container made Handle in
			// bench_test.go about 1.5x slower than the former version, which
			// shared them between containers.
			copies := make([]valueFromCopy, len(want))
			for i, w := range want {
				j := slices.IndexFunc(own, func(e corev1.EnvVar) bool { return e.Name == w.Name })
				switch {
				case j < 0:
					c.Env = append(c.Env, withOwnValueFrom(w, &copies[i]))
				case rotated && w.ValueFrom != nil && isSecretKeyRef(own[j], oldSecret):
					c.Env[j] = withOwnValueFrom(w, &copies[i])
				default:
					continue // the container's own entry wins
				}
				added[i] = true
			}
		}
	}
	if !slices.Contains(added, true) {
		return pod
	}

	if out.Annotations == nil {
		out.Annotations = map[string]string{}
	}
	names := strings.Split(out.Annotations[lightningv1alpha1.AnnotationInjectedEnv], ",")
	for i, w := range want {
		if !added[i] {
			continue
		}
		names = append(names, w.Name)
		if w.ValueFrom != nil {
			out.Annotations[lightningv1alpha1.AnnotationInjectedSecret] = in.secret
		}
	}
	slices.Sort(names)
	// Split gives "" for an empty annotation: not a name.
	names = slices.DeleteFunc(slices.Compact(names), func(n string) bool { return n == "" })
	out.Annotations[lightningv1alpha1.AnnotationInjectedEnv] = strings.Join(names, ",")
	return out
}

// appEnv returns the entries the app wants in every container of the pod:
// its env, its secrets, then the component's identity.
func appEnv(a *lightningv1alpha1.LightningApp, in injection) []corev1.EnvVar {
	env := make([]corev1.EnvVar, 0, len(a.Spec.Env)+len(a.Spec.Secrets)+3)
	for _, e := range a.Spec.Env {
		env = append(env, corev1.EnvVar{Name: e.Name, Value: e.Value})
	}
	if in.secret != "" {
		storage := make([]valueFromCopy, len(a.Spec.Secrets)) // one allocation, as in mutatePod
		for i, s := range a.Spec.Secrets {
			env = append(env, secretKeyRef(s.Name, in.secret, &storage[i]))
		}
	}
	env = append(env,
		corev1.EnvVar{Name: lightningv1alpha1.EnvAppID, Value: a.Name},
		corev1.EnvVar{Name: lightningv1alpha1.EnvProjectID, Value: a.Namespace})
	if work := app.WorkName(in.component); work != "" {
		env = append(env, corev1.EnvVar{Name: lightningv1alpha1.EnvWorkName, Value: work})
	}
	return env
}

// valueFromCopy is the storage of one secretKeyRef entry's valueFrom.
type valueFromCopy struct {
	source   corev1.EnvVarSource
	selector corev1.SecretKeySelector
}

// secretKeyRef is the entry this webhook writes for a secret env name, its
// valueFrom kept in storage.
func secretKeyRef(name, secret string, storage *valueFromCopy) corev1.EnvVar {
	storage.selector = corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: name}
	storage.source = corev1.EnvVarSource{SecretKeyRef: &storage.selector}
	return corev1.EnvVar{Name: name, ValueFrom: &storage.source}
}

// isSecretKeyRef reports whether e is exactly the entry this webhook writes
// for e.Name and secret.
func isSecretKeyRef(e corev1.EnvVar, secret string) bool {
	return reflect.DeepEqual(e, secretKeyRef(e.Name, secret, &valueFromCopy{}))
}

// withOwnValueFrom returns e with a copy of its secretKeyRef, if any, kept in
// storage.
func withOwnValueFrom(e corev1.EnvVar, storage *valueFromCopy) corev1.EnvVar {
	if e.ValueFrom != nil {
		return secretKeyRef(e.Name, e.ValueFrom.SecretKeyRef.Name, storage)
	}
	return e
}

// secretForPod is the Secret whose references the pod gets. A pod its
// ReplicaSet made from a component's template gets the Secret of the
// template's own secrets hash (AnnotationSecretsHash): the controller writes
// a template only after that Secret exists, so whatever order the
// controller's writes and this call interleave in, the pod never gets an
// older Secret than its template names. Any other pod (a Work the Flow
// launches at run time) gets the app's current Secret.
func secretForPod(pod *corev1.Pod, a *lightningv1alpha1.LightningApp) string {
	hash := pod.Annotations[lightningv1alpha1.AnnotationSecretsHash]
	owner := metav1.GetControllerOfNoCopy(pod)
	if hash == "" || owner == nil || owner.Kind != "ReplicaSet" || len(a.Spec.Secrets) == 0 {
		return a.Status.SecretName
	}
	return app.SecretName(a.Name, hash)
}

// runsOnLastGood says whether the app's pods may start with its last good
// Secret while its secrets do not resolve: it has one, and that Secret holds
// every env var the spec maps, from the same ref. An app that never resolved
// has none, so it still fails closed; a spec change that needs the broken
// secret is not covered, so its pods are refused.
func runsOnLastGood(a *lightningv1alpha1.LightningApp) bool {
	if a.Status.SecretName == "" || len(a.Spec.Secrets) == 0 {
		return false
	}
	return app.HoldsRefs(a.Status.Secrets, a.Spec.Secrets)
}

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

// Package builders makes the test objects of every suite in one line, in
// the style of Kueue's pkg/util/testing wrappers:
//
//	builders.App("my-app", "alice").Env("FOO", "bar").Secret("TOKEN", "tok").Work("root.a").Obj()
//	builders.Pod("alice", "my-app", "root").Containers("flow").Obj()
//	builders.SealedSecret("alice", "tok", envelope).Obj()
//
// Everything is appended in call order, so the output is deterministic.
package builders

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

// DefaultImage is the image of built apps and pods.
const DefaultImage = "registry.example/my-app:1.0"

// AppWrapper builds a LightningApp.
type AppWrapper struct{ lightningv1alpha1.LightningApp }

// App is an app with an image, a root Flow and no Works.
func App(name, namespace string) *AppWrapper {
	return &AppWrapper{lightningv1alpha1.LightningApp{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec:       lightningv1alpha1.LightningAppSpec{Image: DefaultImage},
	}}
}

// Obj returns the app.
func (w *AppWrapper) Obj() *lightningv1alpha1.LightningApp { return &w.LightningApp }

// Image sets spec.image.
func (w *AppWrapper) Image(image string) *AppWrapper { w.Spec.Image = image; return w }

// Command sets spec.command.
func (w *AppWrapper) Command(cmd ...string) *AppWrapper { w.Spec.Command = cmd; return w }

// Env adds a plain variable.
func (w *AppWrapper) Env(name, value string) *AppWrapper {
	w.Spec.Env = append(w.Spec.Env, lightningv1alpha1.EnvVar{Name: name, Value: value})
	return w
}

// Secret maps env var name to the LightningSecret ref.
func (w *AppWrapper) Secret(name, ref string) *AppWrapper {
	w.Spec.Secrets = append(w.Spec.Secrets, lightningv1alpha1.SecretEnvVar{Name: name, SecretRef: ref})
	return w
}

// Work adds a Work by its component path, with an optional cloudCompute.
func (w *AppWrapper) Work(path string, compute ...string) *AppWrapper {
	work := lightningv1alpha1.WorkSpec{Name: path}
	if len(compute) > 0 {
		work.CloudCompute = &lightningv1alpha1.CloudCompute{Name: compute[0]}
	}
	w.Spec.Works = append(w.Spec.Works, work)
	return w
}

// FlowCompute sets the root Flow's cloudCompute.
func (w *AppWrapper) FlowCompute(name string) *AppWrapper {
	w.Spec.Flow.CloudCompute = &lightningv1alpha1.CloudCompute{Name: name}
	return w
}

// Generation sets metadata.generation, for pure functions that read it.
func (w *AppWrapper) Generation(g int64) *AppWrapper { w.ObjectMeta.Generation = g; return w }

// UID sets metadata.uid.
func (w *AppWrapper) UID(uid string) *AppWrapper { w.ObjectMeta.UID = types.UID(uid); return w }

// Resolved sets the status the app controller writes once the app's
// secrets are in secretName: SecretsResolved=True for its generation.
func (w *AppWrapper) Resolved(secretName string) *AppWrapper {
	w.Status.SecretName = secretName
	w.Status.ObservedGeneration = w.ObjectMeta.Generation
	meta.SetStatusCondition(&w.Status.Conditions, metav1.Condition{
		Type: lightningv1alpha1.ConditionSecretsResolved, Status: metav1.ConditionTrue,
		Reason: lightningv1alpha1.ReasonResolved, ObservedGeneration: w.ObjectMeta.Generation,
	})
	return w
}

// SecretWrapper builds a LightningSecret.
type SecretWrapper struct {
	lightningv1alpha1.LightningSecret
}

// SealedSecret is a LightningSecret holding envelope.
func SealedSecret(namespace, name, envelope string) *SecretWrapper {
	return &SecretWrapper{lightningv1alpha1.LightningSecret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec:       lightningv1alpha1.LightningSecretSpec{EncryptedValue: envelope},
	}}
}

// Obj returns the LightningSecret.
func (w *SecretWrapper) Obj() *lightningv1alpha1.LightningSecret { return &w.LightningSecret }

// PodWrapper builds a Pod of an app's component.
type PodWrapper struct{ corev1.Pod }

// Pod is a pod labelled for app and component (a component path such as
// root or root.work_a), named by generateName as a Deployment's would be.
func Pod(namespace, app, component string) *PodWrapper {
	return &PodWrapper{corev1.Pod{ObjectMeta: metav1.ObjectMeta{
		GenerateName: app + "-",
		Namespace:    namespace,
		Labels:       map[string]string{lightningv1alpha1.LabelApp: app, lightningv1alpha1.LabelComponent: component},
	}}}
}

// Obj returns the pod.
func (w *PodWrapper) Obj() *corev1.Pod { return &w.Pod }

// Name sets metadata.name instead of generateName.
func (w *PodWrapper) Name(name string) *PodWrapper {
	w.ObjectMeta.Name, w.GenerateName = name, ""
	return w
}

// Label sets a label.
func (w *PodWrapper) Label(key, value string) *PodWrapper { w.Labels[key] = value; return w }

// Annotation sets an annotation.
func (w *PodWrapper) Annotation(key, value string) *PodWrapper {
	if w.Annotations == nil {
		w.Annotations = map[string]string{}
	}
	w.Annotations[key] = value
	return w
}

// Containers adds containers with these names and DefaultImage.
func (w *PodWrapper) Containers(names ...string) *PodWrapper {
	for _, n := range names {
		w.Spec.Containers = append(w.Spec.Containers, corev1.Container{Name: n, Image: DefaultImage})
	}
	return w
}

// InitContainers adds init containers with these names and DefaultImage.
func (w *PodWrapper) InitContainers(names ...string) *PodWrapper {
	for _, n := range names {
		w.Spec.InitContainers = append(w.Spec.InitContainers, corev1.Container{Name: n, Image: DefaultImage})
	}
	return w
}

// Env adds env entries to the container named container.
func (w *PodWrapper) Env(container string, env ...corev1.EnvVar) *PodWrapper {
	for i := range w.Spec.Containers {
		if w.Spec.Containers[i].Name == container {
			w.Spec.Containers[i].Env = append(w.Spec.Containers[i].Env, env...)
		}
	}
	return w
}

// ServiceAccount sets spec.serviceAccountName.
func (w *PodWrapper) ServiceAccount(name string) *PodWrapper {
	w.Spec.ServiceAccountName = name
	return w
}

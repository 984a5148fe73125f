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

package app

import (
	"encoding/json"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

const (
	// ContainerName is the name of the app container in every component pod.
	ContainerName = "component"
	// InterruptibleTaint is tolerated by interruptible components (spot nodes).
	InterruptibleTaint = "lightning.ai/interruptible"
	// AnnotationTemplateHash records the desired spec a Deployment was written
	// from, so the controller updates only when it changed.
	AnnotationTemplateHash = "lightning.ai/template-hash"
)

// UnknownComputeError says a component names a CloudCompute the table lacks.
type UnknownComputeError struct {
	Component, Compute string
	Known              []string
}

func (e *UnknownComputeError) Error() string {
	return fmt.Sprintf("component %q uses cloudCompute %q, which is not one of: %s", e.Component, e.Compute, strings.Join(e.Known, ", "))
}

// Command is the container command of a component: its own, else the app's,
// else ["python", entrypoint].
func Command(a *lightningv1alpha1.LightningApp, c Component) []string {
	if len(c.Command) > 0 {
		return c.Command
	}
	if len(a.Spec.Command) > 0 {
		return a.Spec.Command
	}
	entrypoint := a.Spec.Entrypoint
	if entrypoint == "" {
		entrypoint = "app.py"
	}
	return []string{"python", entrypoint}
}

// DesiredDeployment runs one component with one replica. The pod template
// carries the secrets hash, so a new Secret rolls the pods; env itself is
// injected by the webhook, never written here.
func DesiredDeployment(a *lightningv1alpha1.LightningApp, c Component, presets Presets, secretsHash string) (*appsv1.Deployment, error) {
	compute := lightningv1alpha1.CloudCompute{Name: "default"}
	if c.CloudCompute != nil {
		compute = *c.CloudCompute
		if compute.Name == "" {
			compute.Name = "default"
		}
	}
	preset, ok := presets[compute.Name]
	if !ok {
		return nil, &UnknownComputeError{Component: c.Path, Compute: compute.Name, Known: presets.Names()}
	}

	name := DeploymentName(a.Name, c.Path)
	selector := map[string]string{
		lightningv1alpha1.LabelApp:       a.Name,
		lightningv1alpha1.LabelComponent: ComponentLabel(c.Path),
	}
	podLabels := Labels(a.Name)
	podLabels[lightningv1alpha1.LabelComponent] = ComponentLabel(c.Path)
	podLabels[lightningv1alpha1.LabelName] = "lightning-app"
	podLabels[lightningv1alpha1.LabelInstance] = a.Name
	podAnnotations := map[string]string{lightningv1alpha1.AnnotationComponent: c.Path}
	if secretsHash != "" {
		podAnnotations[lightningv1alpha1.AnnotationSecretsHash] = secretsHash
	}

	requests := corev1.ResourceList{corev1.ResourceCPU: preset.CPU, corev1.ResourceMemory: preset.Memory}
	limits := corev1.ResourceList{corev1.ResourceMemory: preset.Memory}
	if preset.GPUs > 0 {
		gpus := *resource.NewQuantity(preset.GPUs, resource.DecimalSI)
		requests[GPUResource] = gpus
		limits[GPUResource] = gpus
	}
	if compute.DiskSize != nil && *compute.DiskSize > 0 {
		requests[corev1.ResourceEphemeralStorage] = *resource.NewScaledQuantity(int64(*compute.DiskSize), resource.Giga)
	}

	container := corev1.Container{
		Name:                     ContainerName,
		Image:                    a.Spec.Image,
		Command:                  Command(a, c),
		Resources:                corev1.ResourceRequirements{Requests: requests, Limits: limits},
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
		SecurityContext:          ContainerSecurityContext(a),
	}
	pod := corev1.PodSpec{
		Containers:         []corev1.Container{container},
		ServiceAccountName: PodServiceAccountName(a),
		// The token is the app's only credential; it is mounted only where asked.
		AutomountServiceAccountToken: ptr.To(a.Spec.AutomountServiceAccountToken || (a.Spec.LaunchWorks && c.Path == RootComponent)),
		SecurityContext:              PodSecurityContext(a),
	}
	if compute.ShmSize != nil && *compute.ShmSize > 0 {
		size := resource.NewQuantity(int64(*compute.ShmSize)*1024*1024, resource.BinarySI)
		pod.Volumes = append(pod.Volumes, corev1.Volume{
			Name:         "dshm",
			VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: size}},
		})
		pod.Containers[0].VolumeMounts = append(pod.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "dshm", MountPath: "/dev/shm"})
	}
	if compute.Interruptible {
		pod.Tolerations = append(pod.Tolerations, corev1.Toleration{Key: InterruptibleTaint, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})
	}

	deploymentLabels := Labels(a.Name)
	deploymentLabels[lightningv1alpha1.LabelComponent] = ComponentLabel(c.Path)
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{
			Name:            name,
			Namespace:       a.Namespace,
			Labels:          deploymentLabels,
			Annotations:     map[string]string{lightningv1alpha1.AnnotationComponent: c.Path},
			OwnerReferences: []metav1.OwnerReference{OwnerReference(a)},
		},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](replicas(a)),
			Selector: &metav1.LabelSelector{MatchLabels: selector},
			// One process per component: never two Flows at once.
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels, Annotations: podAnnotations},
				Spec:       pod,
			},
		},
	}
	d.Annotations[AnnotationTemplateHash] = templateHash(d.Spec)
	return d, nil
}

// replicas is one pod per component, none while the app is stopped.
func replicas(a *lightningv1alpha1.LightningApp) int32 {
	if a.Spec.Stopped {
		return 0
	}
	return 1
}

// PodSecurityContext is the app's own, or one that passes the "restricted"
// Pod Security Standard: the image must run as a non-root user.
func PodSecurityContext(a *lightningv1alpha1.LightningApp) *corev1.PodSecurityContext {
	if a.Spec.PodSecurityContext != nil {
		return a.Spec.PodSecurityContext.DeepCopy()
	}
	return &corev1.PodSecurityContext{
		RunAsNonRoot:   ptr.To(true),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

// ContainerSecurityContext is the app's own, or one that passes "restricted".
func ContainerSecurityContext(a *lightningv1alpha1.LightningApp) *corev1.SecurityContext {
	if a.Spec.SecurityContext != nil {
		return a.Spec.SecurityContext.DeepCopy()
	}
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}

// templateHash fingerprints the spec we write; the apiserver's defaults are
// not in it, so comparing it (not the live spec) avoids spurious updates.
func templateHash(spec appsv1.DeploymentSpec) string {
	data, _ := json.Marshal(spec) // a DeploymentSpec always marshals
	return shortHash(string(data), 16)
}

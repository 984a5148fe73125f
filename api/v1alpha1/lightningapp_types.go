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

package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CloudCompute selects the resources of a component, like Lightning's CloudCompute.
type CloudCompute struct {
	// name is a preset of the operator's compute table: default, cpu-small,
	// cpu-medium, gpu, gpu-fast, gpu-fast-multi (and flow-lite for flows).
	// +kubebuilder:default=default
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +optional
	Name string `json:"name,omitempty"`
	// diskSize is the ephemeral storage to request, in GB.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=65536
	// +optional
	DiskSize *int32 `json:"diskSize,omitempty"`
	// shmSize is the size of /dev/shm, in MB (a memory-backed emptyDir). 0 means none.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1048576
	// +optional
	ShmSize *int32 `json:"shmSize,omitempty"`
	// interruptible allows the component to run on spot capacity; it becomes a
	// toleration for the node taint lightning.ai/interruptible.
	// +optional
	Interruptible bool `json:"interruptible,omitempty"`
}

// FlowSpec configures the root Flow.
type FlowSpec struct {
	// +optional
	CloudCompute *CloudCompute `json:"cloudCompute,omitempty"`
	// command overrides the app's command for the Flow alone.
	// +kubebuilder:validation:MaxItems=64
	// +optional
	Command []string `json:"command,omitempty"`
}

// WorkSpec configures one Work of the app.
type WorkSpec struct {
	// name is the Lightning component path of the Work, e.g. root.work_a or root.works.0.
	// +required
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^root(\\\\.([A-Za-z_][A-Za-z0-9_]*|[0-9]+))+$')",message="a work name must be a Lightning component path: 'root.' followed by dot-separated identifiers or indices, e.g. root.work_a or root.works.0"
	Name string `json:"name"`
	// +optional
	CloudCompute *CloudCompute `json:"cloudCompute,omitempty"`
	// command overrides the app's command for this Work alone.
	// +kubebuilder:validation:MaxItems=64
	// +optional
	Command []string `json:"command,omitempty"`
}

// EnvVar is a plain environment variable, Lightning's --env K=V.
type EnvVar struct {
	// name of the environment variable.
	// +required
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z_][A-Za-z0-9_]*$')",message="an environment variable name must match ^[A-Za-z_][A-Za-z0-9_]*$"
	Name string `json:"name"`
	// value of the environment variable; may be empty.
	// +kubebuilder:validation:MaxLength=32768
	// +optional
	Value string `json:"value"`
}

// SecretEnvVar maps an environment variable to a LightningSecret, Lightning's --secret K=NAME.
type SecretEnvVar struct {
	// name of the environment variable.
	// +required
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z_][A-Za-z0-9_]*$')",message="an environment variable name must match ^[A-Za-z_][A-Za-z0-9_]*$"
	Name string `json:"name"`
	// secretRef is the name of a LightningSecret in the app's namespace.
	// +required
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="secretRef must be a LightningSecret name: lowercase letters, digits, '-' and '.', starting with a letter"
	SecretRef string `json:"secretRef"`
}

// SecretVersion is one secret env var an app runs: its name, its
// LightningSecret, and the version of the value it holds.
type SecretVersion struct {
	// name of the environment variable.
	// +required
	Name string `json:"name"`
	// secretRef is the LightningSecret the value came from.
	// +required
	SecretRef string `json:"secretRef"`
	// version is the LightningSecret's value version (its status.version)
	// when the value was materialized.
	// +optional
	Version string `json:"version,omitempty"`
}

// LightningAppSpec describes a Lightning App: its Flow, its Works and their environment.
// +kubebuilder:validation:XValidation:rule="!has(self.env) || self.env.all(e, !(e.name in ['LIGHTNING_CLOUD_APP_ID', 'LIGHTNING_CLOUD_PROJECT_ID', 'LIGHTNING_CLOUD_WORK_NAME']))",message="LIGHTNING_CLOUD_APP_ID, LIGHTNING_CLOUD_PROJECT_ID and LIGHTNING_CLOUD_WORK_NAME are set by the operator; they may not be in env",fieldPath=".env"
// +kubebuilder:validation:XValidation:rule="!has(self.secrets) || self.secrets.all(e, !(e.name in ['LIGHTNING_CLOUD_APP_ID', 'LIGHTNING_CLOUD_PROJECT_ID', 'LIGHTNING_CLOUD_WORK_NAME']))",message="LIGHTNING_CLOUD_APP_ID, LIGHTNING_CLOUD_PROJECT_ID and LIGHTNING_CLOUD_WORK_NAME are set by the operator; they may not be in secrets",fieldPath=".secrets"
// +kubebuilder:validation:XValidation:rule="!has(self.env) || !has(self.secrets) || self.env.all(e, !self.secrets.exists(s, s.name == e.name))",message="a name may appear in env or in secrets, not in both",fieldPath=".secrets"
type LightningAppSpec struct {
	// image runs every component of the app.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Image string `json:"image"`
	// entrypoint is the app file, as in `lightning run app app.py`.
	// +kubebuilder:default="app.py"
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Entrypoint string `json:"entrypoint,omitempty"`
	// command overrides the container command; the default is ["python", entrypoint].
	// +kubebuilder:validation:MaxItems=64
	// +optional
	Command []string `json:"command,omitempty"`
	// flow configures the root Flow.
	// +optional
	Flow FlowSpec `json:"flow,omitempty"`
	// works are the app's Works; each runs as its own Deployment.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=128
	// +optional
	Works []WorkSpec `json:"works,omitempty"`
	// stopped scales every component to zero pods, as Lightning's
	// `stop app`; the app's Secret stays, so setting it back to false starts
	// the same values again.
	// +optional
	Stopped bool `json:"stopped,omitempty"`
	// launchWorks lets the Flow launch Works at run time: the app's
	// ServiceAccount gets a Role to create, get, list, watch and delete pods
	// in the app's namespace, and the Flow's pods mount its token. Pods it
	// launches must carry the app's label (lightning.ai/app) and a component
	// path (lightning.ai/component, e.g. root.works.3); they are injected
	// like declared Works.
	// +optional
	LaunchWorks bool `json:"launchWorks,omitempty"`
	// automountServiceAccountToken mounts the app's ServiceAccount token into
	// every component's pods. Default false; launchWorks mounts it into the
	// Flow's pods regardless.
	// +optional
	AutomountServiceAccountToken bool `json:"automountServiceAccountToken,omitempty"`
	// podSecurityContext replaces the default pod security context, which
	// passes the "restricted" Pod Security Standard: runAsNonRoot and the
	// RuntimeDefault seccomp profile.
	// +optional
	PodSecurityContext *corev1.PodSecurityContext `json:"podSecurityContext,omitempty"`
	// securityContext replaces the default security context of the app's
	// container, which passes "restricted": no privilege escalation, every
	// capability dropped.
	// +optional
	SecurityContext *corev1.SecurityContext `json:"securityContext,omitempty"`
	// env are plain environment variables for the flow and every work.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=128
	// +optional
	Env []EnvVar `json:"env,omitempty"`
	// secrets map environment variables to LightningSecrets of this namespace.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=128
	// +optional
	Secrets []SecretEnvVar `json:"secrets,omitempty"`
}

// ComponentStatus reports one Flow or Work.
type ComponentStatus struct {
	// name is the component path.
	Name string `json:"name"`
	// deployment runs the component.
	Deployment string `json:"deployment"`
	// ready is true when the Deployment's current pods are available.
	Ready bool `json:"ready"`
	// reason says why the component is not available when something is
	// failing: the kubelet's (ImagePullBackOff, ErrImageNeverPull,
	// CrashLoopBackOff, …) or the ReplicaSet's (FailedCreate).
	// +optional
	Reason string `json:"reason,omitempty"`
	// message is the failure's own message.
	// +optional
	Message string `json:"message,omitempty"`
}

// Phases of a LightningApp, for humans; tools read the conditions.
const (
	PhasePending  = "Pending"
	PhaseRunning  = "Running"
	PhaseDegraded = "Degraded"
	PhaseFailed   = "Failed"
	// PhaseStopped: spec.stopped; no component runs a pod.
	PhaseStopped = "Stopped"
)

// LightningAppStatus reports the app's secrets and components.
type LightningAppStatus struct {
	// conditions: SecretsResolved and Ready (kstatus compatible).
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// observedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// phase is a one-word summary: Pending, Running, Degraded or Failed.
	// +optional
	Phase string `json:"phase,omitempty"`
	// secretName is the Kubernetes Secret that holds the app's secret env values.
	// +optional
	SecretName string `json:"secretName,omitempty"`
	// secretsHash identifies the content of secretName: a hash of the env
	// names, refs and value versions (never of the values). It is on every
	// pod template, so a new one rolls the pods.
	// +optional
	SecretsHash string `json:"secretsHash,omitempty"`
	// secretCount is the number of secret env vars materialized.
	// +optional
	SecretCount int32 `json:"secretCount,omitempty"`
	// secrets are the env names, refs and value versions that secretName
	// holds, as last resolved: which version of each value the app runs.
	// While a referenced secret is broken, pods that need only these are
	// admitted with secretName (the last good Secret).
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=128
	// +optional
	Secrets []SecretVersion `json:"secrets,omitempty"`
	// lastRolloutTime is when the pod templates last got a new secrets hash.
	// +optional
	LastRolloutTime *metav1.Time `json:"lastRolloutTime,omitempty"`
	// components reports the flow and each work.
	// +listType=map
	// +listMapKey=name
	// +optional
	Components []ComponentStatus `json:"components,omitempty"`
}

// LightningApp is a Lightning App: a Flow and its Works, with plain and secret env vars.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=lapp,categories=lightning
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Secrets",type=integer,JSONPath=`.status.secretCount`
// +kubebuilder:printcolumn:name="Secret",type=string,JSONPath=`.status.secretName`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 63",message="metadata.name: a LightningApp name is at most 63 characters, since it is the value of the lightning.ai/app label"
type LightningApp struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec LightningAppSpec `json:"spec"`
	// +optional
	Status LightningAppStatus `json:"status,omitempty"`
}

// LightningAppList is a list of LightningApps.
// +kubebuilder:object:root=true
type LightningAppList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []LightningApp `json:"items"`
}

func init() {
	SchemeBuilder.Register(&LightningApp{}, &LightningAppList{})
}

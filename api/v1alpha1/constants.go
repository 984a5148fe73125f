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

// Labels and annotations the operator reads and writes. Every key the project
// uses lives here, so the controller, the webhook and the CLI agree on them.
const (
	// LabelApp names the LightningApp a pod, Deployment or Secret belongs to.
	// The webhook's objectSelector matches pods that carry it.
	LabelApp = "lightning.ai/app"
	// LabelComponent holds the Lightning component path (root, root.work_a, ...).
	// Label values cannot hold every path verbatim, so it holds the DNS-safe form
	// and AnnotationComponent holds the exact path.
	LabelComponent = "lightning.ai/component"
	// LabelManagedBy marks objects the operator owns. The manager's cache only
	// sees Secrets with this label, so memory does not grow with unrelated Secrets.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ManagedByValue is the value of LabelManagedBy on the operator's objects.
	ManagedByValue = "lightning-operator"
	// LabelName and LabelInstance are the recommended app.kubernetes.io labels.
	LabelName         = "app.kubernetes.io/name"
	LabelInstance     = "app.kubernetes.io/instance"
	LabelPartOf       = "app.kubernetes.io/part-of"
	LabelComponentK8s = "app.kubernetes.io/component"

	// LabelAppPodSecurity on a namespace is the most a LightningApp there may
	// ask for through its securityContext and podSecurityContext: absent,
	// the "baseline" Pod Security Standard; AppPodSecurityPrivileged lifts
	// it (GPU workloads that need IPC_LOCK, say). Tenants who may edit
	// LightningApps but not label namespaces cannot set it.
	LabelAppPodSecurity = "lightning.ai/app-pod-security"
	// AppPodSecurityPrivileged is the value of LabelAppPodSecurity that
	// lets an app ask for more than baseline.
	AppPodSecurityPrivileged = "privileged"

	// AnnotationComponent holds the exact component path of a Deployment or pod.
	AnnotationComponent = "lightning.ai/component-path"
	// AnnotationSecretOrigin on an app's Secret is a keyed MAC (the
	// keyring's version key) over its namespace, name and the app's UID:
	// proof that the operator made it. An owner reference alone proves
	// nothing: anyone who may create Secrets and read the app's UID can
	// write one that names the app as its controller.
	AnnotationSecretOrigin = "lightning.ai/secret-origin"
	// AnnotationSecretsHash is set on pod templates; a new value rolls the pods.
	AnnotationSecretsHash = "lightning.ai/secrets-hash"
	// AnnotationInjectedEnv lists the env names the webhook added to a pod.
	AnnotationInjectedEnv = "lightning.ai/injected-env"
	// AnnotationInjectedSecret names the Secret the webhook's secretKeyRefs point at.
	AnnotationInjectedSecret = "lightning.ai/injected-secret"
	// AnnotationResealRequest on a LightningSecret asks the operator to seal
	// its value again to the newest key, keeping every other recipient; any
	// new value (a token) is a new request, answered in status.reseal.
	AnnotationResealRequest = "lightning.ai/reseal-request"
	// AnnotationKMSKeyID on a KMS-wrapped keyring Secret names, for
	// people, the KMS plugin's key its data key is wrapped under. The
	// operator never reads it: the key ID it uses is in the wrapped data.
	AnnotationKMSKeyID = "lightning.ai/kms-key-id"
	// AnnotationKMSReopened on a KMS-wrapped keyring Secret is when the
	// leader opened it again after the KMS plugin was down while opens
	// waited: the write brings the controllers back to what waited.
	AnnotationKMSReopened = "lightning.ai/kms-reopened"
)

// Finalizers, condition types and reasons.
const (
	// ConditionReady is the kstatus-compatible summary condition of both kinds.
	ConditionReady = "Ready"
	// ConditionSecretsResolved says whether every secretRef of an app opened.
	ConditionSecretsResolved = "SecretsResolved"
	// ConditionReconciling and ConditionStalled are kstatus's
	// "abnormal-true" conditions: present only while true.
	ConditionReconciling = "Reconciling"
	ConditionStalled     = "Stalled"

	// LightningSecret Ready reasons.
	ReasonSealed         = "Sealed"
	ReasonMalformed      = "Malformed"
	ReasonUnknownVersion = "UnknownVersion"
	ReasonKeyNotFound    = "KeyNotFound"
	ReasonTampered       = "Tampered"
	// ReasonKMSUnavailable: the keyring is wrapped by a KMS, and its plugin
	// cannot open it now (down or refusing). Not Stalled:
	// the value opens once the plugin answers.
	ReasonKMSUnavailable = "KMSUnavailable"
	// ReasonValueHasNUL: the value (a LightningSecret's, or an app's env
	// value) holds a NUL byte, which no environment variable can carry.
	// The message names the rule and the size, never the value.
	ReasonValueHasNUL = "ValueHasNUL"
	// ReasonValueTooLong: the value is longer than one environment
	// variable can carry (Linux's MAX_ARG_STRLEN, 131072 bytes for
	// NAME=value and its NUL); the message names both sizes.
	ReasonValueTooLong = "ValueTooLong"

	// LightningApp reasons.
	ReasonResolved            = "Resolved"
	ReasonSecretNotFound      = "SecretNotFound"
	ReasonSecretNotReady      = "SecretNotReady"
	ReasonUnknownCloudCompute = "UnknownCloudCompute"
	ReasonSecretTooLarge      = "SecretTooLarge"
	ReasonProgressing         = "Progressing"
	ReasonComponentsReady     = "ComponentsReady"
	ReasonReconcileError      = "ReconcileError"
	// ReasonEnvTooLarge: the app's env (plain and secret values, and the
	// identity variables) is more than a container's env may take; the
	// message names the size and the limit.
	ReasonEnvTooLarge = "EnvTooLarge"
	// ReasonNamespaceExcluded: the app is in a namespace the pod webhook
	// does not inject into, so it is not run.
	ReasonNamespaceExcluded = "NamespaceExcluded"
	// ReasonLastGoodSecrets: a referenced secret broke after the app
	// resolved; it keeps running on its last good Secret.
	ReasonLastGoodSecrets = "LastGoodSecrets"
	// ReasonForeignObject: an object the app needs (its Deployment,
	// ServiceAccount, Role, …) exists and is not owned by the app.
	ReasonForeignObject = "ForeignObject"
	// ReasonSecurityContextNotAllowed: the app's securityContext or
	// podSecurityContext asks for more than the baseline Pod Security
	// Standard in a namespace that does not allow it; no Deployment is made.
	ReasonSecurityContextNotAllowed = "SecurityContextNotAllowed"
	// ReasonComponentsFailing: a component's pods fail (the kubelet's or
	// the ReplicaSet's reason is in the message).
	ReasonComponentsFailing = "ComponentsFailing"
	// ReasonStopped: spec.stopped; every component is scaled to zero.
	ReasonStopped = "Stopped"
)

// The identity env of every component, as Lightning's cloud sets it.
const (
	// EnvAppID holds the LightningApp's name.
	EnvAppID = "LIGHTNING_CLOUD_APP_ID"
	// EnvProjectID holds the app's namespace (Lightning's project).
	EnvProjectID = "LIGHTNING_CLOUD_PROJECT_ID"
	// EnvWorkName holds a Work's path below the root Flow (work_a,
	// works.0); the Flow has none.
	EnvWorkName = "LIGHTNING_CLOUD_WORK_NAME"
)

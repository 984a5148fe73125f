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
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/podsecurity"
)

// SecurityBeyondBaseline says what the app's own securityContext and
// podSecurityContext ask for beyond the "baseline" Pod Security Standard,
// in one line naming the fields, when its namespace (by its labels) does not
// allow that; "" when the app may run. Otherwise anyone who may edit a
// LightningApp would get privileged pods through the operator wherever the
// namespace enforces no Pod Security level.
func SecurityBeyondBaseline(a *lightningv1alpha1.LightningApp, namespaceLabels map[string]string) string {
	if a.Spec.SecurityContext == nil && a.Spec.PodSecurityContext == nil {
		return "" // the defaults meet "restricted"
	}
	if namespaceLabels[lightningv1alpha1.LabelAppPodSecurity] == lightningv1alpha1.AppPodSecurityPrivileged {
		return ""
	}
	pod := corev1.PodSpec{
		Containers:      []corev1.Container{{Name: ContainerName, SecurityContext: ContainerSecurityContext(a)}},
		SecurityContext: PodSecurityContext(a),
	}
	violations := podsecurity.Violations(psaapi.LevelBaseline, &metav1.ObjectMeta{}, &pod)
	if len(violations) == 0 {
		return ""
	}
	// The remedy first: a long list of violations is what gets cut.
	return fmt.Sprintf("Not run: namespace %s allows no more than Pod Security baseline (label %s=%s lifts it): %s",
		a.Namespace, lightningv1alpha1.LabelAppPodSecurity, lightningv1alpha1.AppPodSecurityPrivileged, podsecurity.Summary(violations))
}

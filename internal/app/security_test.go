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
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/test/builders"
)

func TestSecurityBeyondBaseline(t *testing.T) {
	allowed := map[string]string{lightningv1alpha1.LabelAppPodSecurity: lightningv1alpha1.AppPodSecurityPrivileged}
	tests := []struct {
		name      string
		container *corev1.SecurityContext
		pod       *corev1.PodSecurityContext
		nsLabels  map[string]string
		// want is a field the message must name; "" means the app may run.
		want string
	}{
		{name: "the defaults"},
		{name: "privileged", container: &corev1.SecurityContext{Privileged: ptr.To(true)}, want: "securityContext.privileged=true"},
		{name: "SYS_ADMIN", container: &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"SYS_ADMIN"}}}, want: `"SYS_ADMIN"`},
		{name: "IPC_LOCK for a GPU workload", container: &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"IPC_LOCK"}}}, want: `"IPC_LOCK"`},
		{name: "a capability baseline allows", container: &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"CHOWN"}}}},
		{name: "an unconfined seccomp profile", pod: &corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}}, want: "seccompProfile.type"},
		{name: "an unconfined AppArmor profile", container: &corev1.SecurityContext{AppArmorProfile: &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}}, want: "AppArmor profile type"},
		{name: "an unmasked /proc", container: &corev1.SecurityContext{ProcMount: ptr.To(corev1.UnmaskedProcMount)}, want: "procMount"},
		{name: "an unsafe sysctl", pod: &corev1.PodSecurityContext{Sysctls: []corev1.Sysctl{{Name: "kernel.msgmax", Value: "1"}}}, want: "kernel.msgmax"},
		{name: "root is baseline", pod: &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](0)}},
		{name: "privileged where an admin allowed it", container: &corev1.SecurityContext{Privileged: ptr.To(true)}, nsLabels: allowed},
		{name: "another value of the label allows nothing", container: &corev1.SecurityContext{Privileged: ptr.To(true)},
			nsLabels: map[string]string{lightningv1alpha1.LabelAppPodSecurity: "true"}, want: "securityContext.privileged=true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := builders.App("gpu", "alice").Obj()
			a.Spec.SecurityContext, a.Spec.PodSecurityContext = tt.container, tt.pod
			got := SecurityBeyondBaseline(a, tt.nsLabels)
			if tt.want == "" {
				if got != "" {
					t.Fatalf("refused: %s", got)
				}
				return
			}
			for _, part := range []string{tt.want, "Not run: namespace alice allows no more than Pod Security baseline", "lightning.ai/app-pod-security=privileged"} {
				if !strings.Contains(got, part) {
					t.Errorf("message %q does not name %q", got, part)
				}
			}
			if strings.Contains(got, "\n") {
				t.Errorf("message is more than one line: %q", got)
			}
		})
	}
}

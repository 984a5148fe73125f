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

package podsecurity

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/utils/ptr"
)

func TestViolations(t *testing.T) {
	restricted := func() *corev1.PodSpec {
		return &corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			Containers: []corev1.Container{{Name: "c", SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false),
				Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}},
		}
	}
	rootWithChown := restricted()
	rootWithChown.SecurityContext.RunAsNonRoot = nil
	rootWithChown.Containers[0].SecurityContext = &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"CHOWN"}}}
	hostPID := restricted()
	hostPID.HostPID = true
	tests := []struct {
		name  string
		level psaapi.Level
		spec  *corev1.PodSpec
		want  []string // parts of the summary; none means allowed
	}{
		{"restricted meets restricted", psaapi.LevelRestricted, restricted(), nil},
		{"root with CHOWN meets baseline", psaapi.LevelBaseline, rootWithChown, nil},
		{"but not restricted", psaapi.LevelRestricted, rootWithChown, []string{"runAsNonRoot", "capabilities"}},
		{"hostPID meets neither", psaapi.LevelBaseline, hostPID, []string{"host namespaces (hostPID=true)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Summary(Violations(tt.level, &metav1.ObjectMeta{}, tt.spec))
			if len(tt.want) == 0 {
				if got != "" {
					t.Fatalf("refused: %s", got)
				}
				return
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("summary %q does not name %q", got, w)
				}
			}
		})
	}
}

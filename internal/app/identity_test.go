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
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/utils/ptr"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/test/builders"
)

func TestDesiredDeploymentRunsAsTheAppRestricted(t *testing.T) {
	plain := builders.App("my-app", "alice").Work("root.work_a").Obj()
	launcher := builders.App("my-app", "alice").Work("root.work_a").Obj()
	launcher.Spec.LaunchWorks = true
	mounted := builders.App("my-app", "alice").Work("root.work_a").Obj()
	mounted.Spec.AutomountServiceAccountToken = true
	own := builders.App("my-app", "alice").Obj()
	own.Spec.PodSecurityContext = &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](0)}
	own.Spec.SecurityContext = &corev1.SecurityContext{Privileged: ptr.To(true)}
	withCommands := builders.App("my-app", "alice").Work("root.work_a").Work("root.work_b").Obj()
	withCommands.Spec.Command = []string{"app-wide"}
	withCommands.Spec.Flow.Command = []string{"flow", "--serve"}
	withCommands.Spec.Works[0].Command = []string{"work-a"}

	tests := []struct {
		name      string
		app       *lightningv1alpha1.LightningApp
		component int
		mounted   bool
		command   []string
		account   string
	}{
		{"the Flow of a plain app mounts no token", plain, 0, false, []string{"python", "app.py"}, ""},
		{"a Work of a plain app mounts no token", plain, 1, false, []string{"python", "app.py"}, ""},
		{"the Flow of an app that launches Works mounts it", launcher, 0, true, []string{"python", "app.py"}, "lightning-app-my-app"},
		{"a Work of an app that launches Works does not", launcher, 1, false, []string{"python", "app.py"}, "lightning-app-my-app"},
		{"automount mounts it everywhere", mounted, 1, true, []string{"python", "app.py"}, "lightning-app-my-app"},
		{"the Flow's own command", withCommands, 0, false, []string{"flow", "--serve"}, ""},
		{"a Work's own command", withCommands, 1, false, []string{"work-a"}, ""},
		{"the app's command where a Work has none", withCommands, 2, false, []string{"app-wide"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := DesiredDeployment(tt.app, Components(tt.app)[tt.component], DefaultPresets(), "")
			if err != nil {
				t.Fatal(err)
			}
			spec := d.Spec.Template.Spec
			if spec.ServiceAccountName != tt.account {
				t.Errorf("serviceAccountName = %q, want %q", spec.ServiceAccountName, tt.account)
			}
			if got := ptr.Deref(spec.AutomountServiceAccountToken, true); got != tt.mounted {
				t.Errorf("automountServiceAccountToken = %v, want %v", got, tt.mounted)
			}
			if diff := cmp.Diff(tt.command, spec.Containers[0].Command); diff != "" {
				t.Errorf("command (-want +got):\n%s", diff)
			}
			// The defaults pass the restricted Pod Security Standard.
			if sc := spec.SecurityContext; !ptr.Deref(sc.RunAsNonRoot, false) || sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
				t.Errorf("pod securityContext = %+v", sc)
			}
			if sc := spec.Containers[0].SecurityContext; ptr.Deref(sc.AllowPrivilegeEscalation, true) || sc.Capabilities == nil || !cmp.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
				t.Errorf("container securityContext = %+v", sc)
			}
		})
	}
	t.Run("the app's own security contexts replace the defaults", func(t *testing.T) {
		d, _ := DesiredDeployment(own, Components(own)[0], DefaultPresets(), "")
		if diff := cmp.Diff(own.Spec.PodSecurityContext, d.Spec.Template.Spec.SecurityContext); diff != "" {
			t.Errorf("pod securityContext (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(own.Spec.SecurityContext, d.Spec.Template.Spec.Containers[0].SecurityContext); diff != "" {
			t.Errorf("container securityContext (-want +got):\n%s", diff)
		}
		d.Spec.Template.Spec.SecurityContext.RunAsUser = ptr.To[int64](5)
		if *own.Spec.PodSecurityContext.RunAsUser != 0 {
			t.Error("the Deployment shares the app's security context")
		}
	})
}

func TestServiceAccountObjects(t *testing.T) {
	a := builders.App("my-app", "alice").UID("uid-1").Obj()
	sa := DesiredServiceAccount(a)
	if sa.Name != "lightning-app-my-app" || sa.Namespace != "alice" || ptr.Deref(sa.AutomountServiceAccountToken, true) {
		t.Errorf("ServiceAccount = %+v", sa.ObjectMeta)
	}
	if len(sa.OwnerReferences) != 1 || sa.OwnerReferences[0].UID != "uid-1" {
		t.Errorf("ServiceAccount owners = %+v", sa.OwnerReferences)
	}
	binding := DesiredRoleBinding(a)
	wantRef := rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "lightning-operator-app-launcher"}
	wantSubjects := []rbacv1.Subject{{Kind: "ServiceAccount", Name: "lightning-app-my-app", Namespace: "alice"}}
	if diff := cmp.Diff(wantSubjects, binding.Subjects); diff != "" || binding.RoleRef != wantRef || binding.Namespace != "alice" {
		t.Errorf("RoleBinding = %+v (-want +got subjects):\n%s", binding, diff)
	}
}

func TestAppOfUser(t *testing.T) {
	tests := []struct {
		user, ns string
		app      string
		ok       bool
	}{
		{"system:serviceaccount:alice:lightning-app-my-app", "alice", "my-app", true},
		{"system:serviceaccount:bob:lightning-app-my-app", "alice", "", false},
		{"system:serviceaccount:alice:default", "alice", "", false},
		{"system:serviceaccount:alice:lightning-app-", "alice", "", false},
		{"system:serviceaccount:kube-system:replicaset-controller", "alice", "", false},
		{"alice@example.com", "alice", "", false},
	}
	for _, tt := range tests {
		app, ok := AppOfUser(tt.user, tt.ns)
		if app != tt.app || ok != tt.ok {
			t.Errorf("AppOfUser(%q, %q) = %q, %v; want %q, %v", tt.user, tt.ns, app, ok, tt.app, tt.ok)
		}
	}
}

func TestDesiredDeploymentStopped(t *testing.T) {
	a := builders.App("my-app", "alice").Obj()
	for _, stopped := range []bool{false, true} {
		a.Spec.Stopped = stopped
		d, err := DesiredDeployment(a, Components(a)[0], DefaultPresets(), "h")
		if err != nil {
			t.Fatal(err)
		}
		want := int32(1)
		if stopped {
			want = 0
		}
		if got := ptr.Deref(d.Spec.Replicas, -1); got != want {
			t.Errorf("stopped=%v: replicas = %d, want %d", stopped, got, want)
		}
	}
}

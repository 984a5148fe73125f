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

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

// serviceAccountPrefix starts the name of every app's ServiceAccount.
const serviceAccountPrefix = "lightning-app-"

// ServiceAccountName is the app's own ServiceAccount (also the name of its
// RoleBinding).
func ServiceAccountName(appName string) string { return serviceAccountPrefix + appName }

// UsesServiceAccount says whether the app's pods hold a token, and so need
// an identity of their own: launchWorks (the Flow) or
// automountServiceAccountToken (every component). Pods without a token run
// as the namespace's default ServiceAccount, which they cannot use: one
// fewer object, and one fewer write, per app.
func UsesServiceAccount(a *lightningv1alpha1.LightningApp) bool {
	return a.Spec.LaunchWorks || a.Spec.AutomountServiceAccountToken
}

// PodServiceAccountName is the ServiceAccount the app's pods run as: its own
// when it uses one, else "" (the namespace's default).
func PodServiceAccountName(a *lightningv1alpha1.LightningApp) string {
	if !UsesServiceAccount(a) {
		return ""
	}
	return ServiceAccountName(a.Name)
}

// AppOfUser returns the app whose ServiceAccount username (as the
// apiserver's userInfo has it) is, in namespace; ok is false for any other
// user.
func AppOfUser(username, namespace string) (appName string, ok bool) {
	appName, ok = strings.CutPrefix(username, "system:serviceaccount:"+namespace+":"+serviceAccountPrefix)
	if !ok || appName == "" {
		return "", false
	}
	return appName, true
}

// DesiredServiceAccount is the app's own ServiceAccount, for an app that
// UsesServiceAccount. Its token is not mounted unless a pod asks
// (DesiredDeployment decides per component).
func DesiredServiceAccount(a *lightningv1alpha1.LightningApp) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{
		ObjectMeta:                   childMeta(a, ServiceAccountName(a.Name)),
		AutomountServiceAccountToken: ptr.To(false),
	}
}

// LauncherClusterRole is the ClusterRole the install ships with a Flow's
// rules (pods: create, get, list, watch, delete; no logs, no Secrets). The
// manager binds it per app with a RoleBinding, which its RBAC allows for this
// ClusterRole alone (bind, by resourceNames): it holds no pod or Role create
// of its own, so a stolen manager token cannot make pods.
const LauncherClusterRole = "lightning-operator-app-launcher"

// DesiredRoleBinding lets the app's Flow launch and stop Works: it binds
// LauncherClusterRole to the app's ServiceAccount, in the app's namespace.
// Only apps with launchWorks get one.
func DesiredRoleBinding(a *lightningv1alpha1.LightningApp) *rbacv1.RoleBinding {
	name := ServiceAccountName(a.Name)
	return &rbacv1.RoleBinding{
		ObjectMeta: childMeta(a, name),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: LauncherClusterRole},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: a.Namespace}},
	}
}

func childMeta(a *lightningv1alpha1.LightningApp, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:            name,
		Namespace:       a.Namespace,
		Labels:          Labels(a.Name),
		OwnerReferences: []metav1.OwnerReference{OwnerReference(a)},
	}
}

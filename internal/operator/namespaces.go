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

package operator

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ParseWatchNamespaces reads --watch-namespaces: comma-separated namespace
// names, returned sorted. Empty means every namespace (nil). The operator's
// own namespace and kube-system are refused: the pod webhook never injects
// there, so no app runs there.
func ParseWatchNamespaces(v, operatorNamespace string) ([]string, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	var out []string
	for _, ns := range strings.Split(v, ",") {
		ns = strings.TrimSpace(ns)
		switch {
		case ns == "":
			return nil, fmt.Errorf("--watch-namespaces %q has an empty name: list namespaces separated by single commas, like team-a,team-b", v)
		case len(validation.IsDNS1123Label(ns)) > 0:
			return nil, fmt.Errorf("--watch-namespaces: %q is not a namespace name (lower-case letters, digits and '-', at most 63)", ns)
		case ns == operatorNamespace:
			return nil, fmt.Errorf("--watch-namespaces: %s is the operator's own namespace, where no app runs; list only the apps' namespaces", ns)
		case ns == metav1.NamespaceSystem:
			return nil, fmt.Errorf("--watch-namespaces: %s is never served by the pod webhook, so no app runs there; list only the apps' namespaces", ns)
		case slices.Contains(out, ns):
			return nil, fmt.Errorf("--watch-namespaces: %s is listed twice", ns)
		}
		out = append(out, ns)
	}
	slices.Sort(out)
	return out, nil
}

// ScopeCache limits the cache options o (from CacheOptions) to the watched
// namespaces: every namespaced kind is cached there only, except Secrets,
// which are also cached in the operator's namespace (the keyring and the
// webhook certificate), and Namespaces, which are cached by name. An empty
// watch returns o unchanged: every namespace.
func ScopeCache(o cache.Options, operatorNamespace string, watch []string) cache.Options {
	if len(watch) == 0 {
		return o
	}
	o.DefaultNamespaces = make(map[string]cache.Config, len(watch))
	for _, ns := range watch {
		o.DefaultNamespaces[ns] = cache.Config{}
	}
	byObject := make(map[client.Object]cache.ByObject, len(o.ByObject)+2)
	var secretKey, namespaceKey client.Object = &corev1.Secret{}, &corev1.Namespace{}
	for obj, b := range o.ByObject {
		switch obj.(type) {
		case *corev1.Secret:
			secretKey = obj
		case *corev1.Namespace:
			namespaceKey = obj
		}
		byObject[obj] = b
	}

	secrets := byObject[secretKey]
	secrets.Namespaces = map[string]cache.Config{operatorNamespace: {}}
	for _, ns := range watch {
		secrets.Namespaces[ns] = cache.Config{}
	}
	byObject[secretKey] = secrets

	// The apiserver labels every namespace with its name.
	byName, _ := labels.NewRequirement(corev1.LabelMetadataName, selection.In, watch) // valid names always make one
	namespaces := byObject[namespaceKey]
	if namespaces.Label == nil {
		namespaces.Label = labels.NewSelector()
	}
	namespaces.Label = namespaces.Label.Add(*byName)
	byObject[namespaceKey] = namespaces

	o.ByObject = byObject
	return o
}

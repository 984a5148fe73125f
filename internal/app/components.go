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

// Package app holds the pure decisions about a LightningApp that the
// controller, the webhook and the CLI share: component names and labels.
package app

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

// RootComponent is the path of every app's Flow.
const RootComponent = "root"

// maxDeploymentName leaves room for the ReplicaSet and pod suffixes that
// Kubernetes appends, so pod names stay readable.
const maxDeploymentName = 52

// Component is one Flow or Work of an app with its compute.
type Component struct {
	// Path is the Lightning component path: root, root.work_a, root.works.0.
	Path         string
	CloudCompute *lightningv1alpha1.CloudCompute
	// Command overrides the app's command for this component.
	Command []string
}

// Components lists the Flow first, then the Works in spec order.
func Components(a *lightningv1alpha1.LightningApp) []Component {
	out := make([]Component, 0, 1+len(a.Spec.Works))
	out = append(out, Component{Path: RootComponent, CloudCompute: a.Spec.Flow.CloudCompute, Command: a.Spec.Flow.Command})
	for _, w := range a.Spec.Works {
		out = append(out, Component{Path: w.Name, CloudCompute: w.CloudCompute, Command: w.Command})
	}
	return out
}

// componentPathPattern is the CRD's rule for a Work's name, with root too.
var componentPathPattern = regexp.MustCompile(`^root(\.([A-Za-z_][A-Za-z0-9_]*|[0-9]+))*$`)

// PodComponent returns the component path of a pod with the given
// lightning.ai/component label: a declared component whose label it is
// (which may be a hash form of a long path), or else a Work the Flow
// launched at run time, whose label must be the path itself (root.works.3).
// ok is false when the label is neither.
func PodComponent(a *lightningv1alpha1.LightningApp, labelValue string) (path string, declared, ok bool) {
	for _, c := range Components(a) {
		if ComponentLabel(c.Path) == labelValue {
			return c.Path, true, true
		}
	}
	if componentPathPattern.MatchString(labelValue) {
		return labelValue, false, true
	}
	return "", false, false
}

// WorkName is LIGHTNING_CLOUD_WORK_NAME of a component: its path below the
// root Flow (work_a, works.0); "" for the Flow.
func WorkName(path string) string {
	return strings.TrimPrefix(strings.TrimPrefix(path, RootComponent), ".")
}

// ComponentLabel is the value of the lightning.ai/component label: the path
// itself when it is a valid label value, which every ordinary path is;
// otherwise a stable hash of it.
func ComponentLabel(path string) string {
	if len(validation.IsValidLabelValue(path)) == 0 {
		return path
	}
	return "c-" + shortHash(path, 16)
}

// DeploymentName derives a unique DNS-1123 name for a component's Deployment:
// "<app>-<path with dots as dashes>". A path whose spelling does not survive
// that (capitals, underscores) or that is too long gets a hash of the exact path,
// so root.a_b and root.a.b never share a name.
func DeploymentName(appName, path string) string {
	suffix := strings.ReplaceAll(path, ".", "-")
	lossless := suffix == strings.ToLower(suffix) && !strings.Contains(suffix, "_")
	suffix = strings.Trim(strings.ReplaceAll(strings.ToLower(suffix), "_", "-"), "-")
	name := appName + "-" + suffix
	if lossless && len(name) <= maxDeploymentName {
		return name
	}
	hash := shortHash(appName+"/"+path, 8)
	if keep := maxDeploymentName - len(hash) - 1; len(name) > keep {
		name = strings.TrimRight(name[:keep], "-.")
	}
	return name + "-" + hash
}

func shortHash(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:n]
}

// PendingComponents are the statuses of an app's components before their
// Deployments exist: none available yet.
func PendingComponents(a *lightningv1alpha1.LightningApp) []lightningv1alpha1.ComponentStatus {
	components := Components(a)
	out := make([]lightningv1alpha1.ComponentStatus, 0, len(components))
	for _, c := range components {
		out = append(out, lightningv1alpha1.ComponentStatus{Name: c.Path, Deployment: DeploymentName(a.Name, c.Path)})
	}
	return out
}

// AwaitsFirstSecret says whether an app with secrets has never had its
// Secret: its status names none. Its first pass makes the Secret and the
// status, and its components come after (docs/performance.md).
func AwaitsFirstSecret(a *lightningv1alpha1.LightningApp) bool {
	return len(a.Spec.Secrets) > 0 && a.Status.SecretName == ""
}

// Starting says whether an app with secrets awaits its first pass: it has
// no status yet. New LightningSecrets' first statuses wait for such apps.
func Starting(a *lightningv1alpha1.LightningApp) bool {
	return AwaitsFirstSecret(a) && a.Status.ObservedGeneration == 0
}

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
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/test/builders"
)

func testApp() *lightningv1alpha1.LightningApp {
	a := builders.App("my-app", "alice").UID("uid-1").Generation(3).FlowCompute("flow-lite").
		Work("root.work_a").Work("root.works.0").Env("FOO", "bar").Secret("MY_APP_SECRET", "my-secret").Obj()
	a.Spec.Entrypoint = "app.py"
	a.Spec.Works[0].CloudCompute = &lightningv1alpha1.CloudCompute{Name: "gpu", DiskSize: ptr.To[int32](80), ShmSize: ptr.To[int32](512), Interruptible: true}
	return a
}

func TestSecretsHash(t *testing.T) {
	base := []ResolvedRef{{EnvName: "A", SecretRef: "a", Version: "1111111111111111"}, {EnvName: "B", SecretRef: "b", Version: "2222222222222222"}}
	h := SecretsHash("ns", "app", base)
	tests := []struct {
		name     string
		ns, app  string
		refs     []ResolvedRef
		wantSame bool
	}{
		{"same input", "ns", "app", base, true},
		{"order does not matter", "ns", "app", []ResolvedRef{base[1], base[0]}, true},
		{"new value version", "ns", "app", []ResolvedRef{base[0], {EnvName: "B", SecretRef: "b", Version: "3333333333333333"}}, false},
		{"env renamed", "ns", "app", []ResolvedRef{base[0], {EnvName: "C", SecretRef: "b", Version: "2222222222222222"}}, false},
		{"other ref, same version", "ns", "app", []ResolvedRef{base[0], {EnvName: "B", SecretRef: "c", Version: "2222222222222222"}}, false},
		{"a ref dropped", "ns", "app", base[:1], false},
		{"other namespace", "ns2", "app", base, false},
		{"other app", "ns", "app2", base, false},
		{"field boundaries are not ambiguous", "ns", "app", []ResolvedRef{{EnvName: "A", SecretRef: "a1111111111111111"}, base[1]}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SecretsHash(tt.ns, tt.app, tt.refs)
			if (got == h) != tt.wantSame {
				t.Errorf("SecretsHash = %s, base %s, want same=%v", got, h, tt.wantSame)
			}
			if len(got) != 10 {
				t.Errorf("SecretsHash length = %d, want 10", len(got))
			}
		})
	}
}

func TestDesiredSecret(t *testing.T) {
	a := testApp()
	got := DesiredSecret(a, "0123456789", map[string][]byte{"MY_APP_SECRET": []byte("s3cret")})
	want := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:      "my-app-env-0123456789",
			Namespace: "alice",
			Labels: map[string]string{
				"lightning.ai/app": "my-app", "app.kubernetes.io/managed-by": "lightning-operator", "app.kubernetes.io/part-of": "my-app",
			},
			Annotations: map[string]string{"lightning.ai/secrets-hash": "0123456789"},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "lightning.ai/v1alpha1", Kind: "LightningApp", Name: "my-app", UID: "uid-1",
				Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
			}},
		},
		Immutable: ptr.To(true),
		Type:      corev1.SecretTypeOpaque,
		Data:      map[string][]byte{"MY_APP_SECRET": []byte("s3cret")},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DesiredSecret mismatch (-want +got):\n%s", diff)
	}
	if name := SecretName(strings.Repeat("a", 253), "0123456789"); len(name) != 253 {
		t.Errorf("SecretName of a 253-char app is %d chars, want 253", len(name))
	}
}

func TestDesiredDeployment(t *testing.T) {
	a := testApp()
	comps := Components(a)
	tests := []struct {
		name      string
		component Component
		check     func(t *testing.T, d *appsv1.Deployment)
	}{
		{"flow", comps[0], func(t *testing.T, d *appsv1.Deployment) {
			if d.Name != "my-app-root" {
				t.Errorf("name = %s", d.Name)
			}
			c := d.Spec.Template.Spec.Containers[0]
			if diff := cmp.Diff([]string{"python", "app.py"}, c.Command); diff != "" {
				t.Errorf("command (-want +got):\n%s", diff)
			}
			if got := c.Resources.Requests[corev1.ResourceCPU]; got.Cmp(resource.MustParse("300m")) != 0 {
				t.Errorf("cpu request = %s, want the flow-lite 300m", got.String())
			}
			if len(c.Env) != 0 || len(c.EnvFrom) != 0 {
				t.Errorf("the controller wrote env into the template: %v %v", c.Env, c.EnvFrom)
			}
		}},
		{"gpu work with disk, shm and spot", comps[1], func(t *testing.T, d *appsv1.Deployment) {
			spec := d.Spec.Template.Spec
			c := spec.Containers[0]
			if got := c.Resources.Limits[GPUResource]; got.Value() != 1 {
				t.Errorf("gpu limit = %s, want 1", got.String())
			}
			if got := c.Resources.Requests[corev1.ResourceEphemeralStorage]; got.Cmp(resource.MustParse("80G")) != 0 {
				t.Errorf("ephemeral-storage = %s, want 80G", got.String())
			}
			wantVol := corev1.Volume{Name: "dshm", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{
				Medium: corev1.StorageMediumMemory, SizeLimit: resource.NewQuantity(512*1024*1024, resource.BinarySI)}}}
			if diff := cmp.Diff([]corev1.Volume{wantVol}, spec.Volumes); diff != "" {
				t.Errorf("volumes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]corev1.VolumeMount{{Name: "dshm", MountPath: "/dev/shm"}}, c.VolumeMounts); diff != "" {
				t.Errorf("mounts (-want +got):\n%s", diff)
			}
			if len(spec.Tolerations) != 1 || spec.Tolerations[0].Key != InterruptibleTaint {
				t.Errorf("tolerations = %v", spec.Tolerations)
			}
			if got := d.Spec.Template.Labels[lightningv1alpha1.LabelComponent]; got != "root.work_a" {
				t.Errorf("component label = %s", got)
			}
		}},
		{"default compute", comps[2], func(t *testing.T, d *appsv1.Deployment) {
			c := d.Spec.Template.Spec.Containers[0]
			if got := c.Resources.Requests[corev1.ResourceMemory]; got.Cmp(resource.MustParse("4Gi")) != 0 {
				t.Errorf("memory = %s, want 4Gi", got.String())
			}
			if d.Spec.Template.Spec.Volumes != nil {
				t.Errorf("unexpected volumes %v", d.Spec.Template.Spec.Volumes)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := DesiredDeployment(a, tt.component, DefaultPresets(), "abc")
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Spec.Template.Annotations[lightningv1alpha1.AnnotationSecretsHash]; got != "abc" {
				t.Errorf("secrets hash annotation = %q", got)
			}
			if *d.Spec.Replicas != 1 || d.OwnerReferences[0].UID != "uid-1" {
				t.Errorf("replicas/owner wrong: %v %v", *d.Spec.Replicas, d.OwnerReferences)
			}
			for k, v := range d.Spec.Selector.MatchLabels {
				if d.Spec.Template.Labels[k] != v {
					t.Errorf("selector %s=%s does not match the template", k, v)
				}
			}
			tt.check(t, d)
		})
	}
}

func TestDesiredDeploymentHashTracksChanges(t *testing.T) {
	a := testApp()
	c := Components(a)[0]
	d1, _ := DesiredDeployment(a, c, DefaultPresets(), "h1")
	d2, _ := DesiredDeployment(a, c, DefaultPresets(), "h1")
	d3, _ := DesiredDeployment(a, c, DefaultPresets(), "h2")
	if d1.Annotations[AnnotationTemplateHash] != d2.Annotations[AnnotationTemplateHash] {
		t.Error("the same input gave two template hashes")
	}
	if d1.Annotations[AnnotationTemplateHash] == d3.Annotations[AnnotationTemplateHash] {
		t.Error("a new secrets hash did not change the template hash")
	}
}

func TestDesiredDeploymentUnknownCompute(t *testing.T) {
	a := testApp()
	_, err := DesiredDeployment(a, Component{Path: "root.x", CloudCompute: &lightningv1alpha1.CloudCompute{Name: "tpu"}}, DefaultPresets(), "")
	var unknown *UnknownComputeError
	if !errors.As(err, &unknown) || !strings.Contains(err.Error(), `cloudCompute "tpu"`) {
		t.Fatalf("err = %v, want UnknownComputeError naming tpu", err)
	}
}

func TestParsePresets(t *testing.T) {
	p, err := ParsePresets([]byte("gpu:\n  cpu: \"6\"\n  memory: 30Gi\n  gpus: 2\ntpu:\n  cpu: 1\n  memory: 1Gi\n"))
	if err != nil {
		t.Fatal(err)
	}
	tpuMemory, defaultCPU := p["tpu"].Memory, p["default"].CPU
	if p["gpu"].GPUs != 2 || tpuMemory.Cmp(resource.MustParse("1Gi")) != 0 || defaultCPU.IsZero() {
		t.Errorf("presets = %v", p)
	}
	for _, bad := range []string{"gpu: {cpu: 0, memory: 1Gi}", "gpu: {cpu: 1, memory: 1Gi, gpus: -1}", "gpu: {cpus: 1}", "- a"} {
		if _, err := ParsePresets([]byte(bad)); err == nil {
			t.Errorf("ParsePresets(%q) accepted a bad table", bad)
		}
	}
}

func TestDesiredStatus(t *testing.T) {
	ready := []lightningv1alpha1.ComponentStatus{{Name: "root", Deployment: "a-root", Ready: true}, {Name: "root.w", Deployment: "a-root-w", Ready: true}}
	half := []lightningv1alpha1.ComponentStatus{{Name: "root", Deployment: "a-root", Ready: true}, {Name: "root.w", Deployment: "a-root-w"}}
	none := []lightningv1alpha1.ComponentStatus{{Name: "root", Deployment: "a-root"}}
	resolved := Resolution{Resolved: true}
	type cond struct{ status, reason string }
	tests := []struct {
		name      string
		obs       Observed
		phase     string
		ready     cond
		resolved  cond
		stalled   bool
		reconcile bool
	}{
		{"all ready", Observed{Resolution: resolved, SecretName: "s", SecretCount: 1, Components: ready}, "Running",
			cond{"True", "ComponentsReady"}, cond{"True", "Resolved"}, false, false},
		{"half ready", Observed{Resolution: resolved, Components: half}, "Degraded",
			cond{"False", "Progressing"}, cond{"True", "Resolved"}, false, true},
		{"none ready", Observed{Resolution: resolved, Components: none}, "Pending",
			cond{"False", "Progressing"}, cond{"True", "Resolved"}, false, true},
		{"secret not there yet: waited for, not stalled", Observed{Resolution: Resolution{Reason: "SecretNotFound", Message: "Secret with name 'x' not found"}, Components: none}, "Pending",
			cond{"False", "SecretNotFound"}, cond{"False", "SecretNotFound"}, false, true},
		{"keyring the KMS plugin cannot open now: waited for, not stalled", Observed{Resolution: Resolution{Reason: "KMSUnavailable", Message: "The operator's keyring is unavailable"}, Components: none}, "Pending",
			cond{"False", "KMSUnavailable"}, cond{"False", "KMSUnavailable"}, false, true},
		{"secret that does not open", Observed{Resolution: Resolution{Reason: "SecretNotReady", Message: "Secret with name 'x' is not ready: Tampered"}, Components: none}, "Failed",
			cond{"False", "SecretNotReady"}, cond{"False", "SecretNotReady"}, true, false},
		{"unknown compute", Observed{Resolution: resolved, ComputeError: errors.New("bad"), Components: none}, "Failed",
			cond{"False", "UnknownCloudCompute"}, cond{"True", "Resolved"}, true, false},
		{"stopped, scaled to zero", Observed{Resolution: resolved, Stopped: true, Components: ready}, "Stopped",
			cond{"True", "Stopped"}, cond{"True", "Resolved"}, false, false},
		{"stopping", Observed{Resolution: resolved, Stopped: true, Components: half}, "Degraded",
			cond{"False", "Progressing"}, cond{"True", "Resolved"}, false, true},
		{"stopped with a broken secret still says so", Observed{Resolution: Resolution{Reason: "SecretNotReady", Message: "Secret with name 'x' is not ready: Tampered"}, Stopped: true, Components: ready}, "Failed",
			cond{"False", "SecretNotReady"}, cond{"False", "SecretNotReady"}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.obs.Generation = 4
			st := DesiredStatus(lightningv1alpha1.LightningAppStatus{}, tt.obs)
			if st.Phase != tt.phase || st.ObservedGeneration != 4 {
				t.Errorf("phase %s gen %d, want %s 4", st.Phase, st.ObservedGeneration, tt.phase)
			}
			check := func(condType string, want cond) {
				for _, c := range st.Conditions {
					if c.Type == condType {
						if string(c.Status) != want.status || c.Reason != want.reason || c.ObservedGeneration != 4 {
							t.Errorf("%s = %s/%s gen %d, want %s/%s", condType, c.Status, c.Reason, c.ObservedGeneration, want.status, want.reason)
						}
						return
					}
				}
				t.Errorf("no %s condition", condType)
			}
			check("Ready", tt.ready)
			check("SecretsResolved", tt.resolved)
			has := func(condType string) bool {
				for _, c := range st.Conditions {
					if c.Type == condType {
						return true
					}
				}
				return false
			}
			if has(lightningv1alpha1.ConditionStalled) != tt.stalled || has(lightningv1alpha1.ConditionReconciling) != tt.reconcile {
				t.Errorf("stalled=%v reconciling=%v, want %v %v", has(lightningv1alpha1.ConditionStalled), has(lightningv1alpha1.ConditionReconciling), tt.stalled, tt.reconcile)
			}
			// Recomputing from the result changes nothing: no spurious status writes.
			if diff := cmp.Diff(st, DesiredStatus(st, tt.obs)); diff != "" {
				t.Errorf("status is not stable (-first +second):\n%s", diff)
			}
		})
	}
}

// A new leader whose KMS plugin is down cannot open the keyring: the app
// keeps running on its Secret, waiting, neither Failed nor Stalled.
func TestDesiredStatusWaitsForTheKMSPlugin(t *testing.T) {
	prev := DesiredStatus(lightningv1alpha1.LightningAppStatus{}, Observed{Generation: 3, Resolution: Resolution{Resolved: true},
		SecretName: "app-env-old", SecretsHash: "old", SecretCount: 1, Components: []lightningv1alpha1.ComponentStatus{{Name: "root", Deployment: "a-root", Ready: true}}})
	if prev.Phase != lightningv1alpha1.PhaseRunning {
		t.Fatalf("phase %s before, want Running", prev.Phase)
	}
	st := DesiredStatus(prev, Observed{Generation: 3, Resolution: Resolution{Reason: lightningv1alpha1.ReasonKMSUnavailable, Message: "The operator's keyring is unavailable"},
		Components: []lightningv1alpha1.ComponentStatus{{Name: "root", Deployment: "a-root", Ready: true}}})
	ready := meta.FindStatusCondition(st.Conditions, lightningv1alpha1.ConditionReady)
	if st.Phase != lightningv1alpha1.PhaseRunning || st.SecretName != "app-env-old" || ready == nil || ready.Reason != lightningv1alpha1.ReasonKMSUnavailable ||
		ready.Message != "The operator's keyring is unavailable; waiting for the KMS plugin, the app keeps running on its Secret app-env-old" {
		t.Fatalf("phase %s, secretName %q, Ready %+v", st.Phase, st.SecretName, ready)
	}
	if meta.FindStatusCondition(st.Conditions, lightningv1alpha1.ConditionStalled) != nil ||
		meta.FindStatusCondition(st.Conditions, lightningv1alpha1.ConditionReconciling) == nil {
		t.Errorf("conditions %+v, want Reconciling and no Stalled", st.Conditions)
	}
}

func TestDesiredStatusKeepsLastGoodSecretWhileUnresolved(t *testing.T) {
	prev := lightningv1alpha1.LightningAppStatus{SecretName: "app-env-old", SecretsHash: "old", SecretCount: 1}
	st := DesiredStatus(prev, Observed{Resolution: Resolution{Reason: "SecretNotReady", Message: "m"}})
	if st.SecretName != "app-env-old" {
		t.Errorf("secretName = %q; a failed resolution must keep the last good Secret", st.SecretName)
	}
}

func TestDeploymentReady(t *testing.T) {
	d := func(gen, observed int64, replicas, updated, available int32) *appsv1.Deployment {
		return &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Generation: gen},
			Spec:       appsv1.DeploymentSpec{Replicas: ptr.To[int32](1)},
			Status:     appsv1.DeploymentStatus{ObservedGeneration: observed, Replicas: replicas, UpdatedReplicas: updated, AvailableReplicas: available},
		}
	}
	tests := []struct {
		name string
		d    *appsv1.Deployment
		want bool
	}{
		{"available", d(2, 2, 1, 1, 1), true},
		{"not observed", d(3, 2, 1, 1, 1), false},
		{"rolling", d(2, 2, 2, 1, 1), false},
		{"unavailable", d(2, 2, 1, 1, 0), false},
		{"missing", nil, false},
	}
	for _, tt := range tests {
		if got := DeploymentReady(tt.d); got != tt.want {
			t.Errorf("%s: DeploymentReady = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSameRefsAndHoldsRefs(t *testing.T) {
	spec := []lightningv1alpha1.SecretEnvVar{{Name: "A", SecretRef: "a"}, {Name: "B", SecretRef: "b"}}
	v := func(name, ref, version string) lightningv1alpha1.SecretVersion {
		return lightningv1alpha1.SecretVersion{Name: name, SecretRef: ref, Version: version}
	}
	tests := []struct {
		name        string
		status      []lightningv1alpha1.SecretVersion
		same, holds bool
	}{
		{"equal, versions ignored", []lightningv1alpha1.SecretVersion{v("A", "a", "1"), v("B", "b", "2")}, true, true},
		{"other order", []lightningv1alpha1.SecretVersion{v("B", "b", "2"), v("A", "a", "1")}, false, true},
		{"one more in status", []lightningv1alpha1.SecretVersion{v("A", "a", "1"), v("B", "b", "2"), v("C", "c", "3")}, false, true},
		{"one missing in status", []lightningv1alpha1.SecretVersion{v("A", "a", "1")}, false, false},
		{"another ref for a name", []lightningv1alpha1.SecretVersion{v("A", "a", "1"), v("B", "x", "2")}, false, false},
		{"empty status", nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SameRefs(spec, tt.status); got != tt.same {
				t.Errorf("SameRefs = %v, want %v", got, tt.same)
			}
			if got := HoldsRefs(tt.status, spec); got != tt.holds {
				t.Errorf("HoldsRefs = %v, want %v", got, tt.holds)
			}
		})
	}
	if !SameRefs(nil, nil) || !HoldsRefs(nil, nil) {
		t.Error("no refs are the same as no refs")
	}
}

func TestSecretVersions(t *testing.T) {
	got := SecretVersions([]ResolvedRef{{EnvName: "A", SecretRef: "a", Version: "1"}})
	want := []lightningv1alpha1.SecretVersion{{Name: "A", SecretRef: "a", Version: "1"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SecretVersions (-want +got):\n%s", diff)
	}
	if SecretVersions(nil) != nil {
		t.Error("no refs give a non-nil list")
	}
}

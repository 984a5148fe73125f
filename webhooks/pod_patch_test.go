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

package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	jsonpatchapply "github.com/evanphx/json-patch/v5"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

// applyPatch applies a patch to the JSON of pod, as the apiserver does, and
// decodes the result.
func applyPatch(t *testing.T, pod *corev1.Pod, patch any) *corev1.Pod {
	t.Helper()
	raw, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	patchJSON, ok := patch.([]byte)
	if !ok {
		if patchJSON, err = json.Marshal(patch); err != nil {
			t.Fatal(err)
		}
	}
	decoded, err := jsonpatchapply.DecodePatch(patchJSON)
	if err != nil {
		t.Fatalf("decoding patch %s: %v", patchJSON, err)
	}
	out, err := decoded.Apply(raw)
	if err != nil {
		t.Fatalf("applying patch %s: %v", patchJSON, err)
	}
	got := &corev1.Pod{}
	if err := json.Unmarshal(out, got); err != nil {
		t.Fatal(err)
	}
	return got
}

// sameJSON compares two pods as the apiserver would store them.
func sameJSON(t *testing.T, a, b *corev1.Pod) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	var va, vb any
	if err := json.Unmarshal(ja, &va); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(jb, &vb); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(va, vb)
}

func TestPodPatch(t *testing.T) {
	const secretV2 = "my-app-env-9876543210"
	app := newApp(withEnv("FOO", "bar"), withSecrets(secretV1, "TOKEN", "DB_PASSWORD"))
	rotated := newApp(withEnv("FOO", "bar"), withSecrets(secretV2, "TOKEN", "DB_PASSWORD"))

	cases := []struct {
		name    string
		pod     *corev1.Pod
		app     *lightningv1alpha1.LightningApp
		wantOps int
	}{
		{"no annotations, containers with and without env", newPod(
			withInitContainers(container("init")),
			withContainers(container("flow", plain("OWN", "1")), container("sidecar"))), app, 4},
		{"existing annotations are kept", newPod(withAnnotations("team", "ml"),
			withContainers(container("flow"))), app, 2},
		{"an env name the container sets is left alone", newPod(
			withContainers(container("flow", plain("FOO", "mine")))), app, 2},
		{"reinvocation: nothing to add", mutatePod(newPod(withContainers(container("flow"), container("work"))), app, flow(app)), app, 0},
		{"rotation moves earlier secretKeyRefs to the new Secret", mutatePod(newPod(withContainers(container("flow"))), app, flow(app)), rotated, 2},
		{"an app with no env or secrets: the identity", newPod(withContainers(container("flow", plain("OWN", "1")))), newApp(), 2},
		{"50 secrets, 10 containers", benchmarkPod(), benchmarkApp(), 11},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			original := tc.pod.DeepCopy()
			defaulted := mutatePod(tc.pod, tc.app, flow(tc.app)).DeepCopy()
			patch, ok := podPatch(original, defaulted)
			if !ok {
				t.Fatal("podPatch fell back to the generic diff for a change of annotations and env only")
			}
			if len(patch) != tc.wantOps {
				t.Errorf("got %d operations, want %d: %v", len(patch), tc.wantOps, patch)
			}
			if !reflect.DeepEqual(original, tc.pod) {
				t.Error("podPatch modified the original pod")
			}
			if got := applyPatch(t, original, patch); !sameJSON(t, got, defaulted) {
				t.Errorf("the patched pod differs from the defaulted one:\npatch: %v", patch)
			}
		})
	}
}

func TestPodPatchFallsBackForOtherChanges(t *testing.T) {
	base := newPod(withAnnotations("team", "ml"), withContainers(container("flow", plain("OWN", "1"))))
	cases := map[string]func(p *corev1.Pod){
		"another field":             func(p *corev1.Pod) { p.Spec.NodeName = "node-1" },
		"another container field":   func(p *corev1.Pod) { p.Spec.Containers[0].Image = "other:2" },
		"a container added":         func(p *corev1.Pod) { p.Spec.Containers = append(p.Spec.Containers, container("sidecar")) },
		"an init container added":   func(p *corev1.Pod) { p.Spec.InitContainers = append(p.Spec.InitContainers, container("init")) },
		"annotations removed":       func(p *corev1.Pod) { p.Annotations = nil },
		"a container's env removed": func(p *corev1.Pod) { p.Spec.Containers[0].Env = nil },
		"a label changed, env added": func(p *corev1.Pod) {
			p.Labels["x"] = "y"
			p.Spec.Containers[0].Env = append(p.Spec.Containers[0].Env, plain("A", "b"))
		},
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			defaulted := base.DeepCopy()
			change(defaulted)
			if patch, ok := podPatch(base, defaulted); ok {
				t.Errorf("podPatch = %v, ok; want the generic diff", patch)
			}
		})
	}
}

// defaulterFunc adapts a function to admission.Defaulter[*corev1.Pod].
type defaulterFunc func(ctx context.Context, pod *corev1.Pod) error

func (f defaulterFunc) Default(ctx context.Context, pod *corev1.Pod) error { return f(ctx, pod) }

func podRequest(t *testing.T, op admissionv1.Operation, pod *corev1.Pod) admission.Request {
	t.Helper()
	raw, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID:       "test",
		Kind:      metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
		Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
		Namespace: "alice",
		Operation: op,
		Object:    runtime.RawExtension{Raw: raw},
	}}
}

func TestPodDefaulterWebhook(t *testing.T) {
	app := newApp(withEnv("FOO", "bar"), withSecrets(secretV1, "TOKEN"))
	pod := newPod(withContainers(container("flow"), container("work", plain("OWN", "1"))))
	inject := defaulterFunc(func(_ context.Context, p *corev1.Pod) error { *p = *mutatePod(p, app, flow(app)); return nil })

	cases := []struct {
		name        string
		defaulter   defaulterFunc
		req         admission.Request
		wantAllowed bool
		wantCode    int32
		wantMessage string
		wantPod     *corev1.Pod // the pod after the response's patch; nil: no patch
	}{
		{name: "injects through the targeted patch", defaulter: inject, req: podRequest(t, admissionv1.Create, pod),
			wantAllowed: true, wantCode: http.StatusOK, wantPod: mutatePod(pod, app, flow(app))},
		{name: "falls back to the generic diff for other changes",
			defaulter: func(ctx context.Context, p *corev1.Pod) error {
				p.Spec.Containers = append(p.Spec.Containers, container("sidecar"))
				return inject(ctx, p)
			},
			req: podRequest(t, admissionv1.Create, pod), wantAllowed: true, wantCode: http.StatusOK,
			wantPod: mutatePod(newPod(withContainers(container("flow"), container("work", plain("OWN", "1")), container("sidecar"))), app, flow(app))},
		{name: "no change, no patch", defaulter: inject, req: podRequest(t, admissionv1.Create, mutatePod(pod, app, flow(app))),
			wantAllowed: true, wantCode: http.StatusOK},
		{name: "a denial carries the defaulter's message",
			defaulter: func(context.Context, *corev1.Pod) error { return errors.New(`LightningApp "my-app" not found`) },
			req:       podRequest(t, admissionv1.Create, pod), wantCode: http.StatusForbidden, wantMessage: `LightningApp "my-app" not found`},
		{name: "an API status error keeps its code",
			defaulter: func(context.Context, *corev1.Pod) error {
				return apierrors.NewInternalError(errors.New("looking up LightningApp alice/my-app: timeout"))
			},
			req: podRequest(t, admissionv1.Create, pod), wantCode: http.StatusInternalServerError, wantMessage: "timeout"},
		{name: "DELETE is admitted untouched",
			defaulter: func(context.Context, *corev1.Pod) error { return errors.New("must not be called") },
			req:       podRequest(t, admissionv1.Delete, pod), wantAllowed: true, wantCode: http.StatusOK},
		{name: "a malformed pod is a bad request",
			defaulter: inject,
			req: admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{Operation: admissionv1.Create,
				Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, Object: runtime.RawExtension{Raw: []byte(`{"spec":`)}}},
			wantCode: http.StatusBadRequest, wantMessage: "decoding the pod"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wh := NewPodDefaulterWebhook(clientgoscheme.Scheme, tc.defaulter)
			resp := wh.Handle(context.Background(), tc.req)
			if resp.Allowed != tc.wantAllowed {
				t.Fatalf("allowed = %v, want %v (%+v)", resp.Allowed, tc.wantAllowed, resp.Result)
			}
			if resp.Result == nil || resp.Result.Code != tc.wantCode {
				t.Errorf("result = %+v, want code %d", resp.Result, tc.wantCode)
			}
			if tc.wantMessage != "" && (resp.Result == nil || !strings.Contains(resp.Result.Message, tc.wantMessage)) {
				t.Errorf("result = %+v, want a message containing %q", resp.Result, tc.wantMessage)
			}
			if err := resp.Complete(tc.req); err != nil {
				t.Fatal(err)
			}
			if tc.wantPod == nil {
				if len(resp.Patch) != 0 || resp.PatchType != nil {
					t.Errorf("unexpected patch %s", resp.Patch)
				}
				return
			}
			if len(resp.Patch) == 0 || resp.PatchType == nil || *resp.PatchType != admissionv1.PatchTypeJSONPatch {
				t.Fatalf("no JSON patch: %s", resp.Patch)
			}
			original := &corev1.Pod{}
			if err := json.Unmarshal(tc.req.Object.Raw, original); err != nil {
				t.Fatal(err)
			}
			if got := applyPatch(t, original, resp.Patch); !sameJSON(t, got, tc.wantPod) {
				t.Errorf("the patched pod differs from the expected one; patch: %s", resp.Patch)
			}
		})
	}
}

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
	"fmt"
	"maps"
	"net/http"
	"reflect"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// NewPodDefaulterWebhook serves a Defaulter[*corev1.Pod] as
// admission.WithDefaulter does (same decoding, denials and responses), but
// builds the JSON patch from the two fields the pod defaulter changes: the
// annotations and each container's env. controller-runtime instead marshals
// the whole defaulted pod and diffs it against the request, which is 99 % of
// the request's cost for a pod with many env entries (docs/webhook.md,
// "Performance"). When the defaulter changed anything else, it falls back to
// that generic diff, so the patch is always complete.
func NewPodDefaulterWebhook(scheme *runtime.Scheme, defaulter admission.Defaulter[*corev1.Pod]) *admission.Webhook {
	return &admission.Webhook{Handler: &podDefaulterHandler{
		defaulter: defaulter,
		decoder:   admission.NewDecoder(scheme),
	}}
}

type podDefaulterHandler struct {
	defaulter admission.Defaulter[*corev1.Pod]
	decoder   admission.Decoder
}

func (h *podDefaulterHandler) Handle(ctx context.Context, req admission.Request) admission.Response {
	if req.Operation == admissionv1.Delete {
		return admission.Allowed("")
	}
	ctx = admission.NewContextWithRequest(ctx, req)

	pod := &corev1.Pod{}
	if err := h.decoder.Decode(req, pod); err != nil {
		return admission.Errored(http.StatusBadRequest, fmt.Errorf("decoding the pod: %w", err))
	}
	original := pod.DeepCopy()
	if err := h.defaulter.Default(ctx, pod); err != nil {
		var apiStatus apierrors.APIStatus
		if errors.As(err, &apiStatus) {
			status := apiStatus.Status()
			return admission.Response{AdmissionResponse: admissionv1.AdmissionResponse{Allowed: false, Result: &status}}
		}
		return admission.Denied(err.Error())
	}

	patch, ok := podPatch(original, pod)
	if !ok {
		marshalled, err := json.Marshal(pod)
		if err != nil {
			return admission.Errored(http.StatusInternalServerError, fmt.Errorf("encoding the pod: %w", err))
		}
		return admission.PatchResponseFromRaw(req.Object.Raw, marshalled)
	}
	resp := admission.Allowed("")
	if len(patch) == 0 {
		return resp
	}
	// Encoded here in one pass: jsonpatch.Operation's MarshalJSON would
	// encode every value twice (marshal, then compact).
	encoded, err := json.Marshal(patch)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("encoding the patch: %w", err))
	}
	patchType := admissionv1.PatchTypeJSONPatch
	resp.Patch, resp.PatchType = encoded, &patchType
	return resp
}

// patchOperation is one RFC 6902 operation.
type patchOperation struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// podPatch returns the JSON patch that turns original into defaulted when
// they differ only in metadata.annotations and in the env of containers and
// init containers: one operation per changed field, replacing it whole.
// ok is false when anything else differs; the caller then diffs the whole
// pod. Neither pod is modified. It exists for speed: BenchmarkPodWebhookHandler
// in bench_test.go runs Handle (this patch) against Handle-generic-defaulter
// (controller-runtime's whole-pod diff).
func podPatch(original, defaulted *corev1.Pod) (patch []patchOperation, ok bool) {
	if len(original.Spec.InitContainers) != len(defaulted.Spec.InitContainers) ||
		len(original.Spec.Containers) != len(defaulted.Spec.Containers) {
		return nil, false
	}

	// The defaulted pod with the original's annotations and env must equal
	// the original: then those fields are all that changed.
	rest := *defaulted
	rest.Annotations = original.Annotations
	if !maps.Equal(original.Annotations, defaulted.Annotations) {
		if len(defaulted.Annotations) == 0 {
			return nil, false // a removal; never done by the pod defaulter
		}
		patch = append(patch, patchOperation{"add", "/metadata/annotations", defaulted.Annotations})
	}
	var fieldOK bool
	if rest.Spec.InitContainers, patch, fieldOK = envPatch("initContainers", original.Spec.InitContainers, defaulted.Spec.InitContainers, patch); !fieldOK {
		return nil, false
	}
	if rest.Spec.Containers, patch, fieldOK = envPatch("containers", original.Spec.Containers, defaulted.Spec.Containers, patch); !fieldOK {
		return nil, false
	}
	if !reflect.DeepEqual(original, &rest) {
		return nil, false
	}
	return patch, true
}

// envPatch appends an "add" of the whole env (which replaces an existing
// one) for each container whose env changed, and returns the containers
// with their original env, for the caller's equality check.
func envPatch(field string, original, defaulted []corev1.Container, patch []patchOperation) ([]corev1.Container, []patchOperation, bool) {
	if len(defaulted) == 0 {
		return defaulted, patch, true
	}
	restored := make([]corev1.Container, len(defaulted))
	for i := range defaulted {
		restored[i] = defaulted[i]
		restored[i].Env = original[i].Env
		if reflect.DeepEqual(original[i].Env, defaulted[i].Env) {
			continue
		}
		if len(defaulted[i].Env) == 0 {
			return nil, nil, false // a removal; never done by the pod defaulter
		}
		patch = append(patch, patchOperation{"add", fmt.Sprintf("/spec/%s/%d/env", field, i), defaulted[i].Env})
	}
	return restored, patch, true
}

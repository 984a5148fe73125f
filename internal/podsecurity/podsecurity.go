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

// Package podsecurity judges a pod template by the Pod Security Standards
// with upstream's own evaluator (k8s.io/pod-security-admission), the one the
// apiserver's PodSecurity admission runs, so our verdicts and the
// apiserver's agree.
package podsecurity

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"
	psapolicy "k8s.io/pod-security-admission/policy"
)

// evaluator holds upstream's checks; building it validates them, so it is
// made once.
var evaluator = mustEvaluator()

func mustEvaluator() psapolicy.Evaluator {
	e, err := psapolicy.NewEvaluator(psapolicy.DefaultChecks(), nil)
	if err != nil {
		// Upstream's own checks are invalid: a build of a broken module.
		panic(fmt.Sprintf("pod-security-admission's default checks: %v", err))
	}
	return e
}

// Violations lists what in the pod breaks the level's standard (latest
// version), each as upstream words it: the check and the fields it names.
// Empty means it meets the level.
func Violations(level psaapi.Level, meta *metav1.ObjectMeta, spec *corev1.PodSpec) []string {
	var out []string
	for _, r := range evaluator.EvaluatePod(psaapi.LevelVersion{Level: level, Version: psaapi.LatestVersion()}, meta, spec) {
		if !r.Allowed {
			out = append(out, r.ForbiddenReason+" ("+r.ForbiddenDetail+")")
		}
	}
	return out
}

// Summary joins violations into one line.
func Summary(violations []string) string { return strings.Join(violations, "; ") }

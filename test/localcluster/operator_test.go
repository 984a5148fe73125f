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

package localcluster

import (
	"slices"
	"testing"
)

// The metrics are off unless a port is given, and then only on 127.0.0.1,
// served as the bundle serves them (no --metrics-secure=false).
func TestOperatorMetricsArgs(t *testing.T) {
	for _, tt := range []struct {
		port int
		want string
	}{
		{0, "--metrics-bind-address=0"},
		{18443, "--metrics-bind-address=127.0.0.1:18443"},
	} {
		args := Operator{MetricsPort: tt.port}.Args()
		if !slices.Contains(args, tt.want) {
			t.Errorf("port %d: %v, want %s", tt.port, args, tt.want)
		}
		if slices.Contains(args, "--metrics-secure=false") {
			t.Errorf("port %d: the metrics are served insecure: %v", tt.port, args)
		}
	}
}

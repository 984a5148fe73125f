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

package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCompleteArgs(t *testing.T) {
	tests := []struct {
		args, want []string
	}{
		{args: []string{"__complete", "list", ""}, want: []string{"__complete", "list", ""}},
		{args: []string{"__completeNoDesc", "list", ""}, want: []string{"__completeNoDesc", "list", ""}},
		{args: []string{"list", ""}, want: []string{"__complete", "list", ""}},
		{args: nil, want: []string{"__complete"}},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, completeArgs(tc.args)); diff != "" {
			t.Errorf("completeArgs(%q) (-want +got):\n%s", tc.args, diff)
		}
	}
}

// TestRun completes as kubectl asks: the commands of kubectl lightning,
// and nothing but the error directive when the cluster is out of reach.
func TestRun(t *testing.T) {
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "missing"))
	tests := []struct {
		name  string
		args  []string
		want  []string
		stdio string
	}{
		{
			name: "subcommands",
			args: []string{"__complete", "stop", ""},
			want: []string{"app\tScale every component of an app to zero, keeping its secrets (spec.stopped: true)", ":4"},
		},
		{
			name: "no __complete",
			args: []string{"list", "a"},
			want: []string{"apps\tList Lightning Apps: their phase, readiness and secrets", ":4"},
		},
		{
			name: "a cluster that is not there",
			args: []string{"__complete", "stop", "app", "--server", "https://127.0.0.1:1", ""},
			want: []string{":1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), tc.args, strings.NewReader(""), &out, &errOut)
			if code != 0 {
				t.Fatalf("exit %d, stderr %q", code, errOut.String())
			}
			if diff := cmp.Diff(tc.want, strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")); diff != "" {
				t.Errorf("candidates (-want +got):\n%s", diff)
			}
			if strings.Contains(errOut.String(), "error:") || strings.Contains(errOut.String(), "goroutine") {
				t.Errorf("stderr %q", errOut.String())
			}
		})
	}
}

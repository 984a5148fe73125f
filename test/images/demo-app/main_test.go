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
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReport(t *testing.T) {
	for _, tc := range []struct {
		name           string
		env            map[string]string
		secrets, plain []string
		want, wantErr  string
	}{{
		name:    "a work with a secret and a plain value",
		env:     map[string]string{"HOSTNAME": "pod-1", "LIGHTNING_CLOUD_APP_ID": "a", "LIGHTNING_CLOUD_WORK_NAME": "work_a", "TOKEN": "test", "FOO": "bar=baz"},
		secrets: []string{"TOKEN"}, plain: []string{"FOO"},
		want: "component=root.work_a pod=pod-1\n" +
			"secret TOKEN sha256=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n" +
			"env FOO=bar=baz\nready: 1 secret, 1 env; running until stopped\n",
	}, {
		name:    "the flow, with an empty secret",
		env:     map[string]string{"HOSTNAME": "pod-2", "LIGHTNING_CLOUD_APP_ID": "a", "TOKEN": ""},
		secrets: []string{"TOKEN"},
		want: "component=root pod=pod-2\n" +
			"secret TOKEN sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n" +
			"ready: 1 secret, 0 env; running until stopped\n",
	}, {
		name:    "missing variables are all named",
		env:     map[string]string{"HOSTNAME": "pod-3"},
		secrets: []string{"TOKEN", "OTHER"}, plain: []string{"FOO"},
		want:    "component=unknown (no LIGHTNING_CLOUD_* identity in the env) pod=pod-3\n",
		wantErr: "missing env TOKEN, OTHER, FOO",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			lookup := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			err := report(&out, lookup, tc.secrets, tc.plain)
			if gotErr := errString(err); gotErr != tc.wantErr {
				t.Errorf("error = %q, want %q", gotErr, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, out.String()); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			for _, name := range tc.secrets {
				if v := tc.env[name]; v != "" && strings.Contains(out.String(), v) {
					t.Errorf("the value of secret %s was printed", name)
				}
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

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

package cmdutil

import (
	"strings"
	"testing"
)

func TestValidateSecretName(t *testing.T) {
	tests := []struct {
		name, wantSuggestion string
		valid                bool
	}{
		{name: "my-secret", valid: true},
		{name: "a", valid: true},
		{name: "my.secret.v2", valid: true},
		{name: strings.Repeat("a", 253), valid: true},
		{name: ""},
		{name: "github_api_token", wantSuggestion: "github-api-token"},
		{name: "MySecret", wantSuggestion: "mysecret"},
		{name: "my__secret", wantSuggestion: "my-secret"},
		{name: "a_b.c_d", wantSuggestion: "a-b.c-d"},
		{name: "-lead", wantSuggestion: "lead"},
		{name: ".lead", wantSuggestion: "lead"},
		{name: "9lives"},
		{name: "0"},
		{name: "ä"},
		{name: strings.Repeat("a", 254)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateSecretName(tc.name)
			if tc.valid {
				if err != nil {
					t.Fatalf("ValidateSecretName(%q) = %v, want nil", tc.name, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidateSecretName(%q) = nil, want an error", tc.name)
			}
			_, suggestion := CheckSecretName(tc.name)
			if tc.name == "" {
				suggestion = ""
			}
			if suggestion != tc.wantSuggestion {
				t.Errorf("suggestion = %q, want %q", suggestion, tc.wantSuggestion)
			}
			if tc.wantSuggestion != "" {
				if !strings.HasSuffix(err.Error(), `did you mean "`+tc.wantSuggestion+`"?`) {
					t.Errorf("error %q does not suggest %q", err, tc.wantSuggestion)
				}
				if ValidateSecretName(tc.wantSuggestion) != nil {
					t.Errorf("suggestion %q is not valid itself", tc.wantSuggestion)
				}
			}
		})
	}
}

func TestShow(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"héllo ✓", "héllo ✓"},
		{"a\nb\r\tc", `a\nb\r\tc`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"line\u2028sep", `line\u2028sep`},
		{strings.Repeat("x", MaxShown+1), strings.Repeat("x", MaxShown) + "…"},
		{strings.Repeat("x", MaxShown), strings.Repeat("x", MaxShown)},
	}
	for _, tc := range tests {
		if got := Show(tc.in); got != tc.want {
			t.Errorf("Show(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

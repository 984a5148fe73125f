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

package secret

import "testing"

func TestTrimNewline(t *testing.T) {
	tests := []struct{ in, want string }{
		{"token", "token"},
		{"token\n", "token"},
		{"token\r\n", "token"},
		{"token\n\n", "token\n"},
		{"token\r", "token\r"},
		{"\n", ""},
	}
	for _, tc := range tests {
		if got := string(trimNewline([]byte(tc.in))); got != tc.want {
			t.Errorf("trimNewline(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

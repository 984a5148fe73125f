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

package kmsimage

import (
	"slices"
	"strings"
	"testing"
)

func TestParseLDD(t *testing.T) {
	for _, c := range []struct {
		name, out string
		want      []string
		err       string
	}{
		{
			name: "libraries and the loader, not the vDSO",
			out: "\tlinux-vdso.so.1 (0x00007ffd)\n" +
				"\tlibcrypto.so.3 => /lib/x86_64-linux-gnu/libcrypto.so.3 (0x00007fa9)\n" +
				"\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007fa8)\n" +
				"\t/lib64/ld-linux-x86-64.so.2 (0x00007fa7)\n",
			want: []string{"/lib/x86_64-linux-gnu/libcrypto.so.3", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"},
		},
		{
			name: "a missing library",
			out:  "\tlibsqlite3.so.0 => not found\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007fa8)\n",
			err:  "a library is missing: \tlibsqlite3.so.0 => not found",
		},
		{
			name: "a line it cannot read",
			out:  "\tstatically linked\n",
			err:  `cannot read the line "\tstatically linked"`,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseLDD([]byte(c.out))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want one with %q", err, c.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, c.want) {
				t.Fatalf("parseLDD = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

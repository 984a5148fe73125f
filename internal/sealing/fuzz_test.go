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

package sealing

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParseEnvelope: the parser never panics, accepts only canonical text
// (String gives the input back), and fails with one-line typed errors that
// do not echo the input.
func FuzzParseEnvelope(f *testing.F) {
	g, _ := loadGolden(f)
	for _, v := range g.Vectors {
		f.Add(v.Envelope)
	}
	f.Add("")
	f.Add("v1:0123456789abcdef:")
	f.Fuzz(func(t *testing.T, s string) {
		env, err := ParseEnvelope(s)
		if err != nil {
			switch Reason(err) {
			case "Malformed":
			case "UnknownVersion":
				if env.Version == "" || env.KeyIDs != nil || env.Ciphertext != nil {
					t.Fatalf("unknown version returned %+v", env)
				}
			default:
				t.Fatalf("error %v has reason %q", err, Reason(err))
			}
			if msg := err.Error(); strings.ContainsAny(msg, "\r\n") || (len(s) > 40 && strings.Contains(msg, s)) {
				t.Fatalf("error %q is not one line or echoes the input", msg)
			}
			return
		}
		if env.String() != s {
			t.Fatalf("accepted non-canonical input")
		}
		valid := len(s) <= MaxOpenLength && len(env.KeyIDs) > 0
		for _, id := range env.KeyIDs {
			valid = valid && ValidKeyID(id)
		}
		switch env.Version {
		case Version:
			valid = valid && len(env.KeyIDs) == 1 && len(env.Ciphertext) >= overhead
		case VersionMulti:
			valid = valid && len(env.KeyIDs) <= MaxRecipients && len(env.Ciphertext) >= nonceSize+len(env.KeyIDs)*stanzaSize+tagSize
		default:
			valid = false
		}
		if !valid {
			t.Fatalf("accepted invalid envelope %s:%v with %d bytes", env.Version, env.KeyIDs, len(env.Ciphertext))
		}
	})
}

// FuzzOpen: Open never panics, and nothing opens except what was sealed,
// under the scope it was sealed for.
func FuzzOpen(f *testing.F) {
	g, key := loadGolden(f)
	keys := keysOf(key)
	type sealed struct{ envelope, ns, name string }
	want := map[sealed][]byte{}
	for _, v := range g.Vectors {
		f.Add(v.Envelope, v.Namespace, v.Name)
		if v.WantReason == "" {
			want[sealed{v.Envelope, v.Namespace, v.Name}] = v.Plaintext
		}
	}
	f.Fuzz(func(t *testing.T, envelope, ns, name string) {
		got, err := Open(keys, Scope{Namespace: ns, Name: name}, envelope)
		if err != nil {
			if got != nil {
				t.Fatal("bytes returned with an error")
			}
			if Reason(err) == "" {
				t.Fatalf("error %v has no reason", err)
			}
			return
		}
		pt, ok := want[sealed{envelope, ns, name}]
		if !ok || !bytes.Equal(got, pt) {
			t.Fatalf("opened something that was never sealed for %s/%s", ns, name)
		}
	})
}

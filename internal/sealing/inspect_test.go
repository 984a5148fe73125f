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
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDescribe(t *testing.T) {
	a, b, c := mustKey(t), mustKey(t), mustKey(t)
	eight := []*PrivateKey{a, b, c}
	for len(eight) < MaxRecipients {
		eight = append(eight, mustKey(t))
	}
	ids := func(keys ...*PrivateKey) []string {
		var out []string
		for _, k := range keys {
			out = append(out, k.ID())
		}
		return out
	}
	v1 := mustSeal(t, a.Public(), testScope, []byte("hunter2"))
	v2 := mustSealTo(t, testScope, []byte("hunter2"), a, b, c)
	longest := mustSealTo(t, testScope, bytes.Repeat([]byte{1}, MaxPlaintextSize), eight...)
	older := sealUnchecked(t, []*PublicKey{a.Public()}, bytes.Repeat([]byte{1}, MaxPlaintextSize+1))
	tests := []struct {
		name     string
		envelope string
		want     Description
		wantErr  error
	}{
		{name: "v1", envelope: v1, want: Description{Version: "v1", KeyIDs: ids(a), EnvelopeSize: len(v1), ValueSize: 7}},
		{name: "v2, three recipients", envelope: v2, want: Description{Version: "v2", KeyIDs: ids(a, b, c), EnvelopeSize: len(v2), ValueSize: 7}},
		{name: "empty value", envelope: mustSealTo(t, testScope, nil, a), want: Description{Version: "v2", KeyIDs: ids(a), EnvelopeSize: 1616, ValueSize: 0}},
		{name: "the longest envelope", envelope: longest, want: Description{Version: "v2", KeyIDs: ids(eight...), EnvelopeSize: MaxEnvelopeLength, ValueSize: MaxPlaintextSize}},
		{name: "an older value over the limit", envelope: older, want: Description{Version: "v2", KeyIDs: ids(a), EnvelopeSize: len(older), ValueSize: MaxPlaintextSize + 1}},
		{name: "empty", envelope: "", wantErr: ErrMalformed},
		{name: "plaintext", envelope: "hunter2", wantErr: ErrMalformed},
		{name: "truncated", envelope: v2[:len(v2)-1], wantErr: ErrMalformed},
		{name: "one stanza short", envelope: "v2:" + strings.Join(ids(a, b), ",") + v1[19:], wantErr: ErrMalformed},
		{name: "unknown version", envelope: "v9:" + a.ID() + ":AAAA", wantErr: ErrUnknownVersion},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Describe(tc.envelope)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("Describe = %v, want error %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Describe (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzDescribe: Describe never panics, refuses what ParseEnvelope refuses,
// and never reports a negative size.
func FuzzDescribe(f *testing.F) {
	g, _ := loadGolden(f)
	for _, v := range g.Vectors {
		f.Add(v.Envelope)
	}
	f.Add("v2:0123456789abcdef:")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Describe(s)
		_, perr := ParseEnvelope(s)
		if (err == nil) != (perr == nil) {
			t.Fatalf("Describe error %v, ParseEnvelope error %v", err, perr)
		}
		if err != nil {
			return
		}
		if d.ValueSize < 0 || d.EnvelopeSize != len(s) || len(d.KeyIDs) == 0 {
			t.Fatalf("Describe = %+v", d)
		}
	})
}

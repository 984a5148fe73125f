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
	"crypto/hpke"
	"testing"
)

// The target (DESIGN §10): Open costs at most 1.2× the bare hpke.Open floor.

func benchSetup(b *testing.B) (*PrivateKey, string, []byte) {
	key := mustKey(b)
	pt := bytes.Repeat([]byte{'x'}, 64)
	env := mustSeal(b, key.Public(), testScope, pt)
	return key, env, pt
}

func BenchmarkOpen(b *testing.B) {
	key, env, _ := benchSetup(b)
	keys := keysOf(key)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Open(keys, testScope, env); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHPKEOpenFloor(b *testing.B) {
	key, env, _ := benchSetup(b)
	parsed, err := ParseEnvelope(env)
	if err != nil {
		b.Fatal(err)
	}
	info, err := testScope.info()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := hpke.Open(key.k, hpke.HKDFSHA256(), hpke.AES256GCM(), info, parsed.Ciphertext); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSeal(b *testing.B) {
	key, _, pt := benchSetup(b)
	pub := key.Public()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Seal(pub, testScope, pt); err != nil {
			b.Fatal(err)
		}
	}
}

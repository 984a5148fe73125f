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

// Description is what an envelope says without being opened.
type Description struct {
	// Version is v1 (one recipient) or v2 (one or more).
	Version string
	// KeyIDs are the recipients' key IDs, in the envelope's order.
	KeyIDs []string
	// EnvelopeSize is the envelope's length in bytes, as stored in
	// spec.encryptedValue.
	EnvelopeSize int
	// ValueSize is the length of the sealed value. AES-GCM keeps lengths,
	// so the envelope's length tells it to anyone; nothing else of the
	// value is known without a key.
	ValueSize int
}

// Describe says what envelope holds without opening it: its version, its
// recipients and its sizes. The namespace and name it is bound to are not in
// the text: they come from the LightningSecret's metadata when it is opened.
// It parses as strictly as Open does, so an envelope Describe refuses never
// opens; its errors are ParseEnvelope's, one line, never quoting the input.
func Describe(envelope string) (Description, error) {
	env, err := ParseEnvelope(envelope)
	if err != nil {
		return Description{}, err
	}
	d := Description{Version: env.Version, KeyIDs: env.KeyIDs, EnvelopeSize: len(envelope)}
	switch env.Version {
	case Version:
		d.ValueSize = len(env.Ciphertext) - overhead
	default: // VersionMulti: the parser checked the minimum length
		d.ValueSize = len(env.Ciphertext) - nonceSize - len(env.KeyIDs)*stanzaSize - tagSize
	}
	return d, nil
}

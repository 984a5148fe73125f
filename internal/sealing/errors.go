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

import "errors"

// Errors of sealing and opening, for errors.Is. The errors returned wrap one
// of them and say which key and what went wrong, in one line, with neither
// the value nor the ciphertext.
var (
	// ErrMalformed: the envelope text is not v<digits>:<key ID>:<base64>.
	ErrMalformed = errors.New("malformed sealed value")
	// ErrUnknownVersion: a well-formed envelope of a version we cannot read.
	ErrUnknownVersion = errors.New("unknown sealed value version")
	// ErrKeyNotFound: the keyring lacks the key the envelope names.
	ErrKeyNotFound = errors.New("sealing key not found")
	// ErrTampered: authentication failed, so the ciphertext was altered or it
	// was sealed for another scope.
	ErrTampered = errors.New("sealed value does not open")
	// ErrTooLarge: the value is longer than MaxPlaintextSize.
	ErrTooLarge = errors.New("value too large")
	// ErrInvalidScope: the namespace or name is empty or holds NUL; it cannot
	// come from a Kubernetes object.
	ErrInvalidScope = errors.New("invalid sealing scope")
)

// sealError carries a specific message while matching its kind.
type sealError struct {
	kind error
	msg  string
}

func (e *sealError) Error() string { return e.msg }
func (e *sealError) Unwrap() error { return e.kind }

func malformed(detail string) error {
	return &sealError{kind: ErrMalformed, msg: "malformed sealed value: " + detail}
}

// Reason maps an Open error to a condition reason: "Malformed",
// "UnknownVersion", "KeyNotFound", "Tampered" or "TooLarge", and "" for nil
// or an error not from this package (the caller knows its own).
func Reason(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrMalformed):
		return "Malformed"
	case errors.Is(err, ErrUnknownVersion):
		return "UnknownVersion"
	case errors.Is(err, ErrKeyNotFound):
		return "KeyNotFound"
	case errors.Is(err, ErrTampered):
		return "Tampered"
	case errors.Is(err, ErrTooLarge):
		return "TooLarge"
	case errors.Is(err, ErrInvalidScope):
		return "InvalidScope"
	default:
		return ""
	}
}

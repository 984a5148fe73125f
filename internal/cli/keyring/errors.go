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

package keyring

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// keyringError is an API error rewritten to name only the object: its
// message is ours, and errors.Is and As still reach the cause.
type keyringError struct {
	msg string
	err error
}

func (e *keyringError) Error() string { return e.msg }
func (e *keyringError) Unwrap() error { return e.err }

// readError explains a failed read of the keyring Secret. The request
// carried no keys, but a reply is not trusted to have none either: only
// the reason, and for a refusal by RBAC its own words, are shown.
func readError(key types.NamespacedName, err error) error {
	return redactAPIError(fmt.Sprintf("reading keyring Secret %s", key), err)
}

// writeError explains a failed create, update or delete of the keyring
// Secret. The apiserver's message for a conflict, an invalid object or a
// webhook's denial can quote the object, and so the keys: it is never shown.
func writeError(op string, key types.NamespacedName, err error) error {
	return redactAPIError(fmt.Sprintf("%s keyring Secret %s", op, key), err)
}

var rbacDenialRE = regexp.MustCompile(`^secrets "[a-z0-9.-]*" is forbidden: User "[^"\n]*" cannot [a-z]+ resource "secrets" in API group "" in the namespace "[a-z0-9-]*"$`)

func redactAPIError(what string, err error) error {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			// A transport error: method, URL and cause, no body.
			return &keyringError{msg: fmt.Sprintf("%s: %v", what, uerr), err: err}
		}
		return &keyringError{msg: what + " failed", err: err}
	}
	s := status.Status()
	reason := string(s.Reason)
	if reason == "" { // metav1.StatusReasonUnknown is ""
		reason = "Unknown"
	}
	var msg string
	switch {
	case apierrors.IsConflict(err):
		msg = fmt.Sprintf("%s: Conflict: it changed since it was read; nothing was restored, run the restore again", what)
	case apierrors.IsAlreadyExists(err):
		msg = fmt.Sprintf("%s: AlreadyExists: it was created meanwhile; nothing was restored, run the restore again", what)
	case apierrors.IsInvalid(err):
		msg = fmt.Sprintf("%s: the apiserver refused it as Invalid%s (its message is not shown: it may quote the keys)", what, invalidFields(s))
	case apierrors.IsForbidden(err) && rbacDenialRE.MatchString(s.Message):
		msg = fmt.Sprintf("%s: Forbidden: %s", what, s.Message)
	case apierrors.IsForbidden(err):
		msg = fmt.Sprintf("%s: Forbidden, by RBAC or an admission webhook or policy (its message is not shown: it may quote the keys)", what)
	case apierrors.IsUnauthorized(err):
		msg = fmt.Sprintf("%s: Unauthorized: the kubeconfig's credentials were not accepted", what)
	default:
		msg = fmt.Sprintf("%s: the apiserver answered %d %s (its message is not shown: it may quote the keys)", what, s.Code, reason)
	}
	return &keyringError{msg: msg, err: err}
}

var fieldPathRE = regexp.MustCompile(`^[A-Za-z0-9_.\[\]/-]{1,300}$`)

// invalidFields lists the fields an Invalid error names, when they are plain
// field paths (data[key-…] names an entry, never its value).
func invalidFields(s metav1.Status) string {
	if s.Details == nil {
		return ""
	}
	var fields []string
	for _, c := range s.Details.Causes {
		if fieldPathRE.MatchString(c.Field) && !slices.Contains(fields, c.Field) {
			fields = append(fields, c.Field)
		}
	}
	if len(fields) == 0 {
		return ""
	}
	return " (fields " + strings.Join(fields, ", ") + ")"
}

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
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
)

// TestKeyringAPIErrorsNameOnlyTheObject feeds the keyring commands' error
// rewriting every kind of apiserver error, each quoting key material the
// way an object echoed in a message would, and wants our words only.
func TestKeyringAPIErrorsNameOnlyTheObject(t *testing.T) {
	const leak = `{"privateKey":"c2VjcmV0LXNlZWQtb2YtdGhpcnR5LXR3by1ieXRlcyE="}`
	key := types.NamespacedName{Namespace: "lightning-system", Name: "lightning-operator-keyring"}
	secrets := schema.GroupResource{Resource: "secrets"}
	what := "updating keyring Secret lightning-system/lightning-operator-keyring"

	tests := []struct {
		name string
		err  error
		want string
	}{
		{
			name: "conflict",
			err:  apierrors.NewConflict(secrets, key.Name, errors.New("the object has been modified: "+leak)),
			want: what + ": Conflict: it changed since it was read; nothing was restored, run the restore again",
		},
		{
			name: "already exists",
			err:  apierrors.NewAlreadyExists(secrets, key.Name),
			want: what + ": AlreadyExists: it was created meanwhile; nothing was restored, run the restore again",
		},
		{
			name: "invalid, naming a data field and quoting its value",
			err: apierrors.NewInvalid(schema.GroupKind{Kind: "Secret"}, key.Name, field.ErrorList{
				field.Invalid(field.NewPath("data").Key("key-0123456789abcdef"), leak, "bad"),
				field.Invalid(field.NewPath("data").Key(leak), leak, "a bad name is not shown"),
			}),
			want: what + ": the apiserver refused it as Invalid (fields data[key-0123456789abcdef]) (its message is not shown: it may quote the keys)",
		},
		{
			name: "forbidden by RBAC: its own words",
			err: apierrors.NewForbidden(secrets, key.Name, errors.New(
				`User "alice" cannot update resource "secrets" in API group "" in the namespace "lightning-system"`)),
			want: what + `: Forbidden: secrets "lightning-operator-keyring" is forbidden: User "alice" cannot update resource "secrets" in API group "" in the namespace "lightning-system"`,
		},
		{
			name: "forbidden by a webhook quoting the object",
			err:  apierrors.NewForbidden(secrets, key.Name, errors.New(`admission webhook "w" denied the request: `+leak)),
			want: what + ": Forbidden, by RBAC or an admission webhook or policy (its message is not shown: it may quote the keys)",
		},
		{
			name: "forbidden, an RBAC lookalike that quotes the object",
			err:  apierrors.NewForbidden(secrets, key.Name, errors.New(`User "`+leak+`" cannot update resource "secrets" in API group "" in the namespace "x"`)),
			want: what + ": Forbidden, by RBAC or an admission webhook or policy (its message is not shown: it may quote the keys)",
		},
		{
			name: "unauthorized",
			err:  apierrors.NewUnauthorized(leak),
			want: what + ": Unauthorized: the kubeconfig's credentials were not accepted",
		},
		{
			name: "internal error",
			err:  apierrors.NewInternalError(errors.New(leak)),
			want: what + ": the apiserver answered 500 InternalError (its message is not shown: it may quote the keys)",
		},
		{
			name: "a status without a reason",
			err:  &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: 418, Message: leak}},
			want: what + ": the apiserver answered 418 Unknown (its message is not shown: it may quote the keys)",
		},
		{
			name: "a transport error",
			err:  &url.Error{Op: "Put", URL: "https://127.0.0.1:6443/api/v1/namespaces/lightning-system/secrets/lightning-operator-keyring", Err: errors.New("connection refused")},
			want: what + `: Put "https://127.0.0.1:6443/api/v1/namespaces/lightning-system/secrets/lightning-operator-keyring": connection refused`,
		},
		{
			name: "anything else",
			err:  fmt.Errorf("decoding %s: %w", leak, errors.New("bad")),
			want: what + " failed",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := writeError("updating", key, tc.err)
			if diff := cmp.Diff(tc.want, got.Error()); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
			if strings.Contains(got.Error(), "c2VjcmV0") {
				t.Errorf("the message holds the quoted material")
			}
			if !errors.Is(got, tc.err) {
				t.Errorf("errors.Is no longer reaches the cause")
			}
		})
	}

	t.Run("an interrupted request still reads as interrupted", func(t *testing.T) {
		err := writeError("updating", key, fmt.Errorf("put: %w", context.Canceled))
		if got := cmdutil.OneLine(err); got != "interrupted" {
			t.Errorf("oneLine = %q, want interrupted", got)
		}
	})
}

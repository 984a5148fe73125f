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

package limits_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/limits"
)

// The figures the docs quote; a change here is a change of the documented limits.
func TestFigures(t *testing.T) {
	got := map[string]int{
		"MaxArgStrlen": limits.MaxArgStrlen,
		"MaxValue":     limits.MaxValue,
		"ArgMax":       limits.ArgMax,
		"EnvReserve":   limits.EnvReserve,
		"EnvBudget":    limits.EnvBudget,
		"IdentityEnv":  limits.IdentityEnv,
		"SecretData":   limits.SecretData,
		"EtcdRequest":  limits.EtcdRequest,
	}
	want := map[string]int{
		"MaxArgStrlen": 131072,
		"MaxValue":     131069,
		"ArgMax":       2097152,
		"EnvReserve":   524288,
		"EnvBudget":    1572864,
		"IdentityEnv":  1024,
		"SecretData":   1048576,
		"EtcdRequest":  1572864,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("limits (-want +got):\n%s", diff)
	}
	if limits.SecretData != corev1.MaxSecretSize {
		t.Errorf("SecretData = %d, want corev1.MaxSecretSize = %d", limits.SecretData, corev1.MaxSecretSize)
	}
	// The identity variables at their longest fit IdentityEnv.
	identity := limits.EnvStringSize(lightningv1alpha1.EnvAppID, 253) + limits.EnvStringSize(lightningv1alpha1.EnvProjectID, 63) +
		limits.EnvStringSize(lightningv1alpha1.EnvWorkName, 253) + 3*limits.PointerSize
	if identity > limits.IdentityEnv {
		t.Errorf("the identity env takes up to %d bytes, more than IdentityEnv = %d", identity, limits.IdentityEnv)
	}
	// Eight values at the limit, under one-letter names, fill one Secret.
	if 8*limits.MaxValue > limits.SecretData {
		t.Errorf("8 values of %d bytes do not fit a Secret's %d", limits.MaxValue, limits.SecretData)
	}
}

func TestReasonsAreTheAPIs(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{errors.New("other"), ""},
		{limits.CheckValue([]byte{0}), lightningv1alpha1.ReasonValueHasNUL},
		{limits.TooLong(limits.MaxValue + 1), lightningv1alpha1.ReasonValueTooLong},
		{limits.CheckEnv(make([]limits.Var, 200000)), lightningv1alpha1.ReasonEnvTooLarge},
	} {
		if got := limits.Reason(tc.err); got != tc.want {
			t.Errorf("Reason(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// canary is what a value holds around its NUL or its length: no message may quote it.
const canary = "CANARY-9f1c"

func value(n int) []byte { return bytes.Repeat([]byte("v"), n) }

func withCanary(n int, nul bool) []byte {
	b := value(n)
	copy(b, canary)
	if nul {
		b[len(b)-1] = 0
	}
	return b
}

func TestCheckValue(t *testing.T) {
	tooLong := func(n string) string {
		return "the value is " + n + " bytes, more than the 131069 an environment variable can carry: " +
			"Linux passes at most 131072 bytes (MAX_ARG_STRLEN) for NAME=value and its NUL, so 131069 under a one-character name"
	}
	tests := []struct {
		name    string
		value   []byte
		wantErr string
		kind    error
	}{
		{name: "empty", value: nil},
		{name: "one byte", value: []byte("x")},
		{name: "every byte but NUL", value: func() []byte {
			b := make([]byte, 255)
			for i := range b {
				b[i] = byte(i + 1)
			}
			return b
		}()},
		{name: "newlines, tabs and unicode", value: []byte("-----BEGIN KEY-----\n\tkey ✓\n-----END KEY-----\n")},
		{name: "at the limit", value: withCanary(limits.MaxValue, false)},
		{name: "one byte over", value: withCanary(limits.MaxValue+1, false), wantErr: tooLong("131070"), kind: limits.ErrValueTooLong},
		{name: "a Secret's 1 MiB", value: withCanary(1<<20, false), wantErr: tooLong("1048576"), kind: limits.ErrValueTooLong},
		{name: "NUL alone", value: []byte{0}, kind: limits.ErrValueHasNUL,
			wantErr: "the 1-byte value holds a NUL byte, which an environment variable cannot carry: each NAME=value string ends at its first NUL"},
		{name: "NUL inside", value: []byte(canary + "\x00after"), kind: limits.ErrValueHasNUL,
			wantErr: "the 17-byte value holds a NUL byte, which an environment variable cannot carry: each NAME=value string ends at its first NUL"},
		{name: "NUL in a value too long: NUL is named", value: withCanary(limits.MaxValue+1, true), kind: limits.ErrValueHasNUL,
			wantErr: "the 131070-byte value holds a NUL byte, which an environment variable cannot carry: each NAME=value string ends at its first NUL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := limits.CheckValue(tc.value)
			checkErr(t, err, tc.wantErr, tc.kind)
		})
	}
}

func TestCheckEnv(t *testing.T) {
	secret := func(name string, v []byte) limits.Var {
		return limits.Var{Name: name, Value: v, Secret: "s-" + strings.ToLower(name)}
	}
	plain := func(name string, v []byte) limits.Var { return limits.Var{Name: name, Value: v} }
	// Eight values at the limit under one-letter names: 8 * (131072 + 8) + 1024.
	full := func() []limits.Var {
		var vars []limits.Var
		for _, n := range []string{"A", "B", "C", "D", "E", "F", "G", "H"} {
			vars = append(vars, secret(n, withCanary(limits.MaxValue, false)))
		}
		return vars
	}
	// What is left of the budget after full(): 1572864 - 1024 - 1048640 =
	// 523200 bytes, as 16 plain values of 32687 bytes under P00…P15 (each
	// takes 3+1+32687+1+8 = 32700), and extra bytes more.
	filler := func(extra int) []limits.Var {
		var vars []limits.Var
		for i := range 16 {
			vars = append(vars, plain(fmt.Sprintf("P%02d", i), value(32687)))
		}
		vars[0].Value = value(32687 + extra)
		return vars
	}
	tests := []struct {
		name    string
		vars    []limits.Var
		wantErr string
		kind    error
	}{
		{name: "none"},
		{name: "plain and secret", vars: []limits.Var{plain("FOO", []byte("bar")), secret("TOKEN", []byte(canary))}},
		{name: "empty values", vars: []limits.Var{plain("EMPTY", nil), secret("ALSO_EMPTY", []byte{})}},
		{name: "the longest value under a one-letter name", vars: []limits.Var{secret("V", withCanary(limits.MaxValue, false))}},
		{name: "the longest value under a two-letter name", vars: []limits.Var{secret("AB", withCanary(limits.MaxValue-1, false))}},
		{name: "one byte more under a two-letter name", vars: []limits.Var{secret("AB", withCanary(limits.MaxValue, false))},
			kind: limits.ErrValueTooLong,
			wantErr: "env var AB (from LightningSecret 's-ab'): AB=value is 131073 bytes with its NUL, more than the 131072 Linux passes in one " +
				"environment string (MAX_ARG_STRLEN); under this name the value may be at most 131068 bytes, it is 131069"},
		{name: "a long name", vars: []limits.Var{plain("FOO", []byte("bar")), secret("BIG_VALUE", withCanary(limits.MaxValue, false))},
			kind: limits.ErrValueTooLong,
			wantErr: "env var BIG_VALUE (from LightningSecret 's-big_value'): BIG_VALUE=value is 131080 bytes with its NUL, more than the 131072 Linux passes in one " +
				"environment string (MAX_ARG_STRLEN); under this name the value may be at most 131061 bytes, it is 131069"},
		{name: "NUL in a secret value", vars: []limits.Var{plain("FOO", []byte("bar")), secret("NUL", withCanary(40, true))},
			kind:    limits.ErrValueHasNUL,
			wantErr: "env var NUL (from LightningSecret 's-nul'): the 40-byte value holds a NUL byte, which an environment variable cannot carry: each NAME=value string ends at its first NUL"},
		{name: "NUL in a plain value", vars: []limits.Var{plain("FOO", []byte("a\x00b"))},
			kind:    limits.ErrValueHasNUL,
			wantErr: "env var FOO: the 3-byte value holds a NUL byte, which an environment variable cannot carry: each NAME=value string ends at its first NUL"},
		{name: "the first failing variable is named", vars: []limits.Var{secret("FIRST", withCanary(3, true)), secret("SECOND_LONG", withCanary(limits.MaxValue, false))},
			kind:    limits.ErrValueHasNUL,
			wantErr: "env var FIRST (from LightningSecret 's-first'): the 3-byte value holds a NUL byte, which an environment variable cannot carry: each NAME=value string ends at its first NUL"},
		{name: "a full Secret's worth fits", vars: full()},
		{name: "at the budget", vars: append(full(), filler(0)...)},
		{name: "one byte over the budget", vars: append(full(), filler(1)...),
			kind: limits.ErrEnvTooLarge,
			wantErr: "the app's environment takes 1572865 bytes (24 variables as NAME=value, NUL and pointer, and 1024 for the identity variables), " +
				"more than the 1572864 a container's env may take here: execve takes 2097152 for env and arguments with an 8 MiB stack, " +
				"524288 of it kept for the image's env, the command and Kubernetes' service variables"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkErr(t, limits.CheckEnv(tc.vars), tc.wantErr, tc.kind)
		})
	}
}

func checkErr(t *testing.T, err error, want string, kind error) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("error %q, want none", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}
	if !errors.Is(err, kind) {
		t.Errorf("error %q is not %v", err, kind)
	}
	if strings.Contains(err.Error(), canary) || strings.ContainsRune(err.Error(), 0) || strings.Contains(err.Error(), "\n") {
		t.Errorf("message %q quotes the value or is not one line", err)
	}
}

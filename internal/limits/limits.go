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

// Package limits holds the sizes a secret value and an app's environment
// must fit, with where each comes from, and the pure checks against them.
// Sealing, the CLI, the CRD (its markers, checked by a test), the
// LightningSecret controller and the LightningApp controller all read them
// here, so every layer agrees on one limit.
//
// A value reaches a process only as an environment variable, so the lowest
// layer, execve, sets the limit: one variable is at most MaxArgStrlen bytes
// as NAME=value with its NUL, which is why a value is at most MaxValue
// bytes, not the 1 MiB a Kubernetes Secret could hold.
//
// Messages name the rule and the sizes, never a value.
package limits

import (
	"bytes"
	"errors"
	"fmt"
)

const (
	// pageSize is the kernel page size the limits below assume: 4 KiB, as
	// on x86-64 and the usual arm64 kernels. Kernels with larger pages allow
	// more, never less, so 4 KiB is the conservative figure.
	pageSize = 4096

	// MaxArgStrlen is Linux's MAX_ARG_STRLEN (include/uapi/linux/binfmts.h:
	// PAGE_SIZE * 32): the most one argv or envp string may take, counting
	// its NUL terminator. execve fails with E2BIG on a longer one. An env
	// string is "NAME=value", so len(NAME) + 1 + len(value) + 1 <= 131072.
	MaxArgStrlen = 32 * pageSize

	// MaxValue is the longest value one environment variable can carry: the
	// one under the shortest name (one character), "A=" + value + NUL. It
	// is the limit of a LightningSecret's value at every layer; an app
	// checks the exact rule with its own names (CheckEnv).
	MaxValue = MaxArgStrlen - 3 // "A=" and the NUL

	// ArgMax is what execve lets all of argv and envp take together: each
	// string with its NUL, plus one pointer per string. fs/exec.c
	// (bprm_stack_limits) allows min(RLIMIT_STACK / 4, 3/4 of _STK_LIM =
	// 6 MiB), at least 32 pages. With the usual 8 MiB stack rlimit, which
	// containers inherit from containerd or CRI-O, that is 2 MiB.
	ArgMax = (8 << 20) / 4

	// PointerSize is the envp pointer each string costs on a 64-bit stack.
	PointerSize = 8

	// EnvReserve is the part of ArgMax kept for what the operator does not
	// see when it checks an app: the image's own ENV, the command and its
	// arguments, the *_SERVICE_HOST/PORT variables Kubernetes adds for each
	// Service of the namespace, the executable's path. 512 KiB holds
	// several thousand of those.
	EnvReserve = 512 << 10

	// IdentityEnv bounds the identity variables the pod webhook adds to
	// every component: LIGHTNING_CLOUD_APP_ID=<name, at most 253>,
	// LIGHTNING_CLOUD_PROJECT_ID=<namespace, at most 63> and
	// LIGHTNING_CLOUD_WORK_NAME=<component path, at most 253>, each with its
	// NUL and pointer: 672 bytes at most, rounded up.
	IdentityEnv = 1 << 10

	// EnvBudget is what an app's env (plain values, secret values and
	// IdentityEnv) may take in a container: ArgMax less EnvReserve.
	EnvBudget = ArgMax - EnvReserve

	// SecretData is the most a Kubernetes Secret's data may hold, summed
	// over its values (keys not counted): k8s.io/api/core/v1.MaxSecretSize,
	// enforced by the apiserver. One app's values go into one Secret.
	SecretData = 1 << 20

	// EtcdRequest is etcd's default --max-request-bytes (1.5 MiB): no
	// object the apiserver stores can be larger. The longest envelope
	// (sealing.MaxEnvelopeLength) and a full app Secret fit well inside it.
	EtcdRequest = 3 << 19
)

// Errors of the checks, for errors.Is; Reason names each as a condition reason.
var (
	// ErrValueHasNUL: an env string ends at its first NUL, so execve cannot
	// pass a value holding one (and runc refuses it outright).
	ErrValueHasNUL = errors.New("value holds a NUL byte")
	// ErrValueTooLong: NAME=value would be longer than MaxArgStrlen.
	ErrValueTooLong = errors.New("value too long for an environment variable")
	// ErrEnvTooLarge: the app's env together is over EnvBudget.
	ErrEnvTooLarge = errors.New("environment too large")
)

// limitError carries a one-line message while matching its kind.
type limitError struct {
	kind error
	msg  string
}

func (e *limitError) Error() string { return e.msg }
func (e *limitError) Unwrap() error { return e.kind }

// Reason maps an error of this package to a condition reason: ValueHasNUL,
// ValueTooLong or EnvTooLarge; "" for nil or any other error.
func Reason(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrValueHasNUL):
		return "ValueHasNUL"
	case errors.Is(err, ErrValueTooLong):
		return "ValueTooLong"
	case errors.Is(err, ErrEnvTooLarge):
		return "EnvTooLarge"
	default:
		return ""
	}
}

// EnvStringSize is what NAME=value takes as one env string: the name, '=',
// the value and the NUL terminator.
func EnvStringSize(name string, valueLen int) int {
	return len(name) + 1 + valueLen + 1
}

// CheckValue says whether value can be an environment variable's value
// under some name: no NUL byte, at most MaxValue bytes. It is the check of
// `secret create` and of the LightningSecret controller, which know no
// variable name; an app's names are checked by CheckEnv.
func CheckValue(value []byte) error {
	if hasNUL(value) {
		return &limitError{kind: ErrValueHasNUL, msg: fmt.Sprintf(
			"the %d-byte value holds a NUL byte, which an environment variable cannot carry: each NAME=value string ends at its first NUL",
			len(value))}
	}
	if len(value) > MaxValue {
		return TooLong(len(value))
	}
	return nil
}

// TooLong is CheckValue's error for a value of size bytes, also for a value
// only counted, not read.
func TooLong(size int) error {
	return &limitError{kind: ErrValueTooLong, msg: fmt.Sprintf(
		"the value is %d bytes, more than the %d an environment variable can carry: Linux passes at most %d bytes (MAX_ARG_STRLEN) for NAME=value and its NUL, so %d under a one-character name",
		size, MaxValue, MaxArgStrlen, MaxValue)}
}

// Var is one variable of an app's env, as the webhook will set it.
type Var struct {
	Name  string
	Value []byte
	// Secret names the LightningSecret the value comes from; "" for a plain
	// env value.
	Secret string
}

func (v Var) what() string {
	if v.Secret == "" {
		return "env var " + v.Name
	}
	return fmt.Sprintf("env var %s (from LightningSecret '%s')", v.Name, v.Secret)
}

// CheckEnv says whether vars, all of an app's env, can reach every one of
// its processes: each NAME=value has no NUL and fits MaxArgStrlen, and
// together, with IdentityEnv and a pointer each, they fit EnvBudget. The
// first variable that fails, in order, is named.
func CheckEnv(vars []Var) error {
	total := IdentityEnv
	for _, v := range vars {
		if hasNUL(v.Value) {
			return &limitError{kind: ErrValueHasNUL, msg: fmt.Sprintf(
				"%s: the %d-byte value holds a NUL byte, which an environment variable cannot carry: each NAME=value string ends at its first NUL",
				v.what(), len(v.Value))}
		}
		size := EnvStringSize(v.Name, len(v.Value))
		if size > MaxArgStrlen {
			return &limitError{kind: ErrValueTooLong, msg: fmt.Sprintf(
				"%s: %s=value is %d bytes with its NUL, more than the %d Linux passes in one environment string (MAX_ARG_STRLEN); under this name the value may be at most %d bytes, it is %d",
				v.what(), v.Name, size, MaxArgStrlen, MaxArgStrlen-len(v.Name)-2, len(v.Value))}
		}
		total += size + PointerSize
	}
	if total > EnvBudget {
		return &limitError{kind: ErrEnvTooLarge, msg: fmt.Sprintf(
			"the app's environment takes %d bytes (%d variables as NAME=value, NUL and pointer, and %d for the identity variables), more than the %d a container's env may take here: execve takes %d for env and arguments with an 8 MiB stack, %d of it kept for the image's env, the command and Kubernetes' service variables",
			total, len(vars), IdentityEnv, EnvBudget, ArgMax, EnvReserve)}
	}
	return nil
}

func hasNUL(b []byte) bool { return bytes.IndexByte(b, 0) >= 0 }

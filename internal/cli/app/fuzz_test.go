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

package app

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
)

// argSep splits a fuzz input into flag values; a real argv holds no NUL.
const argSep = "\x00"

func splitArgs(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, argSep)
}

// FuzzParseVars checks the --env/--secret parser on any input: it never
// panics, an error is one non-empty line of bounded length, and what it
// accepts follows every rule (the schema's too), keeping order and values.
// The seed corpus is in testdata/fuzz/FuzzParseVars.
func FuzzParseVars(f *testing.F) {
	f.Add("FOO=bar", "MY_APP_SECRET=my-secret")
	f.Add("A=1\x00B=x=y\x00C=", "")
	f.Add("", "GH=github_api_token")
	f.Add("X=1", "X=a")
	f.Add("1BAD=x\x00=y", "K=")
	f.Add("K=\xff", "S=a..b")
	f.Fuzz(func(t *testing.T, envIn, secretsIn string) {
		env, secrets := splitArgs(envIn), splitArgs(secretsIn)
		v, err := ParseVars(env, secrets)
		if err != nil {
			msg := err.Error()
			if msg == "" || strings.ContainsAny(msg, "\n\r\v\f\u0085\u2028\u2029") {
				t.Fatalf("error is not one line: %q", msg)
			}
			if !utf8.ValidString(msg) {
				t.Fatalf("error is not valid UTF-8: %q", msg)
			}
			// Quoted input is cut at maxShown runes, so messages stay short.
			if n := utf8.RuneCountInString(msg); n > 1000 {
				t.Fatalf("error is %d characters long: %q", n, msg)
			}
			return
		}
		if len(v.Env) != len(env) || len(v.Secrets) != len(secrets) {
			t.Fatalf("parsed %d env and %d secrets from %d and %d arguments", len(v.Env), len(v.Secrets), len(env), len(secrets))
		}
		seen := map[string]bool{}
		for i, e := range v.Env {
			if e.Name+"="+e.Value != env[i] {
				t.Fatalf("env %d: %q=%q does not round-trip %q", i, e.Name, e.Value, env[i])
			}
			checkName(t, e.Name, seen)
			if !utf8.ValidString(e.Value) || utf8.RuneCountInString(e.Value) > maxEnvValueLen {
				t.Fatalf("env %q: value breaks the schema", e.Name)
			}
		}
		for i, s := range v.Secrets {
			if s.Name+"="+s.SecretRef != secrets[i] {
				t.Fatalf("secret %d: %q=%q does not round-trip %q", i, s.Name, s.SecretRef, secrets[i])
			}
			checkName(t, s.Name, seen)
			if err := cmdutil.ValidateSecretName(s.SecretRef); err != nil {
				t.Fatalf("accepted secret name %q: %v", s.SecretRef, err)
			}
		}
	})
}

func checkName(t *testing.T, name string, seen map[string]bool) {
	t.Helper()
	if !envNameRE.MatchString(name) || len(name) > maxEnvNameLen {
		t.Fatalf("accepted env name %q", name)
	}
	if seen[name] {
		t.Fatalf("accepted %q twice", name)
	}
	seen[name] = true
}

// FuzzSecretSuggestion checks that a suggested secret name is always valid.
func FuzzSecretSuggestion(f *testing.F) {
	for _, s := range []string{"github_api_token", "MySecret", "-a-", "a..b", "9x", "ä_b", "a_b.c_d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		reason, suggestion := "", ""
		if name != "" {
			reason, suggestion = cmdutil.CheckSecretName(name)
		}
		if reason == "" && name != "" && suggestion != "" {
			t.Fatalf("valid name %q got suggestion %q", name, suggestion)
		}
		if suggestion != "" {
			if r, _ := cmdutil.CheckSecretName(suggestion); r != "" {
				t.Fatalf("suggestion %q for %q is invalid: %s", suggestion, name, r)
			}
		}
		if app := dnsLabel(name); app != "" && ValidateAppName(app) != nil {
			t.Fatalf("app name %q from %q is invalid", app, name)
		}
	})
}

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

package cmdutil

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation"
)

// MaxSecretNameLen is the LightningSecret schema's limit of a secret name.
const MaxSecretNameLen = validation.DNS1123SubdomainMaxLength

// SecretNameRule says what a LightningSecret name is, for error messages.
const SecretNameRule = "a secret name must start with a lowercase letter, contain only lowercase letters, digits, '-' and '.', end with a letter or digit, and be at most 253 characters (RFC 1123)"

// CheckSecretName returns why name is not a LightningSecret name (a DNS-1123
// subdomain that starts with a letter), and a valid name to suggest instead
// when one can be derived; both are empty for a valid name.
func CheckSecretName(name string) (reason, suggestion string) {
	if len(validation.IsDNS1123Subdomain(name)) == 0 && name[0] >= 'a' && name[0] <= 'z' {
		return "", ""
	}
	if s := DNSName(name, MaxSecretNameLen, true, false); s != "" && s != name {
		suggestion = s
	}
	return SecretNameRule, suggestion
}

// ValidateSecretName checks a LightningSecret name, e.g. for `secret create`.
func ValidateSecretName(name string) error {
	if name == "" {
		return fmt.Errorf("Invalid secret name '': %s.", SecretNameRule)
	}
	if reason, suggestion := CheckSecretName(name); reason != "" {
		return fmt.Errorf("Invalid secret name '%s': %s%s", Show(name), reason, DidYouMean(suggestion))
	}
	return nil
}

// ValidateNamespace checks a namespace name before it is used in a manifest.
func ValidateNamespace(ns string) error {
	if len(validation.IsDNS1123Label(ns)) == 0 {
		return nil
	}
	return fmt.Errorf("Invalid namespace '%s': a namespace name must contain only lowercase letters, digits and '-', start and end with a letter or digit, and be at most 63 characters.", Show(ns))
}

// DidYouMean ends a message about a bad name with its suggestion, if any.
func DidYouMean(suggestion string) string {
	if suggestion == "" {
		return "."
	}
	return fmt.Sprintf("; did you mean %q?", suggestion)
}

// DNSName turns s into a DNS-1123 subdomain: lowercase, with each run of
// other characters turned into one '-', and every dot-separated part trimmed
// of '-'. With letterFirst, the result must start with a letter: leading
// symbols are dropped, and a leading digit gives "" (no sensible guess).
// A longer result is cut to maxLen with truncate, else refused (a cut name
// is another name). It returns "" when no valid name is left.
func DNSName(s string, maxLen int, letterFirst, truncate bool) string {
	var b strings.Builder
	pendingDash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.':
			if pendingDash {
				b.WriteByte('-')
				pendingDash = false
			}
			b.WriteRune(r)
		default:
			pendingDash = true
		}
	}
	var parts []string
	for _, p := range strings.Split(b.String(), ".") {
		if p = strings.Trim(p, "-"); p != "" {
			parts = append(parts, p)
		}
	}
	out := strings.Join(parts, ".")
	if len(out) > maxLen {
		if !truncate {
			return ""
		}
		out = strings.TrimRight(strings.TrimRight(out[:maxLen], "-"), ".")
		out = strings.TrimRight(out, "-")
	}
	if out == "" || (letterFirst && (out[0] < 'a' || out[0] > 'z')) {
		return ""
	}
	if len(validation.IsDNS1123Subdomain(out)) != 0 {
		return ""
	}
	return out
}

// MaxShown bounds how much of an argument an error message quotes.
const MaxShown = 100

// Show renders user input for a one-line message: printable text as is,
// anything else (newlines, control characters, invalid UTF-8) escaped as in
// Go, and long input cut short with "…".
func Show(s string) string {
	var b strings.Builder
	n := 0
	for i, w := 0, 0; i < len(s); i += w {
		if n == MaxShown {
			b.WriteString("…")
			break
		}
		n++
		r, size := utf8.DecodeRuneInString(s[i:])
		w = size
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsPrint(r):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
	}
	return b.String()
}

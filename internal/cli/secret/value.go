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

package secret

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/lightning-operator/lightning-operator/internal/limits"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

// readValue gets the plaintext from --from-file, the terminal or stdin.
func (o *createOptions) readValue(ctx context.Context, name string) ([]byte, error) {
	var value []byte
	var err error
	switch {
	case o.fromFile == "-":
		value, err = readLimited(o.f.In, "stdin", false)
	case o.fromFile != "":
		var f *os.File
		if f, err = os.Open(o.fromFile); err != nil {
			return nil, fmt.Errorf("reading the value: %w", err)
		}
		defer f.Close()
		value, err = readLimited(f, o.fromFile, false)
	case o.f.Terminal.IsTerminal():
		value, err = o.f.Terminal.ReadSecret(ctx, fmt.Sprintf("Value of secret '%s' (input hidden): ", name))
	default:
		if value, err = readLimited(o.f.In, "stdin", true); err == nil {
			value = trimNewline(value)
		}
	}
	if err != nil {
		clear(value)
		return nil, err
	}
	if len(value) == 0 {
		return nil, fmt.Errorf("the value of secret '%s' is empty: pipe it to stdin, use --from-file, or run in a terminal to be prompted", name)
	}
	// What an environment variable cannot carry stops here, before
	// anything is sealed or written.
	if err := limits.CheckValue(value); err != nil {
		clear(value)
		return nil, err
	}
	return value, nil
}

// maxCounted bounds how far input past the limit is read, only to count it.
const maxCounted = 1 << 30

// readLimited reads r up to the size limit plus a newline ("\r\n"). Past it,
// the rest is read only to be counted, up to maxCounted, so the error can
// say how long the value is; with trim, a trailing newline is not counted,
// as it would be dropped.
func readLimited(r io.Reader, what string, trim bool) ([]byte, error) {
	if r == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r, sealing.MaxPlaintextSize+3))
	if err != nil {
		clear(b)
		return nil, fmt.Errorf("reading the value from %s: %w", what, err)
	}
	if len(b) <= sealing.MaxPlaintextSize+2 {
		return b, nil
	}
	rest := &countingTail{}
	copy(rest.tail[:], b[len(b)-2:])
	clear(b)
	n, err := io.Copy(rest, io.LimitReader(r, maxCounted))
	if err != nil {
		return nil, fmt.Errorf("reading the value from %s: %w", what, err)
	}
	if n == maxCounted {
		return nil, fmt.Errorf("the value is more than %d bytes, far more than the %d an environment variable can carry (Linux MAX_ARG_STRLEN: %d bytes for NAME=value and its NUL)",
			maxCounted, limits.MaxValue, limits.MaxArgStrlen)
	}
	size := len(b) + int(n)
	if trim {
		size -= len(rest.tail[:]) - len(trimNewline(rest.tail[:]))
	}
	return nil, limits.TooLong(size)
}

// countingTail discards what is written, keeping its last two bytes.
type countingTail struct{ tail [2]byte }

func (c *countingTail) Write(p []byte) (int, error) {
	switch {
	case len(p) >= 2:
		copy(c.tail[:], p[len(p)-2:])
	case len(p) == 1:
		c.tail[0], c.tail[1] = c.tail[1], p[0]
	}
	return len(p), nil
}

// trimNewline drops one trailing "\n" or "\r\n", as echo and Enter add.
func trimNewline(b []byte) []byte {
	if t, ok := bytes.CutSuffix(b, []byte("\n")); ok {
		t, _ = bytes.CutSuffix(t, []byte("\r"))
		return t
	}
	return b
}

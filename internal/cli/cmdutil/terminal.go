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
	"context"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// Terminal reads a secret value without echoing it.
type Terminal interface {
	// IsTerminal reports whether stdin is an interactive terminal.
	IsTerminal() bool
	// ReadSecret shows prompt and reads one line without echo. It returns
	// ctx's error, with the terminal restored, when ctx ends first (Ctrl-C).
	ReadSecret(ctx context.Context, prompt string) ([]byte, error)
}

// StdinTerminal is the real terminal when in is an *os.File that is one;
// prompts go to prompt.
func StdinTerminal(in io.Reader, prompt io.Writer) Terminal {
	f, ok := in.(*os.File)
	if !ok {
		return noTerminal{}
	}
	return &fileTerminal{f: f, prompt: prompt}
}

type fileTerminal struct {
	f      *os.File
	prompt io.Writer
}

func (t *fileTerminal) IsTerminal() bool { return term.IsTerminal(int(t.f.Fd())) }

func (t *fileTerminal) ReadSecret(ctx context.Context, prompt string) ([]byte, error) {
	fd := int(t.f.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return nil, fmt.Errorf("reading the value from the terminal: %w", err)
	}
	fmt.Fprint(t.prompt, prompt)
	type read struct {
		b   []byte
		err error
	}
	done := make(chan read, 1)
	go func() {
		b, err := term.ReadPassword(fd)
		done <- read{b, err}
	}()
	select {
	case r := <-done:
		fmt.Fprintln(t.prompt) // the user's Enter was not echoed
		if r.err != nil {
			return nil, fmt.Errorf("reading the value from the terminal: %w", r.err)
		}
		return r.b, nil
	case <-ctx.Done():
		// Interrupted: give the terminal its echo back before leaving.
		_ = term.Restore(fd, state)
		fmt.Fprintln(t.prompt)
		return nil, ctx.Err()
	}
}

type noTerminal struct{}

func (noTerminal) IsTerminal() bool { return false }

func (noTerminal) ReadSecret(context.Context, string) ([]byte, error) {
	return nil, fmt.Errorf("stdin is not a terminal")
}

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
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// Options are a command's options, in kubectl's pattern: Complete takes
// the arguments and what the flags imply, Validate refuses what cannot work
// before anything is read or sent, and Run does the work.
type Options interface {
	Complete(cmd *cobra.Command, args []string) error
	Validate() error
	Run(ctx context.Context) error
}

// RunE is the cobra RunE of a command with options o: its three steps, in
// order, stopping at the first error.
func RunE(o Options) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := o.Complete(cmd, args); err != nil {
			return err
		}
		if err := o.Validate(); err != nil {
			return err
		}
		return o.Run(cmd.Context())
	}
}

// GroupCommand is a command that only holds others, such as `secret`: run
// alone, it prints its help.
func GroupCommand(cmd *cobra.Command, subcommands ...*cobra.Command) *cobra.Command {
	cmd.Args = NoArgs
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return cmd.Help()
	}
	cmd.AddCommand(subcommands...)
	return cmd
}

// NoArgs refuses arguments to a command that takes none, naming them.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		hint := ""
		if cmd.SuggestionsMinimumDistance <= 0 {
			cmd.SuggestionsMinimumDistance = 2
		}
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			hint = fmt.Sprintf("; did you mean %q?", s[0])
		}
		return fmt.Errorf("unknown command '%s' for '%s'%s (see '%s --help')", Show(args[0]), cmd.CommandPath(), hint, cmd.CommandPath())
	}
	return nil
}

// ExactArgs wants n arguments, and says which with usage when they are missing.
func ExactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < n:
			return fmt.Errorf("%s is required: %s", what, cmd.UseLine())
		case len(args) > n:
			return fmt.Errorf("unexpected argument '%s': %s", Show(args[n]), cmd.UseLine())
		}
		return nil
	}
}

// OneLine makes an error message one line, whatever its source.
func OneLine(err error) string {
	if errors.Is(err, context.Canceled) {
		return "interrupted"
	}
	msg := strings.Map(func(r rune) rune {
		switch r {
		case '\n', '\r', '\v', '\f', '\u0085', '\u2028', '\u2029':
			return ' '
		}
		return r
	}, err.Error())
	return strings.TrimSpace(msg)
}

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
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// DryRun is --dry-run: none, client (nothing is sent) or server (the
// apiserver checks and admits the request without persisting it).
type DryRun string

const (
	DryRunNone   DryRun = "none"
	DryRunClient DryRun = "client"
	DryRunServer DryRun = "server"
)

func (d *DryRun) String() string { return string(*d) }

func (d *DryRun) Set(v string) error {
	switch DryRun(v) {
	case DryRunNone, DryRunClient, DryRunServer:
		*d = DryRun(v)
		return nil
	}
	return fmt.Errorf("must be none, client or server")
}

func (d *DryRun) Type() string { return "string" }

// AddDryRunFlag adds --dry-run=none|client|server, default none. As in
// kubectl, it takes a value: a bare --dry-run is an error, not a guess.
func AddDryRunFlag(cmd *cobra.Command, d *DryRun, usage string) {
	*d = DryRunNone
	cmd.Flags().Var(d, "dry-run", usage)
	_ = cmd.RegisterFlagCompletionFunc("dry-run", func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return WithPrefix([]string{"none", "client", "server"}, toComplete), cobra.ShellCompDirectiveNoFileComp
	})
}

// Suffix is kubectl's note after the operation of a dry run.
func (d DryRun) Suffix() string {
	switch d {
	case DryRunClient:
		return " (dry run)"
	case DryRunServer:
		return " (server dry run)"
	}
	return ""
}

// ErrClientDryRunApply refuses --dry-run=client with --apply.
var ErrClientDryRunApply = errors.New("--dry-run=client does not work with --apply, a server-side apply: use --dry-run=server, or leave out --apply to print the manifest")

// AddDeprecatedCheckFlag adds --check, kept for one release as
// --dry-run=server. pflag writes the deprecation notice to the flag set's
// output, which cobra would copy to stdout: it goes to errOut instead.
func AddDeprecatedCheckFlag(cmd *cobra.Command, check *bool, errOut io.Writer) {
	cmd.Flags().BoolVar(check, "check", false, "Deprecated: use --dry-run=server.")
	_ = cmd.Flags().MarkDeprecated("check", "use --dry-run=server instead")
	cmd.Flags().SetOutput(errOut)
}

// ResolveCheck folds --check into --dry-run; dryRunGiven says whether
// --dry-run was.
func ResolveCheck(dryRunGiven, check bool, d *DryRun) error {
	if !check {
		return nil
	}
	if dryRunGiven && *d != DryRunServer {
		return fmt.Errorf("--check means --dry-run=server; it cannot be used with --dry-run=%s", *d)
	}
	*d = DryRunServer
	return nil
}

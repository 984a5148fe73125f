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

package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
)

// version and commit are set at build time, as `make release` does:
//
//	go build -ldflags "-X github.com/lightning-operator/lightning-operator/internal/cli.version=v0.1.0 \
//	  -X github.com/lightning-operator/lightning-operator/internal/cli.commit=0123abc" ./cmd/kubectl-lightning
//
// Unset, they come from the binary's build info: the module version of a
// `go install …@v0.1.0` and the VCS revision Go stamps into a build from a
// git checkout.
var (
	version string
	commit  string
)

// VersionInfo is what `version -o json|yaml` prints.
type VersionInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// readBuildInfo is debug.ReadBuildInfo; tests replace it.
var readBuildInfo = debug.ReadBuildInfo

// currentVersion is the version and commit of this binary.
func currentVersion() VersionInfo {
	v := VersionInfo{Version: version, Commit: commit, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := readBuildInfo(); ok {
		if v.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version
		}
		if v.Commit == "" {
			var rev, modified string
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					rev = s.Value
				case "vcs.modified":
					modified = s.Value
				}
			}
			if rev != "" {
				v.Commit = rev
				if modified == "true" {
					v.Commit += "-dirty"
				}
			}
		}
	}
	if v.Version == "" {
		v.Version = "dev"
	}
	if v.Commit == "" {
		v.Commit = "unknown"
	}
	return v
}

// buildVersion is the version alone, for the user agent.
func buildVersion() string { return currentVersion().Version }

// String is "kubectl-lightning VERSION (commit C, goX linux/amd64)", with
// the commit cut to 12 characters (and -dirty kept).
func (v VersionInfo) String() string {
	c := v.Commit
	dirty := ""
	if len(c) > 6 && c[len(c)-6:] == "-dirty" {
		c, dirty = c[:len(c)-6], "-dirty"
	}
	if len(c) > 12 {
		c = c[:12]
	}
	return fmt.Sprintf("kubectl-lightning %s (commit %s%s, %s %s)", v.Version, c, dirty, v.GoVersion, v.Platform)
}

type versionOptions struct {
	f      *cmdutil.Factory
	output string
}

const (
	versionExample = `  kubectl lightning version

  # For scripts
  kubectl lightning version -o json`
)

func newVersionCommand(f *cmdutil.Factory) *cobra.Command {
	o := &versionOptions{f: f}
	cmd := &cobra.Command{
		Use:     "version [-o json|yaml]",
		Short:   "Print the version of kubectl-lightning",
		Example: versionExample,
		Args:    cmdutil.NoArgs,
		RunE:    cmdutil.RunE(o),
	}
	cmd.Flags().StringVarP(&o.output, "output", "o", "", "Output format: json or yaml. Default: one line.")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{cmdutil.FormatJSON, cmdutil.FormatYAML}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (o *versionOptions) Complete(*cobra.Command, []string) error { return nil }

func (o *versionOptions) Validate() error {
	switch o.output {
	case "", cmdutil.FormatJSON, cmdutil.FormatYAML:
		return nil
	}
	return fmt.Errorf("unknown output format '%s': use json or yaml (or leave -o out)", cmdutil.Show(o.output))
}

func (o *versionOptions) Run(context.Context) error {
	v := currentVersion()
	var b []byte
	var err error
	switch o.output {
	case "":
		b = []byte(v.String() + "\n")
	case cmdutil.FormatJSON:
		b, err = json.MarshalIndent(v, "", "  ")
		b = append(b, '\n')
	default:
		b, err = yaml.Marshal(v)
	}
	if err != nil {
		return fmt.Errorf("printing the version: %w", err)
	}
	_, err = o.f.Out.Write(b)
	return err
}

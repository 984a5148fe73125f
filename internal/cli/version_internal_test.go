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
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCurrentVersion: -ldflags -X wins; else the module version of a
// `go install …@vX` and the VCS stamp of a build from a checkout.
func TestCurrentVersion(t *testing.T) {
	const rev = "0123456789abcdef0123456789abcdef01234567"
	stamp := func(main string, settings ...string) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/lightning-operator/lightning-operator", Version: main}}
			for i := 0; i+1 < len(settings); i += 2 {
				bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
			}
			return bi, true
		}
	}
	platform := runtime.GOOS + "/" + runtime.GOARCH
	tests := []struct {
		name            string
		version, commit string
		buildInfo       func() (*debug.BuildInfo, bool)
		want            VersionInfo
		wantLine        string
	}{
		{
			name: "set by -ldflags -X", version: "v1.2.3", commit: "abc1234",
			buildInfo: stamp("v0.0.1", "vcs.revision", rev),
			want:      VersionInfo{Version: "v1.2.3", Commit: "abc1234"},
			wantLine:  "kubectl-lightning v1.2.3 (commit abc1234, ",
		},
		{
			name:      "go install …@v0.3.0",
			buildInfo: stamp("v0.3.0"),
			want:      VersionInfo{Version: "v0.3.0", Commit: "unknown"},
			wantLine:  "kubectl-lightning v0.3.0 (commit unknown, ",
		},
		{
			name:      "a build from a checkout",
			buildInfo: stamp("(devel)", "vcs.revision", rev, "vcs.modified", "false"),
			want:      VersionInfo{Version: "dev", Commit: rev},
			wantLine:  "kubectl-lightning dev (commit 0123456789ab, ",
		},
		{
			name:      "a build from a checkout with changes",
			buildInfo: stamp("(devel)", "vcs.revision", rev, "vcs.modified", "true"),
			want:      VersionInfo{Version: "dev", Commit: rev + "-dirty"},
			wantLine:  "kubectl-lightning dev (commit 0123456789ab-dirty, ",
		},
		{
			name: "only the version set", version: "v2.0.0",
			buildInfo: stamp("(devel)", "vcs.revision", rev),
			want:      VersionInfo{Version: "v2.0.0", Commit: rev},
			wantLine:  "kubectl-lightning v2.0.0 (commit 0123456789ab, ",
		},
		{
			name:      "no build info",
			buildInfo: func() (*debug.BuildInfo, bool) { return nil, false },
			want:      VersionInfo{Version: "dev", Commit: "unknown"},
			wantLine:  "kubectl-lightning dev (commit unknown, ",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			oldV, oldC, oldRead := version, commit, readBuildInfo
			t.Cleanup(func() { version, commit, readBuildInfo = oldV, oldC, oldRead })
			version, commit, readBuildInfo = tc.version, tc.commit, tc.buildInfo
			got := currentVersion()
			tc.want.GoVersion, tc.want.Platform = runtime.Version(), platform
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("currentVersion (-want +got):\n%s", diff)
			}
			if line := tc.wantLine + runtime.Version() + " " + platform + ")"; got.String() != line {
				t.Errorf("String() = %q, want %q", got.String(), line)
			}
		})
	}
}

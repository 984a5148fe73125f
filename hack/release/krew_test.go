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

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// krewVersion is the krew release whose validate-krew-manifest this test
// runs, the check krew-index runs on a plugin's manifest. The Makefile's
// KREW_VERSION builds the same (TestKrewVersionMatchesMakefile).
const krewVersion = "v0.4.3"

var krewTools = filepath.Join("..", "..", "bin", "krew-"+krewVersion)

// buildKrewTools returns the folder holding validate-krew-manifest and
// kubectl-krew, building them from krew's own module as `make krew-tools`
// does when they are missing: krew is a tool, not a dependency of ours.
func buildKrewTools(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(krewTools)
	if err != nil {
		t.Fatal(err)
	}
	validate, plugin := filepath.Join(dir, "validate-krew-manifest"), filepath.Join(dir, "kubectl-krew")
	if fileExists(validate) && fileExists(plugin) {
		return dir
	}
	cmd := exec.Command("go", "install",
		"sigs.k8s.io/krew/cmd/validate-krew-manifest@"+krewVersion, "sigs.k8s.io/krew/cmd/krew@"+krewVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building krew %s's tools into %s failed (make krew-tools does the same): %v\n%s", krewVersion, dir, err, out)
	}
	// kubectl finds the krew plugin by this name.
	if err := os.Rename(filepath.Join(dir, "krew"), plugin); err != nil {
		t.Fatal(err)
	}
	return dir
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// kubectlDir is a folder with a kubectl for validate-krew-manifest, which
// runs `kubectl krew install`: bin/k8s's or the PATH's when there is one,
// else a shim doing what kubectl does there, run the kubectl-krew plugin.
func kubectlDir(t *testing.T) string {
	t.Helper()
	for _, d := range []string{os.Getenv("KUBEBUILDER_ASSETS"), filepath.Join("..", "..", "bin", "k8s")} {
		if d != "" && fileExists(filepath.Join(d, "kubectl")) {
			abs, err := filepath.Abs(d)
			if err != nil {
				t.Fatal(err)
			}
			return abs
		}
	}
	if p, err := exec.LookPath("kubectl"); err == nil {
		return filepath.Dir(p)
	}
	dir := t.TempDir()
	shim := "#!/bin/sh\n[ \"$1\" = krew ] || { echo \"kubectl shim: only krew\" >&2; exit 1; }\nshift\nexec kubectl-krew \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "kubectl"), []byte(shim), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// validateKrew runs validate-krew-manifest on manifest, named
// lightning.yaml as krew-index names it, and returns its output.
func validateKrew(t *testing.T, tools, kubectl, manifest string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, pluginName+".yaml")
	if err := os.WriteFile(path, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(tools, "validate-krew-manifest"), "-manifest", path)
	// It gives `kubectl krew install` only KREW_* and this PATH.
	cmd.Env = append(os.Environ(), "PATH="+tools+string(os.PathListSeparator)+kubectl+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestKrewValidatesTheManifest runs krew's own validator over the manifest
// of a release with an archive for each platform: its rules (name, version,
// short description, selectors that match a platform and do not overlap),
// then `kubectl krew install` of every platform, which downloads the
// archive, checks its sha256, unpacks it and wants the binary and a
// LICENSE. The archives are served from here, in place of the release page.
func TestKrewValidatesTheManifest(t *testing.T) {
	tools, kubectl := buildKrewTools(t), kubectlDir(t)
	cfg := testConfig(t, fakeBuild, defaultPlatforms...)
	if _, err := release(context.Background(), cfg, io.Discard); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(cfg.OutDir)))
	defer srv.Close()
	b, err := os.ReadFile(filepath.Join(cfg.OutDir, pluginName+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	page := repoURL + "/releases/download/" + cfg.Version + "/"
	if n := strings.Count(string(b), page); n != len(defaultPlatforms) {
		t.Fatalf("%d uris under %s in the manifest, want %d", n, page, len(defaultPlatforms))
	}
	manifest := strings.ReplaceAll(string(b), page, srv.URL+"/")

	out, err := validateKrew(t, tools, kubectl, manifest)
	if err != nil {
		t.Fatalf("validate-krew-manifest: %v\n%s", err, out)
	}
	if want := fmt.Sprintf("all %d spec.platforms installed fine", len(defaultPlatforms)); !strings.Contains(out, want) {
		t.Errorf("validate-krew-manifest did not say %q:\n%s", want, out)
	}

	// The validator bites: the first platform given the second one's
	// sha256 fails its install.
	sums := readChecksums(t, cfg.OutDir)
	first, second := sums[archiveName(cfg.Version, defaultPlatforms[0])], sums[archiveName(cfg.Version, defaultPlatforms[1])]
	bad := strings.Replace(manifest, first, second, 1)
	out, err = validateKrew(t, tools, kubectl, bad)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !strings.Contains(out, "failed to install") {
		t.Errorf("validate-krew-manifest with a wrong sha256: %v\n%s", err, out)
	}
}

// TestKrewVersionMatchesMakefile: make krew-tools and this test build the
// same release, so make test does not build it twice.
func TestKrewVersionMatchesMakefile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "KREW_VERSION ?= " + krewVersion; !strings.Contains(string(b), want) {
		t.Errorf("the Makefile lacks %q", want)
	}
}

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
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// The manifest as krew reads it, declared here apart from main.go's types,
// so a misspelt field there fails the strict parse.
type plugin struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string `json:"version"`
		Homepage         string `json:"homepage"`
		ShortDescription string `json:"shortDescription"`
		Description      string `json:"description"`
		Caveats          string `json:"caveats"`
		Platforms        []struct {
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
			URI    string `json:"uri"`
			SHA256 string `json:"sha256"`
			Bin    string `json:"bin"`
			Files  []struct {
				From string `json:"from"`
				To   string `json:"to"`
			} `json:"files"`
		} `json:"platforms"`
	} `json:"spec"`
}

// fakeBuild writes a small binary that names its platform: the archives,
// checksums and manifest are the point here, not the compiler.
func fakeBuild(_ context.Context, cfg config, p platform, out string) error {
	return os.WriteFile(out, []byte("#!/bin/sh\necho kubectl-lightning "+cfg.Version+" "+p.String()+"\n"), 0o755)
}

var mtime = time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)

func testConfig(t *testing.T, build builder, platforms ...platform) config {
	t.Helper()
	return config{
		Version: "v0.3.1", Dir: "../..", License: "../../LICENSE", OutDir: t.TempDir(),
		Platforms: platforms, ModTime: mtime, Build: build,
	}
}

// archiveFile is one entry as read back from an archive.
type archiveFile struct {
	Name     string
	Mode     int64
	Uid, Gid int
	Uname    string
	Gname    string
	ModTime  time.Time
	Typeflag byte
	Data     string
}

func readArchive(t *testing.T, path string) []archiveFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if gz.Name != "" || !gz.ModTime.IsZero() {
		t.Errorf("%s: gzip header has name %q and time %v, want neither", path, gz.Name, gz.ModTime)
	}
	tr := tar.NewReader(gz)
	var files []archiveFile
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		files = append(files, archiveFile{
			Name: hdr.Name, Mode: hdr.Mode, Uid: hdr.Uid, Gid: hdr.Gid, Uname: hdr.Uname, Gname: hdr.Gname,
			ModTime: hdr.ModTime.UTC(), Typeflag: hdr.Typeflag, Data: string(data),
		})
	}
	return files
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// readChecksums parses checksums.txt as sha256sum writes it.
func readChecksums(t *testing.T, dir string) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sums := map[string]string{}
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != 64 {
			t.Fatalf("checksums.txt line %q is not `SHA256  NAME`", sc.Text())
		}
		sums[name] = sum
		names = append(names, name)
	}
	if !slices.IsSorted(names) {
		t.Errorf("checksums.txt is not sorted: %v", names)
	}
	return sums
}

func TestRelease(t *testing.T) {
	license, err := os.ReadFile("../../LICENSE")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, fakeBuild, defaultPlatforms...)
	artifacts, err := release(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}

	var names []string
	for _, p := range defaultPlatforms {
		names = append(names, archiveName(cfg.Version, p))
	}
	entries, err := os.ReadDir(cfg.OutDir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := append(slices.Clone(names), "checksums.txt", "lightning.yaml")
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files in the output (-want +got):\n%s", diff)
	}

	sums := readChecksums(t, cfg.OutDir)
	if len(sums) != len(names) {
		t.Errorf("checksums.txt has %d lines, want %d", len(sums), len(names))
	}
	for i, name := range names {
		p := defaultPlatforms[i]
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(cfg.OutDir, name)
			wantFiles := []archiveFile{
				{Name: "LICENSE", Mode: 0o644, ModTime: mtime, Typeflag: tar.TypeReg, Data: string(license)},
				{Name: "kubectl-lightning", Mode: 0o755, ModTime: mtime, Typeflag: tar.TypeReg,
					Data: "#!/bin/sh\necho kubectl-lightning v0.3.1 " + p.String() + "\n"},
			}
			if diff := cmp.Diff(wantFiles, readArchive(t, path)); diff != "" {
				t.Errorf("archive entries (-want +got):\n%s", diff)
			}
			if got, want := sums[name], sha256File(t, path); got != want {
				t.Errorf("checksums.txt says %s, the archive's sha256 is %s", got, want)
			}
			if got := artifacts[i].SHA256; got != sums[name] {
				t.Errorf("release returned sha256 %s, checksums.txt says %s", got, sums[name])
			}
		})
	}

	b, err := os.ReadFile(filepath.Join(cfg.OutDir, "lightning.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var m plugin
	if err := yaml.UnmarshalStrict(b, &m); err != nil {
		t.Fatalf("lightning.yaml: %v", err)
	}
	if m.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || m.Kind != "Plugin" || m.Metadata.Name != "lightning" {
		t.Errorf("manifest is %s %s %s, want krew.googlecontainertools.github.com/v1alpha2 Plugin lightning", m.APIVersion, m.Kind, m.Metadata.Name)
	}
	if m.Spec.Version != "v0.3.1" || m.Spec.Homepage != "https://github.com/lightning-operator/lightning-operator" {
		t.Errorf("spec.version %q, spec.homepage %q", m.Spec.Version, m.Spec.Homepage)
	}
	// krew-index asks for a short description of at most 50 characters.
	if n := len(m.Spec.ShortDescription); n == 0 || n > 50 || m.Spec.Description == "" {
		t.Errorf("shortDescription %q (%d characters), description %q", m.Spec.ShortDescription, n, m.Spec.Description)
	}
	if len(m.Spec.Platforms) != len(defaultPlatforms) {
		t.Fatalf("%d platforms in the manifest, want %d", len(m.Spec.Platforms), len(defaultPlatforms))
	}
	for i, pl := range m.Spec.Platforms {
		p, name := defaultPlatforms[i], names[i]
		if diff := cmp.Diff(map[string]string{"os": p.OS, "arch": p.Arch}, pl.Selector.MatchLabels); diff != "" {
			t.Errorf("platform %d selector (-want +got):\n%s", i, diff)
		}
		if want := "https://github.com/lightning-operator/lightning-operator/releases/download/v0.3.1/" + name; pl.URI != want {
			t.Errorf("platform %s uri = %s, want %s", p, pl.URI, want)
		}
		if pl.SHA256 != sums[name] {
			t.Errorf("platform %s sha256 = %s, checksums.txt says %s", p, pl.SHA256, sums[name])
		}
		if pl.Bin != "kubectl-lightning" || len(pl.Files) != 1 || pl.Files[0].From != "*" || pl.Files[0].To != "." {
			t.Errorf("platform %s: bin %q, files %+v; want kubectl-lightning and * to .", p, pl.Bin, pl.Files)
		}
	}
}

// TestReleaseIsReproducible builds twice and compares every byte.
func TestReleaseIsReproducible(t *testing.T) {
	p := []platform{{"linux", "amd64"}, {"darwin", "arm64"}}
	a, b := testConfig(t, fakeBuild, p...), testConfig(t, fakeBuild, p...)
	for _, cfg := range []config{a, b} {
		if _, err := release(context.Background(), cfg, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{archiveName("v0.3.1", p[0]), archiveName("v0.3.1", p[1]), "checksums.txt", "lightning.yaml"} {
		x, err := os.ReadFile(filepath.Join(a.OutDir, name))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b.OutDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two builds", name)
		}
	}
	// The entries' order and metadata do not depend on the order given.
	var x, y bytes.Buffer
	e := []entry{{Name: "b", Mode: 0o644, Data: []byte("b")}, {Name: "a", Mode: 0o755, Data: []byte("a")}}
	if err := writeArchive(&x, e, mtime); err != nil {
		t.Fatal(err)
	}
	if err := writeArchive(&y, []entry{e[1], e[0]}, mtime.Add(900*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x.Bytes(), y.Bytes()) {
		t.Error("writeArchive depends on the entries' order or on sub-second mtimes")
	}
}

// TestVersionVariables checks that internal/cli declares version and
// commit as package-level string variables -X can set: uninitialized or
// initialized with a constant string, not constants.
func TestVersionVariables(t *testing.T) {
	dir := filepath.Join("../..", strings.TrimPrefix(versionPkg, "github.com/lightning-operator/lightning-operator/"))
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{} // name -> why -X cannot set it, "" when it can
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					why := ""
					if typ, ok := vs.Type.(*ast.Ident); vs.Type != nil && (!ok || typ.Name != "string") {
						why = "is not a string"
					}
					if len(vs.Values) > i {
						if lit, ok := vs.Values[i].(*ast.BasicLit); !ok || lit.Kind != token.STRING {
							why = "is not initialized with a constant string"
						}
					}
					vars[id.Name] = why
				}
			}
		}
	}
	if _, ok := vars["version"]; !ok {
		if why, old := vars["Version"]; old && why == "" {
			// The form before internal/cli/version.go: one exported
			// Version and the commit from the build info only.
			t.Skipf("internal/cli still declares var Version, not version and commit: -X sets neither, and a release prints version dev until internal/cli declares them")
		}
	}
	for _, name := range []string{"version", "commit"} {
		why, ok := vars[name]
		switch {
		case !ok:
			t.Errorf("%s has no package-level var %s: -X %s.%s sets nothing", dir, name, versionPkg, name)
		case why != "":
			t.Errorf("var %s.%s %s, so -X cannot set it", versionPkg, name, why)
		}
	}
}

// TestReleaseRealBuild builds the real CLI for this machine's platform,
// twice, and runs its version command: -X reaches internal/cli.Version,
// and the binary itself is reproducible. The -trimpath build of the CLI
// and its dependencies takes minutes on a cold cache, so it runs only with
// LIGHTNING_RELEASE_BUILD=1 (make release builds the same way).
func TestReleaseRealBuild(t *testing.T) {
	if os.Getenv("LIGHTNING_RELEASE_BUILD") != "1" {
		t.Skip("set LIGHTNING_RELEASE_BUILD=1 to build the real CLI (minutes on a cold build cache)")
	}
	host := platform{runtime.GOOS, runtime.GOARCH}
	var bins []string
	// Keep each binary: release removes its work directory.
	build := func(ctx context.Context, cfg config, p platform, out string) error {
		if err := goBuild(ctx, cfg, p, out); err != nil {
			return err
		}
		b, err := os.ReadFile(out)
		if err != nil {
			return err
		}
		keep := filepath.Join(t.TempDir(), "kubectl-lightning")
		bins = append(bins, keep)
		return os.WriteFile(keep, b, 0o755)
	}
	a, b := testConfig(t, build, host), testConfig(t, build, host)
	a.Commit, b.Commit = "0123456789abcdef0123456789abcdef01234567", "0123456789abcdef0123456789abcdef01234567"
	before := sourceDigest(t)
	for _, cfg := range []config{a, b} {
		if _, err := release(context.Background(), cfg, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	name := archiveName("v0.3.1", host)
	switch same := sha256File(t, filepath.Join(a.OutDir, name)) == sha256File(t, filepath.Join(b.OutDir, name)); {
	case !same && sourceDigest(t) != before:
		t.Logf("not comparing the two builds: the module's sources changed while they ran")
	case !same:
		t.Errorf("%s differs between two builds of the real CLI", name)
	}
	out, err := exec.Command(bins[0], "version").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl-lightning version: %v: %s", err, out)
	}
	if want := "kubectl-lightning v0.3.1 (commit 0123456789ab, "; !strings.HasPrefix(string(out), want) {
		t.Errorf("kubectl-lightning version printed %q, want it to start with %q", out, want)
	}
	t.Logf("kubectl-lightning version: %s", strings.TrimSpace(string(out)))
}

// sourceDigest is a digest of the module's Go sources, go.mod and go.sum.
func sourceDigest(t *testing.T) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir("../..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "../.." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "bin" || d.Name() == "dist") {
			return filepath.SkipDir
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".go") || d.Name() == "go.mod" || d.Name() == "go.sum") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d\n", path, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestReleaseRejects(t *testing.T) {
	failing := func(context.Context, config, platform, string) error {
		return errors.New("go build for linux/amd64: cmd/kubectl-lightning/main.go:3:1: syntax error")
	}
	tests := []struct {
		name   string
		change func(*config)
		want   string
	}{
		{"no version", func(c *config) { c.Version = "" }, "-version is required, such as -version v0.1.0"},
		{"a version without v", func(c *config) { c.Version = "0.1.0" }, `version "0.1.0" is not a semantic version with a v`},
		{"a version that is not semver", func(c *config) { c.Version = "v1.2" }, `version "v1.2" is not a semantic version with a v`},
		{"a version with a path in it", func(c *config) { c.Version = "v1.2.3/../x" }, "is not a semantic version"},
		{"a commit that is not one", func(c *config) { c.Commit = "HEAD" }, `commit "HEAD" is not a git commit ID`},
		{"no platform", func(c *config) { c.Platforms = nil }, "no platform to build"},
		{"a platform twice", func(c *config) { c.Platforms = []platform{{"linux", "amd64"}, {"linux", "amd64"}} }, "platform linux/amd64 is listed twice"},
		{"no license", func(c *config) { c.License = filepath.Join(t.TempDir(), "LICENSE") }, "reading the license: open "},
		{"an output path that is a file", func(c *config) { c.OutDir = writeFile(t, "release", "") }, "is not a directory"},
		{"an output directory with other files", func(c *config) { c.OutDir = filepath.Dir(writeFile(t, "notes.md", "keep me")) },
			"holds notes.md, which is not a release file; release replaces the whole directory, so choose another -out"},
		{"a build that fails", func(c *config) { c.Build = failing }, "go build for linux/amd64: cmd/kubectl-lightning/main.go:3:1: syntax error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t, fakeBuild, platform{"linux", "amd64"})
			tt.change(&cfg)
			_, err := release(context.Background(), cfg, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one with %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is not one line", err)
			}
		})
	}
}

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReleaseReplacesTheLastOne: a release into a directory that holds an
// older one leaves only the new one; a failed release leaves the old one.
func TestReleaseReplacesTheLastOne(t *testing.T) {
	cfg := testConfig(t, fakeBuild, platform{"linux", "amd64"})
	cfg.OutDir = filepath.Join(cfg.OutDir, "dist", "release")
	old := cfg
	old.Version = "v0.3.0"
	if _, err := release(context.Background(), old, io.Discard); err != nil {
		t.Fatal(err)
	}
	failed := cfg
	failed.Build = func(context.Context, config, platform, string) error {
		return errors.New("go build for linux/amd64: boom")
	}
	if _, err := release(context.Background(), failed, io.Discard); err == nil {
		t.Fatal("a failing build made a release")
	}
	names := func() []string {
		entries, err := os.ReadDir(filepath.Dir(cfg.OutDir))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			sub, _ := os.ReadDir(filepath.Join(filepath.Dir(cfg.OutDir), e.Name()))
			for _, f := range sub {
				got = append(got, e.Name()+"/"+f.Name())
			}
		}
		return got
	}
	if diff := cmp.Diff([]string{"release/checksums.txt", "release/kubectl-lightning_v0.3.0_linux_amd64.tar.gz", "release/lightning.yaml"}, names()); diff != "" {
		t.Errorf("after a failed release (-want +got):\n%s", diff)
	}
	if _, err := release(context.Background(), cfg, io.Discard); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"release/checksums.txt", "release/kubectl-lightning_v0.3.1_linux_amd64.tar.gz", "release/lightning.yaml"}, names()); diff != "" {
		t.Errorf("after a new release (-want +got):\n%s", diff)
	}
	if fi, err := os.Stat(cfg.OutDir); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("output directory: %v, %v; want mode 0755", fi, err)
	}
}

func TestLdflags(t *testing.T) {
	tests := []struct {
		commit, want string
	}{
		{"", "-s -w -X github.com/lightning-operator/lightning-operator/internal/cli.version=v0.3.1"},
		{"0123abc", "-s -w -X github.com/lightning-operator/lightning-operator/internal/cli.version=v0.3.1 -X github.com/lightning-operator/lightning-operator/internal/cli.commit=0123abc"},
	}
	for _, tt := range tests {
		if got := ldflags(config{Version: "v0.3.1", Commit: tt.commit}); got != tt.want {
			t.Errorf("ldflags with commit %q = %q, want %q", tt.commit, got, tt.want)
		}
	}
}

func TestGoBuildErrorIsOneLine(t *testing.T) {
	cfg := testConfig(t, goBuild)
	cfg.Dir = t.TempDir() // no module here
	err := goBuild(context.Background(), cfg, platform{"linux", "amd64"}, filepath.Join(t.TempDir(), "bin"))
	if err == nil || !strings.HasPrefix(err.Error(), "go build for linux/amd64: ") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error = %q, want one line starting with %q", err, "go build for linux/amd64: ")
	}
}

func TestParseConfig(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	tests := []struct {
		name string
		args []string
		env  map[string]string
		// want is the config's version, platforms and mtime; err a part of the error.
		platforms []platform
		mtime     time.Time
		err       string
	}{
		{name: "defaults", args: []string{"-version", "v0.1.0"}, platforms: defaultPlatforms, mtime: time.Unix(0, 0).UTC()},
		{name: "SOURCE_DATE_EPOCH", args: []string{"-version", "v0.1.0"}, env: map[string]string{"SOURCE_DATE_EPOCH": "1782907200"},
			platforms: defaultPlatforms, mtime: time.Unix(1782907200, 0).UTC()},
		{name: "-mtime wins", args: []string{"-version", "v0.1.0", "-mtime", "5"}, env: map[string]string{"SOURCE_DATE_EPOCH": "1782907200"},
			platforms: defaultPlatforms, mtime: time.Unix(5, 0).UTC()},
		{name: "platforms", args: []string{"-version", "v0.1.0", "-platforms", "linux/arm64, darwin/amd64"},
			platforms: []platform{{"linux", "arm64"}, {"darwin", "amd64"}}, mtime: time.Unix(0, 0).UTC()},
		{name: "a platform without arch", args: []string{"-platforms", "linux"}, err: `platform "linux" is not OS/ARCH, such as linux/amd64`},
		{name: "a platform with two slashes", args: []string{"-platforms", "linux/arm/v7"}, err: `platform "linux/arm/v7" is not OS/ARCH`},
		{name: "a platform with a path in it", args: []string{"-platforms", "../amd64"}, err: `platform "../amd64" is not OS/ARCH`},
		{name: "a bad SOURCE_DATE_EPOCH", args: []string{"-version", "v0.1.0"}, env: map[string]string{"SOURCE_DATE_EPOCH": "yesterday"},
			err: `SOURCE_DATE_EPOCH "yesterday" is not a number of seconds since 1970`},
		{name: "a negative -mtime", args: []string{"-mtime", "-1"}, err: `-mtime "-1" is not a number of seconds since 1970`},
		{name: "an unknown flag", args: []string{"-verison", "v0.1.0"}, err: "flag provided but not defined: -verison"},
		{name: "an argument", args: []string{"-version", "v0.1.0", "extra"}, err: `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseConfig(tt.args, env(tt.env))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want one with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.platforms, cfg.Platforms); diff != "" {
				t.Errorf("platforms (-want +got):\n%s", diff)
			}
			if !cfg.ModTime.Equal(tt.mtime) || cfg.Version != "v0.1.0" || cfg.Build == nil {
				t.Errorf("mtime %v (want %v), version %q, build set %v", cfg.ModTime, tt.mtime, cfg.Version, cfg.Build != nil)
			}
		})
	}
}

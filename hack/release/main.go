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

// Command release builds the kubectl-lightning release artifacts: one
// reproducible .tar.gz per platform holding the binary and LICENSE, a
// checksums.txt (sha256) and a krew plugin manifest, lightning.yaml.
//
//	go run ./hack/release -version v0.1.0 -out dist/release
//
// `make release VERSION=v0.1.0` runs it. Two runs on the same commit give
// byte-identical archives: the binaries are built with -trimpath,
// -buildvcs=false and CGO_ENABLED=0, and the archives have sorted entries, one fixed mtime
// (SOURCE_DATE_EPOCH, or -mtime), owner 0:0 and no user or group names.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

const (
	binaryName = "kubectl-lightning"
	pluginName = "lightning"
	repoURL    = "https://github.com/lightning-operator/lightning-operator"
	cliPackage = "./cmd/kubectl-lightning"
	// versionPkg declares the variables `kubectl lightning version` prints,
	// version and commit, which -X sets.
	versionPkg = "github.com/lightning-operator/lightning-operator/internal/cli"
)

// defaultPlatforms are the platforms a release ships.
var defaultPlatforms = []platform{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}}

type platform struct{ OS, Arch string }

func (p platform) String() string { return p.OS + "/" + p.Arch }

func parsePlatform(s string) (platform, error) {
	goos, goarch, ok := strings.Cut(s, "/")
	if !ok || !goName.MatchString(goos) || !goName.MatchString(goarch) {
		return platform{}, fmt.Errorf("platform %q is not OS/ARCH, such as linux/amd64", s)
	}
	return platform{goos, goarch}, nil
}

// builder writes the CLI's binary for p to out.
type builder func(ctx context.Context, cfg config, p platform, out string) error

type config struct {
	Version string
	// Commit is the git commit built; empty, the CLI says "unknown".
	Commit string
	// Dir is the module root that go build runs in.
	Dir       string
	License   string
	OutDir    string
	Platforms []platform
	// ModTime is every archive entry's mtime.
	ModTime time.Time
	Build   builder
}

// artifact is one archive written.
type artifact struct {
	Platform platform
	Name     string
	SHA256   string
}

var (
	versionPattern = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$`)
	commitPattern  = regexp.MustCompile(`^[0-9a-f]{7,40}(-dirty)?$`)
	// goName is a GOOS or GOARCH.
	goName = regexp.MustCompile(`^[a-z0-9]+$`)
)

func (c config) validate() error {
	if c.Version == "" {
		return errors.New("-version is required, such as -version v0.1.0")
	}
	if !versionPattern.MatchString(c.Version) {
		return fmt.Errorf("version %q is not a semantic version with a v, such as v0.1.0 or v0.2.0-rc.1", c.Version)
	}
	if c.Commit != "" && !commitPattern.MatchString(c.Commit) {
		return fmt.Errorf("commit %q is not a git commit ID (7 to 40 lowercase hex digits, optionally -dirty)", c.Commit)
	}
	if len(c.Platforms) == 0 {
		return errors.New("no platform to build")
	}
	seen := map[platform]bool{}
	for _, p := range c.Platforms {
		if seen[p] {
			return fmt.Errorf("platform %s is listed twice", p)
		}
		seen[p] = true
	}
	if c.OutDir == "" {
		return errors.New("-out is required")
	}
	if c.ModTime.Unix() < 0 {
		return fmt.Errorf("mtime %d is before 1970", c.ModTime.Unix())
	}
	if c.Build == nil {
		return errors.New("no builder")
	}
	return nil
}

func archiveName(version string, p platform) string {
	return fmt.Sprintf("%s_%s_%s_%s.tar.gz", binaryName, version, p.OS, p.Arch)
}

// ldflags strips the symbol table and sets the CLI's version and commit.
func ldflags(cfg config) string {
	flags := "-s -w -X " + versionPkg + ".version=" + cfg.Version
	if cfg.Commit != "" {
		flags += " -X " + versionPkg + ".commit=" + cfg.Commit
	}
	return flags
}

// goBuild builds the CLI with go build: static (CGO_ENABLED=0), -trimpath,
// the version and commit set by -X. -buildvcs=false keeps the state of the
// work tree out of the binary: the commit is what -commit says.
func goBuild(ctx context.Context, cfg config, p platform, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags(cfg), "-o", out, cliPackage)
	cmd.Dir = cfg.Dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Arch)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.Join(strings.Fields(stderr.String()), " ")
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("go build for %s: %s", p, msg)
	}
	return nil
}

// entry is one file of an archive.
type entry struct {
	Name string
	Mode int64
	Data []byte
}

// writeArchive writes a reproducible .tar.gz of entries: sorted by name,
// every mtime modTime, owner 0:0 without names, a gzip header without name
// or time.
func writeArchive(w io.Writer, entries []entry, modTime time.Time) error {
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b entry) int { return strings.Compare(a.Name, b.Name) })
	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	for _, e := range sorted {
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     e.Name,
			Mode:     e.Mode,
			Size:     int64(len(e.Data)),
			ModTime:  modTime.UTC().Truncate(time.Second),
			Format:   tar.FormatUSTAR,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("archiving %s: %w", e.Name, err)
		}
		if _, err := tw.Write(e.Data); err != nil {
			return fmt.Errorf("archiving %s: %w", e.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// The krew plugin manifest (krew.googlecontainertools.github.com/v1alpha2).
type krewPlugin struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Metadata   krewMetadata `json:"metadata"`
	Spec       krewSpec     `json:"spec"`
}

type krewMetadata struct {
	Name string `json:"name"`
}

type krewSpec struct {
	Version          string         `json:"version"`
	Homepage         string         `json:"homepage"`
	ShortDescription string         `json:"shortDescription"`
	Description      string         `json:"description"`
	Caveats          string         `json:"caveats,omitempty"`
	Platforms        []krewPlatform `json:"platforms"`
}

type krewPlatform struct {
	Selector krewSelector `json:"selector"`
	URI      string       `json:"uri"`
	SHA256   string       `json:"sha256"`
	Bin      string       `json:"bin"`
	Files    []krewFile   `json:"files"`
}

type krewSelector struct {
	MatchLabels map[string]string `json:"matchLabels"`
}

type krewFile struct {
	From string `json:"from"`
	To   string `json:"to"`
}

func krewManifest(version string, artifacts []artifact) ([]byte, error) {
	m := krewPlugin{
		APIVersion: "krew.googlecontainertools.github.com/v1alpha2",
		Kind:       "Plugin",
		Metadata:   krewMetadata{Name: pluginName},
		Spec: krewSpec{
			Version:          version,
			Homepage:         repoURL,
			ShortDescription: "Run Lightning Apps with sealed secrets",
			Description: "kubectl lightning brings Lightning's app commands to Kubernetes with the\n" +
				"lightning-operator: it turns `run app app.py --cloud --env K=V --secret K=NAME`\n" +
				"into a LightningApp, seals secret values to the operator's key (offline too,\n" +
				"for GitOps), and lists, stops and deletes apps and shows their logs.\n",
			Caveats: "This plugin needs the lightning-operator installed in the cluster:\n" +
				"  " + repoURL + "\n",
		},
	}
	for _, a := range artifacts {
		m.Spec.Platforms = append(m.Spec.Platforms, krewPlatform{
			Selector: krewSelector{MatchLabels: map[string]string{"os": a.Platform.OS, "arch": a.Platform.Arch}},
			URI:      fmt.Sprintf("%s/releases/download/%s/%s", repoURL, version, a.Name),
			SHA256:   a.SHA256,
			Bin:      binaryName,
			Files:    []krewFile{{From: "*", To: "."}},
		})
	}
	return yaml.Marshal(m)
}

func checksums(artifacts []artifact) []byte {
	sorted := slices.Clone(artifacts)
	slices.SortFunc(sorted, func(a, b artifact) int { return strings.Compare(a.Name, b.Name) })
	var b bytes.Buffer
	for _, a := range sorted {
		fmt.Fprintf(&b, "%s  %s\n", a.SHA256, a.Name)
	}
	return b.Bytes()
}

// release builds every platform's archive, checksums.txt and
// lightning.yaml, and returns the archives. They are written to a new
// directory beside cfg.OutDir, which replaces cfg.OutDir once all are
// written: a failed run leaves the last release as it was, and no archive
// of an older version stays behind.
func release(ctx context.Context, cfg config, log io.Writer) ([]artifact, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	license, err := os.ReadFile(cfg.License)
	if err != nil {
		return nil, fmt.Errorf("reading the license: %w", err)
	}
	if err := checkReplaceable(cfg.OutDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(cfg.OutDir), 0o755); err != nil {
		return nil, fmt.Errorf("making the output directory: %w", err)
	}
	stage, err := os.MkdirTemp(filepath.Dir(cfg.OutDir), ".release-")
	if err != nil {
		return nil, fmt.Errorf("making the output directory: %w", err)
	}
	defer os.RemoveAll(stage)
	if err := os.Chmod(stage, 0o755); err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "kubectl-lightning-release-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)

	var artifacts []artifact
	for _, p := range cfg.Platforms {
		bin := filepath.Join(work, p.OS+"_"+p.Arch, binaryName)
		if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
			return nil, err
		}
		if err := cfg.Build(ctx, cfg, p, bin); err != nil {
			return nil, err
		}
		data, err := os.ReadFile(bin)
		if err != nil {
			return nil, fmt.Errorf("reading the binary for %s: %w", p, err)
		}
		var archive bytes.Buffer
		if err := writeArchive(&archive, []entry{
			{Name: binaryName, Mode: 0o755, Data: data},
			{Name: "LICENSE", Mode: 0o644, Data: license},
		}, cfg.ModTime); err != nil {
			return nil, fmt.Errorf("archiving %s: %w", p, err)
		}
		a := artifact{Platform: p, Name: archiveName(cfg.Version, p)}
		sum := sha256.Sum256(archive.Bytes())
		a.SHA256 = hex.EncodeToString(sum[:])
		if err := os.WriteFile(filepath.Join(stage, a.Name), archive.Bytes(), 0o644); err != nil {
			return nil, fmt.Errorf("writing %s: %w", a.Name, err)
		}
		artifacts = append(artifacts, a)
	}

	manifest, err := krewManifest(cfg.Version, artifacts)
	if err != nil {
		return nil, fmt.Errorf("writing the krew manifest: %w", err)
	}
	for name, data := range map[string][]byte{checksumsFile: checksums(artifacts), manifestFile: manifest} {
		if err := os.WriteFile(filepath.Join(stage, name), data, 0o644); err != nil {
			return nil, fmt.Errorf("writing %s: %w", name, err)
		}
	}
	if err := os.RemoveAll(cfg.OutDir); err != nil {
		return nil, fmt.Errorf("removing the last release: %w", err)
	}
	if err := os.Rename(stage, cfg.OutDir); err != nil {
		return nil, fmt.Errorf("moving the release into place: %w", err)
	}
	for _, a := range artifacts {
		fmt.Fprintf(log, "Wrote %s (sha256 %s)\n", filepath.Join(cfg.OutDir, a.Name), a.SHA256)
	}
	fmt.Fprintf(log, "Wrote %s and %s\n", filepath.Join(cfg.OutDir, checksumsFile), filepath.Join(cfg.OutDir, manifestFile))
	return artifacts, nil
}

const (
	checksumsFile = "checksums.txt"
	manifestFile  = pluginName + ".yaml"
)

// isReleaseFile says whether name is a file release writes.
func isReleaseFile(name string) bool {
	if name == checksumsFile || name == manifestFile {
		return true
	}
	return strings.HasPrefix(name, binaryName+"_") && strings.HasSuffix(name, ".tar.gz")
}

// checkReplaceable refuses an output directory that holds anything but a
// release: release replaces it whole.
func checkReplaceable(dir string) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the output directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("output %s is not a directory", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reading the output directory: %w", err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !isReleaseFile(e.Name()) {
			return fmt.Errorf("output directory %s holds %s, which is not a release file; release replaces the whole directory, so choose another -out", dir, e.Name())
		}
	}
	return nil
}

// parseConfig reads the flags; SOURCE_DATE_EPOCH (getenv) is the default mtime.
func parseConfig(args []string, getenv func(string) string) (config, error) {
	fs := flag.NewFlagSet("release", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg := config{Build: goBuild}
	var platforms, mtime string
	fs.StringVar(&cfg.Version, "version", "", "the release's version, such as v0.1.0")
	fs.StringVar(&cfg.Commit, "commit", "", "the git commit built, as the version command prints it")
	fs.StringVar(&cfg.OutDir, "out", filepath.Join("dist", "release"), "the directory to write the artifacts to")
	fs.StringVar(&cfg.Dir, "dir", ".", "the module root to build in")
	fs.StringVar(&cfg.License, "license", "LICENSE", "the license file to put in every archive")
	fs.StringVar(&platforms, "platforms", "", "comma-separated OS/ARCH list (default linux/amd64,linux/arm64,darwin/amd64,darwin/arm64)")
	fs.StringVar(&mtime, "mtime", "", "the archive entries' mtime, in seconds since 1970 (default $SOURCE_DATE_EPOCH, else 0)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg.Platforms = defaultPlatforms
	if platforms != "" {
		cfg.Platforms = nil
		for _, s := range strings.Split(platforms, ",") {
			p, err := parsePlatform(strings.TrimSpace(s))
			if err != nil {
				return config{}, err
			}
			cfg.Platforms = append(cfg.Platforms, p)
		}
	}
	from := "-mtime"
	if mtime == "" {
		mtime, from = getenv("SOURCE_DATE_EPOCH"), "SOURCE_DATE_EPOCH"
	}
	if mtime != "" {
		secs, err := strconv.ParseInt(mtime, 10, 64)
		if err != nil || secs < 0 {
			return config{}, fmt.Errorf("%s %q is not a number of seconds since 1970", from, mtime)
		}
		cfg.ModTime = time.Unix(secs, 0).UTC()
	} else {
		cfg.ModTime = time.Unix(0, 0).UTC()
	}
	return cfg, nil
}

func main() {
	cfg, err := parseConfig(os.Args[1:], os.Getenv)
	if err == nil {
		_, err = release(context.Background(), cfg, os.Stdout)
	}
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "usage: go run ./hack/release -version v0.1.0 [-commit SHA] [-out dist/release] [-platforms linux/amd64,...] [-mtime SECONDS]")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "release: "+err.Error())
		os.Exit(1)
	}
}

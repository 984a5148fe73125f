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

// Package images builds the local node's images from the Go programs
// beside it, without a registry: each program is compiled statically and
// written as an OCI image-layout tarball (go-containerregistry, through
// internal/imagelayout) that localcluster imports into the node's containerd.
package images

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/lightning-operator/lightning-operator/internal/imagelayout"
	"github.com/lightning-operator/lightning-operator/test/localcluster"
)

// DemoApp is the image of the demo's and the e2e suite's Flow and Work
// processes; its entrypoint is DemoAppCommand.
const (
	DemoApp        = "lightning.local/demo-app:dev"
	DemoAppCommand = "/lightning-demo-app"
)

// nonRoot is the user the images run as (distroless' nonroot).
const nonRoot = "65532:65532"

type program struct {
	pkg, binary, name string
}

var programs = []program{
	{pkg: "./test/images/pause", binary: "/pause", name: localcluster.PauseImage},
	{pkg: "./test/images/demo-app", binary: DemoAppCommand, name: DemoApp},
}

// Build compiles the programs and writes pause.tar and demo-app.tar into
// outDir, returning their paths. repoRoot is the module's root.
func Build(ctx context.Context, repoRoot, outDir string) ([]string, error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	var tarballs []string
	for _, p := range programs {
		name := filepath.Base(p.pkg)
		bin := filepath.Join(outDir, name)
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", bin, p.pkg)
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build %s: %v\n%s", p.pkg, err, out)
		}
		data, err := os.ReadFile(bin)
		if err != nil {
			return nil, err
		}
		img, err := imagelayout.Image(runtime.GOARCH, v1.Config{Entrypoint: []string{p.binary}, User: nonRoot},
			imagelayout.File{Path: p.binary, Mode: 0o755, Data: data})
		if err != nil {
			return nil, err
		}
		tarball := filepath.Join(outDir, name+".tar")
		f, err := os.Create(tarball)
		if err != nil {
			return nil, err
		}
		if err := imagelayout.Write(f, p.name, img); err != nil {
			f.Close()
			return nil, fmt.Errorf("writing %s: %w", tarball, err)
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
		_ = os.Remove(bin)
		tarballs = append(tarballs, tarball)
	}
	return tarballs, nil
}

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

// Package kmsimage builds the image of the KMS v2 test plugin
// (test/kmsplugin) for the e2e suite's node. It is apart from package
// images, which make demo's tools link, since it needs kmstest (testing).
package kmsimage

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/lightning-operator/lightning-operator/internal/imagelayout"
	"github.com/lightning-operator/lightning-operator/internal/kms/kmstest"
)

// The image: test/kmsplugin (cgo) with SoftHSM's module, the shared
// libraries both load, and a SoftHSM configuration whose token directory,
// TokenDir, a pod mounts.
const (
	Name     = "lightning.local/kmsplugin:dev"
	TokenDir = "/var/lib/softhsm/tokens"
	command  = "/kmsplugin"
	conf     = "/etc/softhsm2.conf"
	// nonRoot is the user it runs as, the manager's (distroless' nonroot).
	nonRoot = "65532:65532"
)

// Build builds test/kmsplugin into outDir and writes its image
// there as kmsplugin.tar, for a node to import; it returns the tarball and
// the binary, which runs on this host too. It needs softhsm2 and cgo: the
// image holds this host's SoftHSM module and the libraries that ldd finds
// for it and the plugin, at the paths ldd prints.
func Build(ctx context.Context, outDir string) (tarball, binary string, err error) {
	module, ok := kmstest.SoftHSMModule()
	if !ok {
		return "", "", errors.New(kmstest.SkipMessage)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", "", err
	}
	binary = filepath.Join(outDir, "kmsplugin")
	if err := kmstest.BuildPlugin(ctx, binary); err != nil {
		return "", "", err
	}
	files := []imagelayout.File{{Path: conf, Mode: 0o644, Data: kmstest.SoftHSMConf(TokenDir)}}
	seen := map[string]bool{}
	for _, f := range []struct{ host, image string }{{binary, command}, {module, module}} {
		data, err := os.ReadFile(f.host)
		if err != nil {
			return "", "", err
		}
		files = append(files, imagelayout.File{Path: f.image, Mode: 0o755, Data: data})
		seen[f.image] = true
		libs, err := sharedLibraries(ctx, f.host)
		if err != nil {
			return "", "", err
		}
		for _, lib := range libs {
			if seen[lib] {
				continue
			}
			seen[lib] = true
			data, err := os.ReadFile(lib) // through the symlink to the library
			if err != nil {
				return "", "", err
			}
			files = append(files, imagelayout.File{Path: lib, Mode: 0o755, Data: data})
		}
	}
	img, err := imagelayout.Image(runtime.GOARCH, v1.Config{
		Entrypoint: []string{command, "--module=" + module},
		Env:        []string{"SOFTHSM2_CONF=" + conf},
		User:       nonRoot,
	}, files...)
	if err != nil {
		return "", "", err
	}
	tarball = filepath.Join(outDir, "kmsplugin.tar")
	f, err := os.Create(tarball)
	if err != nil {
		return "", "", err
	}
	if err := imagelayout.Write(f, Name, img); err != nil {
		f.Close()
		return "", "", fmt.Errorf("writing %s: %w", tarball, err)
	}
	return tarball, binary, f.Close()
}

// sharedLibraries are the absolute paths of the libraries ldd says file
// loads, the dynamic loader among them.
func sharedLibraries(ctx context.Context, file string) ([]string, error) {
	out, err := exec.CommandContext(ctx, "ldd", file).Output()
	if err != nil {
		return nil, fmt.Errorf("ldd %s: %w", file, err)
	}
	return parseLDD(out)
}

// parseLDD reads ldd's lines: "libc.so.6 => /lib/.../libc.so.6 (0x…)",
// "/lib64/ld-linux-x86-64.so.2 (0x…)", and the vDSO, which has no file.
func parseLDD(out []byte) ([]string, error) {
	var libs []string
	s := bufio.NewScanner(bytes.NewReader(out))
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" {
			continue
		}
		if _, target, ok := strings.Cut(line, "=>"); ok {
			line = strings.TrimSpace(target)
		}
		path, _, _ := strings.Cut(line, " ")
		switch {
		case path == "not":
			return nil, fmt.Errorf("ldd: a library is missing: %s", s.Text())
		case strings.HasPrefix(path, "/"):
			libs = append(libs, path)
		case strings.HasPrefix(path, "linux-vdso") || strings.HasPrefix(path, "("):
		default:
			return nil, fmt.Errorf("ldd: cannot read the line %q", s.Text())
		}
	}
	return libs, s.Err()
}

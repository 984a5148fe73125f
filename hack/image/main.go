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

// Command image builds the manager's image without Docker: the static
// manager binary, the CA certificates and the non-root user 65532, as a
// reproducible OCI image-layout tarball (go-containerregistry, through
// internal/imagelayout) that a node's containerd imports and a registry
// client pushes.
//
//	go run ./hack/image --name ghcr.io/lightning-operator/lightning-operator:v0.1.0 --out bin/images/manager.tar
//
// --manager-out also keeps the binary it put in the image: the e2e suite
// runs that one on the host, so the manager is built once.
//
// The Dockerfile builds the same binary, for those who have Docker.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/lightning-operator/lightning-operator/internal/imagelayout"
)

// nonRoot is distroless' nonroot user, which config/manager expects.
const nonRoot = "65532:65532"

// caBundle is where the image keeps the CA certificates, Debian's path,
// which Go's crypto/x509 reads on Linux.
const caBundle = "/etc/ssl/certs/ca-certificates.crt"

func main() {
	name := flag.String("name", "", "image reference, with a domain and a tag (IMG)")
	out := flag.String("out", "bin/images/manager.tar", "the OCI image-layout tarball to write")
	arch := flag.String("arch", runtime.GOARCH, "GOARCH of the binary and the image")
	cas := flag.String("ca-certificates", caBundle, "PEM bundle of CA certificates to copy into the image")
	managerOut := flag.String("manager-out", "", "also write the manager binary the image holds to this path")
	flag.Parse()
	if err := run(context.Background(), *name, *out, *arch, *cas, *managerOut); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, name, out, arch, cas, managerOut string) error {
	if err := checkName(name); err != nil {
		return err
	}
	certs, err := os.ReadFile(cas)
	if err != nil {
		return fmt.Errorf("reading the CA certificates: %w (on Debian: apt-get install ca-certificates)", err)
	}
	if !strings.Contains(string(certs), "BEGIN CERTIFICATE") {
		return fmt.Errorf("%s holds no PEM certificate", cas)
	}
	bin, err := buildManager(ctx, arch)
	if err != nil {
		return err
	}
	img, err := managerImage(arch, bin, certs)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := imagelayout.Write(f, name, img); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", out, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Printf("Wrote %s (%s, linux/%s)\n", out, name, arch)
	if managerOut != "" {
		if err := os.MkdirAll(filepath.Dir(managerOut), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(managerOut, bin, 0o755); err != nil {
			return fmt.Errorf("writing the manager binary: %w", err)
		}
		fmt.Printf("Wrote %s (the image's /manager)\n", managerOut)
	}
	return nil
}

// checkName wants a reference with a domain and a tag, as containerd
// imports it.
func checkName(name string) error {
	slash := strings.IndexByte(name, '/')
	colon := strings.LastIndexByte(name, ':')
	if name == "" || slash <= 0 || !strings.Contains(name[:slash], ".") && !strings.Contains(name[:slash], ":") && name[:slash] != "localhost" || colon < slash {
		return fmt.Errorf("--name %q must be a full reference with a domain and a tag, like ghcr.io/lightning-operator/lightning-operator:v0.1.0", name)
	}
	return nil
}

// managerImage is the image of the manager binary bin.
func managerImage(arch string, bin, certs []byte) (v1.Image, error) {
	return imagelayout.Image(arch, v1.Config{
		Entrypoint: []string{"/manager"},
		User:       nonRoot,
		Env:        []string{"SSL_CERT_FILE=" + caBundle},
	},
		imagelayout.File{Path: "/manager", Mode: 0o755, Data: bin},
		imagelayout.File{Path: caBundle, Mode: 0o644, Data: certs},
	)
}

// buildManager compiles the manager statically and reproducibly.
func buildManager(ctx context.Context, arch string) ([]byte, error) {
	dir, err := os.MkdirTemp("", "manager-image-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "manager")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	if out, err := cmd.CombinedOutput(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return nil, fmt.Errorf("go build of the manager failed:\n%s", out)
		}
		return nil, fmt.Errorf("go build: %w", err)
	}
	return os.ReadFile(bin)
}

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
	"bytes"
	"io"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/lightning-operator/lightning-operator/internal/imagelayout"
)

func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{
		"ghcr.io/lightning-operator/lightning-operator:v0.1.0": true,
		"lightning.local/manager:dev":                          true,
		"localhost:5000/manager:dev":                           true,
		"localhost/manager:dev":                                true,
		"":                                                     false,
		"manager:dev":                                          false,
		"lightning-operator/manager:dev":                       false,
		"ghcr.io/lightning-operator/lightning-operator":        false,
	} {
		if err := checkName(name); (err == nil) != ok {
			t.Errorf("checkName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

// The image holds the binary and the CA bundle, runs as 65532, and two
// builds have the same digest and write the same bytes.
func TestManagerImage(t *testing.T) {
	build := func() (v1.Image, []byte) {
		t.Helper()
		img, err := managerImage("amd64", []byte("\x7fELF manager"), []byte("-----BEGIN CERTIFICATE-----\n"))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := imagelayout.Write(&buf, "lightning.local/manager:dev", img); err != nil {
			t.Fatal(err)
		}
		return img, buf.Bytes()
	}
	img, a := build()
	again, b := build()
	da, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if db, _ := again.Digest(); da != db || !bytes.Equal(a, b) {
		t.Fatalf("two builds differ: %s, %s", da, db)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if c.User != "65532:65532" || len(c.Entrypoint) != 1 || c.Entrypoint[0] != "/manager" || cf.Architecture != "amd64" || cf.OS != "linux" {
		t.Errorf("config = %+v", cf)
	}
	if len(c.Env) != 1 || c.Env[0] != "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" {
		t.Errorf("env = %v", c.Env)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers = %d, %v", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	files := map[string]int64{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = h.Mode
	}
	if files["manager"] != 0o755 || files["etc/ssl/certs/ca-certificates.crt"] != 0o644 {
		t.Errorf("layer files and modes = %v", files)
	}
}

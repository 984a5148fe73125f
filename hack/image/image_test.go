package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/lightning-operator/lightning-operator/internal/ociimage"
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
// writes are byte-identical.
func TestManagerImage(t *testing.T) {
	img := managerImage("lightning.local/manager:dev", "amd64", []byte("\x7fELF manager"), []byte("-----BEGIN CERTIFICATE-----\n"))
	var a, b bytes.Buffer
	if err := ociimage.Write(&a, img); err != nil {
		t.Fatal(err)
	}
	if err := ociimage.Write(&b, img); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two writes of the same image differ")
	}
	blobs := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(a.Bytes()))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		blobs[h.Name] = data
	}
	var config struct {
		Config struct {
			User       string
			Entrypoint []string
			Env        []string
		} `json:"config"`
		Architecture string `json:"architecture"`
	}
	found := false
	for name, data := range blobs {
		if !strings.HasPrefix(name, "blobs/sha256/") || json.Unmarshal(data, &config) != nil || config.Config.User == "" {
			continue
		}
		found = true
	}
	if !found {
		t.Fatal("no image config blob")
	}
	if config.Config.User != "65532:65532" || len(config.Config.Entrypoint) != 1 || config.Config.Entrypoint[0] != "/manager" || config.Architecture != "amd64" {
		t.Errorf("config = %+v", config)
	}
	if len(config.Config.Env) != 1 || config.Config.Env[0] != "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" {
		t.Errorf("env = %v", config.Config.Env)
	}
	var layer bool
	for _, data := range blobs {
		if bytes.Contains(data, []byte("\x7fELF manager")) || bytes.Contains(data, []byte{0x1f, 0x8b}) {
			layer = true
		}
	}
	if !layer {
		t.Error("no layer holds the manager")
	}
}

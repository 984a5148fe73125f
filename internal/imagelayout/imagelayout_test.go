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

package imagelayout

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

const demoName = "lightning.local/demo-app:dev"

var (
	demoConfig = v1.Config{Entrypoint: []string{"/usr/local/bin/demo"}, Env: []string{"PATH=/usr/local/bin"}, User: "65532:65532"}
	demoFiles  = []File{
		{Path: "/usr/local/bin/demo", Mode: 0o755, Data: []byte("#!binary")},
		{Path: "/etc/passwd", Mode: 0o644, Data: []byte("nonroot:x:65532:65532::/:/sbin/nologin\n")},
	}
)

func build(t *testing.T, files ...File) v1.Image {
	t.Helper()
	img, err := Image("amd64", demoConfig, files...)
	if err != nil {
		t.Fatalf("Image: %v", err)
	}
	return img
}

func write(t *testing.T, img v1.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, demoName, img); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

// untar unpacks an archive into a new directory, as an importer reads it.
func untar(t *testing.T, archive []byte) string {
	t.Helper()
	dir := t.TempDir()
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return dir
		}
		if err != nil {
			t.Fatalf("reading the archive: %v", err)
		}
		if h.ModTime.Unix() != 0 || h.Uid != 0 {
			t.Errorf("%s: mtime %v uid %d", h.Name, h.ModTime, h.Uid)
		}
		p := filepath.Join(dir, h.Name)
		if h.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		data, _ := io.ReadAll(tr)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// The tarball is an OCI image layout that go-containerregistry reads back
// whole (every blob against its digest), named as containerd imports it.
func TestWriteIsAnImageLayout(t *testing.T) {
	idx, err := layout.ImageIndexFromPath(untar(t, write(t, build(t, demoFiles...))))
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 {
		t.Fatalf("index has %d manifests, want 1", len(im.Manifests))
	}
	m := im.Manifests[0]
	if diff := cmp.Diff(map[string]string{AnnotationContainerdName: demoName, AnnotationRefName: "dev"}, m.Annotations); diff != "" {
		t.Errorf("index annotations (-want +got):\n%s", diff)
	}
	if m.MediaType != types.OCIManifestSchema1 || m.Platform == nil || m.Platform.OS != "linux" || m.Platform.Architecture != "amd64" {
		t.Errorf("index entry = %+v", m)
	}
	img, err := idx.Image(m.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(img); err != nil {
		t.Fatalf("validate: %v", err)
	}
	manifest, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if manifest.Config.MediaType != types.OCIConfigJSON || len(manifest.Layers) != 1 || manifest.Layers[0].MediaType != types.OCILayer {
		t.Errorf("manifest = %+v", manifest)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(demoConfig, cf.Config); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}

	// Parent directories come first, then the files, sorted.
	layers, _ := img.Layers()
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var names []string
	data := map[string]string{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		names = append(names, fmt.Sprintf("%s %o", h.Name, h.Mode))
		data[h.Name] = string(b)
		if h.ModTime.Unix() != 0 || h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s: mtime %v uid %d gid %d", h.Name, h.ModTime, h.Uid, h.Gid)
		}
	}
	want := []string{"etc/ 755", "etc/passwd 644", "usr/ 755", "usr/local/ 755", "usr/local/bin/ 755", "usr/local/bin/demo 755"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("layer entries (-want +got):\n%s", diff)
	}
	if data["usr/local/bin/demo"] != "#!binary" {
		t.Errorf("demo's content = %q", data["usr/local/bin/demo"])
	}
}

// Two builds of the same files give the same digest and the same bytes,
// whatever the order of the files; other content gives another digest.
func TestReproducible(t *testing.T) {
	digest := func(img v1.Image) v1.Hash {
		t.Helper()
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	a, b := build(t, demoFiles...), build(t, demoFiles[1], demoFiles[0])
	if digest(a) != digest(b) {
		t.Fatalf("two builds differ: %s, %s", digest(a), digest(b))
	}
	if !bytes.Equal(write(t, a), write(t, b)) {
		t.Fatal("two writes of the same image differ")
	}
	other := build(t, File{Path: "/usr/local/bin/demo", Mode: 0o755, Data: []byte("other")}, demoFiles[1])
	if digest(other) == digest(a) {
		t.Fatal("other content gave the same digest")
	}
}

func TestRefusesBadImages(t *testing.T) {
	file := File{Path: "/pause", Mode: 0o755, Data: []byte("x")}
	for _, tc := range []struct {
		name, ref string
		files     []File
		wantErr   string
	}{
		{"no tag", "lightning.local/pause", []File{file}, "must be DOMAIN/PATH:TAG"},
		{"no domain", "pause:dev", []File{file}, "must be DOMAIN/PATH:TAG"},
		{"domain without a dot", "library/pause:dev", []File{file}, "must be DOMAIN/PATH:TAG"},
		{"port without a tag", "localhost:5000/pause", []File{file}, "must be DOMAIN/PATH:TAG"},
		{"no files", "lightning.local/pause:dev", nil, "at least one file"},
		{"relative path", "lightning.local/pause:dev", []File{{Path: "pause"}}, "absolute and clean"},
		{"unclean path", "lightning.local/pause:dev", []File{{Path: "/a/../pause"}}, "absolute and clean"},
		{"twice", "lightning.local/pause:dev", []File{file, file}, "appears twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Image("amd64", v1.Config{}, tc.files...)
			if err == nil {
				err = Write(io.Discard, tc.ref, img)
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
	for _, ref := range []string{"localhost:5000/pause:dev", "localhost/pause:dev"} {
		if err := Write(io.Discard, ref, build(t, file)); err != nil {
			t.Errorf("%s: %v", ref, err)
		}
	}
}

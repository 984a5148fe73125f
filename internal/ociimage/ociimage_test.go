package ociimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// layout is a read-back image: every blob checked against its digest.
type layout struct {
	index    Index
	manifest Manifest
	config   Config
	files    map[string]*tar.Header
	data     map[string]string
	entries  []string
}

// readLayout parses an image-layout tarball the way an importer does:
// oci-layout, index.json, then the manifest, config and layer by digest.
func readLayout(t *testing.T, archive []byte) layout {
	t.Helper()
	blobs := map[string][]byte{}
	var l layout
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading the archive: %v", err)
		}
		l.entries = append(l.entries, h.Name)
		data, _ := io.ReadAll(tr)
		blobs[h.Name] = data
	}
	if got := string(blobs["oci-layout"]); got != `{"imageLayoutVersion":"1.0.0"}` {
		t.Fatalf("oci-layout = %q", got)
	}
	blob := func(d Descriptor) []byte {
		t.Helper()
		data, ok := blobs["blobs/sha256/"+strings.TrimPrefix(d.Digest, "sha256:")]
		if !ok {
			t.Fatalf("no blob %s", d.Digest)
		}
		sum := sha256.Sum256(data)
		if "sha256:"+hex.EncodeToString(sum[:]) != d.Digest || int64(len(data)) != d.Size {
			t.Fatalf("blob %s does not match its descriptor (size %d, want %d)", d.Digest, len(data), d.Size)
		}
		return data
	}
	mustJSON(t, blobs["index.json"], &l.index)
	if len(l.index.Manifests) != 1 {
		t.Fatalf("index has %d manifests, want 1", len(l.index.Manifests))
	}
	mustJSON(t, blob(l.index.Manifests[0]), &l.manifest)
	mustJSON(t, blob(l.manifest.Config), &l.config)
	if len(l.manifest.Layers) != 1 {
		t.Fatalf("manifest has %d layers, want 1", len(l.manifest.Layers))
	}
	zr, err := gzip.NewReader(bytes.NewReader(blob(l.manifest.Layers[0])))
	if err != nil {
		t.Fatalf("layer is not gzip: %v", err)
	}
	layerTar, _ := io.ReadAll(zr)
	sum := sha256.Sum256(layerTar)
	if got, want := "sha256:"+hex.EncodeToString(sum[:]), l.config.RootFS.DiffIDs[0]; got != want {
		t.Fatalf("layer diff ID = %s, config says %s", got, want)
	}
	l.files, l.data = map[string]*tar.Header{}, map[string]string{}
	lr := tar.NewReader(bytes.NewReader(layerTar))
	for {
		h, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading the layer: %v", err)
		}
		data, _ := io.ReadAll(lr)
		l.files[h.Name], l.data[h.Name] = h, string(data)
	}
	return l
}

func mustJSON(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decoding %T: %v", v, err)
	}
}

func write(t *testing.T, img Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, img); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

var demo = Image{
	Name:       "lightning.local/demo-app:dev",
	Entrypoint: []string{"/usr/local/bin/demo"},
	Env:        []string{"PATH=/usr/local/bin"},
	User:       "65532:65532",
	Files: []File{
		{Path: "/usr/local/bin/demo", Mode: 0o755, Data: []byte("#!binary")},
		{Path: "/etc/passwd", Mode: 0o644, Data: []byte("nonroot:x:65532:65532::/:/sbin/nologin\n")},
	},
}

func TestWriteIsAnImageLayout(t *testing.T) {
	l := readLayout(t, write(t, demo))

	m := l.index.Manifests[0]
	if diff := cmp.Diff(map[string]string{AnnotationContainerdName: "lightning.local/demo-app:dev", AnnotationRefName: "dev"}, m.Annotations); diff != "" {
		t.Errorf("index annotations (-want +got):\n%s", diff)
	}
	if m.MediaType != MediaTypeManifest || m.Platform == nil || m.Platform.OS != "linux" {
		t.Errorf("index entry = %+v", m)
	}
	if l.manifest.Config.MediaType != MediaTypeConfig || l.manifest.Layers[0].MediaType != MediaTypeLayer {
		t.Errorf("manifest media types = %s, %s", l.manifest.Config.MediaType, l.manifest.Layers[0].MediaType)
	}
	want := ContainerConfig{User: "65532:65532", Env: []string{"PATH=/usr/local/bin"}, Entrypoint: []string{"/usr/local/bin/demo"}}
	if diff := cmp.Diff(want, l.config.Config); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}

	// Parent directories come first, then the files, sorted.
	var names []string
	for name := range l.files {
		names = append(names, name)
	}
	wantFiles := map[string]int64{"etc/": 0o755, "etc/passwd": 0o644, "usr/": 0o755, "usr/local/": 0o755, "usr/local/bin/": 0o755, "usr/local/bin/demo": 0o755}
	if len(l.files) != len(wantFiles) {
		t.Errorf("layer holds %v, want %d entries", names, len(wantFiles))
	}
	for name, mode := range wantFiles {
		h := l.files[name]
		if h == nil {
			t.Errorf("layer lacks %s", name)
			continue
		}
		if h.Mode != mode || h.Uid != 0 || !h.ModTime.Equal(h.ModTime.Truncate(0)) || h.ModTime.Unix() != 0 {
			t.Errorf("%s: mode %o uid %d mtime %v", name, h.Mode, h.Uid, h.ModTime)
		}
	}
	if l.data["usr/local/bin/demo"] != "#!binary" {
		t.Errorf("demo's content = %q", l.data["usr/local/bin/demo"])
	}
}

func TestWriteIsReproducible(t *testing.T) {
	a, b := write(t, demo), write(t, demo)
	if !bytes.Equal(a, b) {
		t.Fatal("two writes of the same image differ")
	}
	// The order of Files does not matter.
	swapped := demo
	swapped.Files = []File{demo.Files[1], demo.Files[0]}
	if !bytes.Equal(a, write(t, swapped)) {
		t.Fatal("the order of Files changed the image")
	}
	changed := demo
	changed.Files = append([]File{{Path: "/usr/local/bin/demo", Mode: 0o755, Data: []byte("other")}}, demo.Files[1])
	if bytes.Equal(a, write(t, changed)) {
		t.Fatal("other content gave the same image")
	}
}

func TestWriteRefusesBadImages(t *testing.T) {
	file := []File{{Path: "/pause", Mode: 0o755, Data: []byte("x")}}
	for _, tc := range []struct {
		name    string
		img     Image
		wantErr string
	}{
		{"no tag", Image{Name: "lightning.local/pause", Files: file}, "must be DOMAIN/PATH:TAG"},
		{"no domain", Image{Name: "pause:dev", Files: file}, "must be DOMAIN/PATH:TAG"},
		{"domain without a dot", Image{Name: "library/pause:dev", Files: file}, "must be DOMAIN/PATH:TAG"},
		{"port without a tag", Image{Name: "localhost:5000/pause", Files: file}, "must be DOMAIN/PATH:TAG"},
		{"no files", Image{Name: "lightning.local/pause:dev"}, "at least one file"},
		{"relative path", Image{Name: "lightning.local/pause:dev", Files: []File{{Path: "pause"}}}, "absolute and clean"},
		{"unclean path", Image{Name: "lightning.local/pause:dev", Files: []File{{Path: "/a/../pause"}}}, "absolute and clean"},
		{"twice", Image{Name: "lightning.local/pause:dev", Files: append(file, file...)}, "appears twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Write(io.Discard, tc.img)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Write = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
	if err := Write(io.Discard, Image{Name: "localhost:5000/pause:dev", Files: file}); err != nil {
		t.Errorf("a registry with a port: %v", err)
	}
}

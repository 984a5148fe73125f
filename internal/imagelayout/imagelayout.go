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

// Package imagelayout builds one-layer container images from files with
// go-containerregistry and writes them as OCI image-layout tarballs, the
// format `ctr images import` takes, without a registry or a Docker engine.
//
// It is the glue go-containerregistry leaves to its callers: a layer from
// in-memory files with modes, owners and parent directories (crane.Layer
// has neither), and the layout directory packed into one tar. Both are
// reproducible: every timestamp is zero, entries are sorted and gzip carries
// no name or time, so the same files give the same digest.
package imagelayout

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Annotations that name the image in index.json: containerd reads the full
// name, the OCI spec defines the tag.
const (
	AnnotationContainerdName = "io.containerd.image.name"
	AnnotationRefName        = "org.opencontainers.image.ref.name"
)

// File is one regular file of the layer.
type File struct {
	// Path is absolute inside the image, e.g. /pause.
	Path string
	Mode int64
	Data []byte
	// UID and GID own the file; 0 (root) by default.
	UID, GID int
}

// Image is a linux image of one layer holding files, started as cfg says
// (User numeric, e.g. "65532:65532", so a kubelet can check runAsNonRoot).
// Its manifest, config and layer have the OCI media types.
func Image(arch string, cfg v1.Config, files ...File) (v1.Image, error) {
	if arch == "" {
		return nil, errors.New("an image needs an architecture")
	}
	layerTar, err := layerTar(files)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressionLevel(gzip.BestCompression))
	if err != nil {
		return nil, err
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	if img, err = mutate.Append(img, mutate.Addendum{Layer: layer}); err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Config = "linux", arch, cfg
	return mutate.ConfigFile(img, cf)
}

// Write writes img to w as an OCI image-layout tar archive whose index
// names it ref, a full reference with a domain and a tag.
func Write(w io.Writer, ref string, img v1.Image) error {
	tag, err := parseRef(ref)
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	// go-containerregistry writes a layout only as a directory.
	dir, err := os.MkdirTemp("", "imagelayout-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	if err := p.AppendImage(img,
		layout.WithAnnotations(map[string]string{AnnotationContainerdName: tag.Name(), AnnotationRefName: tag.TagStr()}),
		layout.WithPlatform(v1.Platform{OS: cf.OS, Architecture: cf.Architecture}),
	); err != nil {
		return err
	}
	return tarDir(w, dir)
}

// parseRef wants DOMAIN/PATH:TAG: containerd imports a short name as
// docker.io's, which would never match the pods' image.
func parseRef(ref string) (name.Tag, error) {
	domain, _, hasPath := strings.Cut(ref, "/")
	tag, err := name.NewTag(ref, name.StrictValidation)
	if err != nil || !hasPath || !strings.ContainsAny(domain, ".:") && domain != "localhost" {
		return name.Tag{}, fmt.Errorf("image name %q must be DOMAIN/PATH:TAG, e.g. lightning.local/pause:dev", ref)
	}
	return tag, nil
}

// layerTar is the uncompressed tar of files, sorted, each after its parent
// directories.
func layerTar(files []File) ([]byte, error) {
	if len(files) == 0 {
		return nil, errors.New("an image needs at least one file")
	}
	sorted := append([]File(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	for i, f := range sorted {
		if !path.IsAbs(f.Path) || path.Clean(f.Path) != f.Path || f.Path == "/" {
			return nil, fmt.Errorf("file path %q must be absolute and clean", f.Path)
		}
		if i > 0 && sorted[i-1].Path == f.Path {
			return nil, fmt.Errorf("file %s appears twice", f.Path)
		}
		rel := strings.TrimPrefix(f.Path, "/")
		var parents []string
		for d := path.Dir(rel); d != "."; d = path.Dir(d) {
			parents = append([]string{d}, parents...)
		}
		for _, d := range parents {
			if !dirs[d] {
				dirs[d] = true
				if err := tw.WriteHeader(dirHeader(d + "/")); err != nil {
					return nil, err
				}
			}
		}
		if err := writeFile(tw, &tar.Header{Name: rel, Mode: f.Mode, Uid: f.UID, Gid: f.GID}, bytes.NewReader(f.Data), int64(len(f.Data))); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// tarDir packs the layout directory in lexical order, with fixed modes and
// times in place of the temporary files'.
func tarDir(w io.Writer, dir string) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			return tw.WriteHeader(dirHeader(rel + "/"))
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		return writeFile(tw, &tar.Header{Name: rel, Mode: 0o644}, f, st.Size())
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

func dirHeader(name string) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
}

func writeFile(tw *tar.Writer, h *tar.Header, r io.Reader, size int64) error {
	h.Typeflag = tar.TypeReg
	h.Size = size
	h.ModTime = time.Unix(0, 0)
	h.Format = tar.FormatPAX
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	_, err := io.Copy(tw, r)
	return err
}

// Package ociimage writes container images as OCI image-layout tarballs
// (https://github.com/opencontainers/image-spec/blob/main/image-layout.md)
// without a registry or a Docker engine: one layer of files, a config and a
// manifest, named so that `ctr images import` and `docker load`-style
// importers tag the image.
//
// The output is reproducible: the same Image gives the same bytes, because
// every timestamp is zero, owners are root unless set, entries are sorted
// and gzip carries no name or time.
package ociimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"runtime"
	"sort"
	"strings"
	"time"
)

// Media types of the OCI image spec.
const (
	MediaTypeIndex    = "application/vnd.oci.image.index.v1+json"
	MediaTypeManifest = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeConfig   = "application/vnd.oci.image.config.v1+json"
	MediaTypeLayer    = "application/vnd.oci.image.layer.v1.tar+gzip"
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

// Image is what Write puts in the tarball.
type Image struct {
	// Name is a full reference with a domain and a tag, e.g.
	// lightning.local/pause:dev.
	Name       string
	Files      []File
	Entrypoint []string
	Cmd        []string
	Env        []string
	WorkingDir string
	// User runs the entrypoint, numeric ("65532:65532") so a kubelet can
	// check runAsNonRoot.
	User string
	// OS and Architecture default to linux and this build's GOARCH.
	OS, Architecture string
}

// Descriptor points at a blob.
type Descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Platform    *Platform         `json:"platform,omitempty"`
}

// Platform is the OS and CPU an image runs on.
type Platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
}

// Index is index.json.
type Index struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Manifests     []Descriptor `json:"manifests"`
}

// Manifest is the image manifest.
type Manifest struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Config        Descriptor   `json:"config"`
	Layers        []Descriptor `json:"layers"`
}

// Config is the image configuration.
type Config struct {
	Architecture string          `json:"architecture"`
	OS           string          `json:"os"`
	Config       ContainerConfig `json:"config"`
	RootFS       RootFS          `json:"rootfs"`
}

// ContainerConfig is how a container of the image starts.
type ContainerConfig struct {
	User       string   `json:"User,omitempty"`
	Env        []string `json:"Env,omitempty"`
	Entrypoint []string `json:"Entrypoint,omitempty"`
	Cmd        []string `json:"Cmd,omitempty"`
	WorkingDir string   `json:"WorkingDir,omitempty"`
}

// RootFS lists the uncompressed layers' digests.
type RootFS struct {
	Type    string   `json:"type"`
	DiffIDs []string `json:"diff_ids"`
}

// Write writes img to w as an OCI image-layout tar archive.
func Write(w io.Writer, img Image) error {
	if err := validate(img); err != nil {
		return err
	}
	layerTar, err := layer(img.Files)
	if err != nil {
		return err
	}
	layerGz, err := gzipped(layerTar)
	if err != nil {
		return err
	}
	platform := Platform{OS: img.OS, Architecture: img.Architecture}
	if platform.OS == "" {
		platform.OS = "linux"
	}
	if platform.Architecture == "" {
		platform.Architecture = runtime.GOARCH
	}
	config, err := json.Marshal(Config{
		Architecture: platform.Architecture,
		OS:           platform.OS,
		Config: ContainerConfig{
			User: img.User, Env: img.Env, Entrypoint: img.Entrypoint, Cmd: img.Cmd, WorkingDir: img.WorkingDir,
		},
		RootFS: RootFS{Type: "layers", DiffIDs: []string{digest(layerTar)}},
	})
	if err != nil {
		return err
	}
	manifest, err := json.Marshal(Manifest{
		SchemaVersion: 2,
		MediaType:     MediaTypeManifest,
		Config:        describe(MediaTypeConfig, config),
		Layers:        []Descriptor{describe(MediaTypeLayer, layerGz)},
	})
	if err != nil {
		return err
	}
	manifestDesc := describe(MediaTypeManifest, manifest)
	manifestDesc.Platform = &platform
	manifestDesc.Annotations = map[string]string{
		AnnotationContainerdName: img.Name,
		AnnotationRefName:        tag(img.Name),
	}
	index, err := json.Marshal(Index{SchemaVersion: 2, MediaType: MediaTypeIndex, Manifests: []Descriptor{manifestDesc}})
	if err != nil {
		return err
	}

	tw := tar.NewWriter(w)
	entries := []struct {
		name string
		data []byte
	}{
		{"oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{"index.json", index},
		{blobPath(config), config},
		{blobPath(layerGz), layerGz},
		{blobPath(manifest), manifest},
	}
	for _, dir := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(dirHeader(dir, 0, 0)); err != nil {
			return err
		}
	}
	for _, e := range entries {
		if err := writeFile(tw, &tar.Header{Name: e.name, Mode: 0o644}, e.data); err != nil {
			return err
		}
	}
	return tw.Close()
}

func validate(img Image) error {
	i := strings.LastIndex(img.Name, ":")
	repo, t := img.Name[:max(i, 0)], img.Name[i+1:]
	domain, _, hasPath := strings.Cut(repo, "/")
	if i < 0 || t == "" || strings.Contains(t, "/") || !hasPath || !strings.ContainsAny(domain, ".:") {
		return fmt.Errorf("image name %q must be DOMAIN/PATH:TAG, e.g. lightning.local/pause:dev", img.Name)
	}
	if len(img.Files) == 0 {
		return errors.New("an image needs at least one file")
	}
	seen := map[string]bool{}
	for _, f := range img.Files {
		if !path.IsAbs(f.Path) || path.Clean(f.Path) != f.Path || f.Path == "/" {
			return fmt.Errorf("file path %q must be absolute and clean", f.Path)
		}
		if seen[f.Path] {
			return fmt.Errorf("file %s appears twice", f.Path)
		}
		seen[f.Path] = true
	}
	return nil
}

// layer is the uncompressed tar of files, with their parent directories.
func layer(files []File) ([]byte, error) {
	sorted := append([]File(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	for _, f := range sorted {
		rel := strings.TrimPrefix(f.Path, "/")
		var parents []string
		for d := path.Dir(rel); d != "."; d = path.Dir(d) {
			parents = append([]string{d}, parents...)
		}
		for _, d := range parents {
			if !dirs[d] {
				dirs[d] = true
				if err := tw.WriteHeader(dirHeader(d+"/", 0, 0)); err != nil {
					return nil, err
				}
			}
		}
		if err := writeFile(tw, &tar.Header{Name: rel, Mode: f.Mode, Uid: f.UID, Gid: f.GID}, f.Data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func dirHeader(name string, uid, gid int) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755, Uid: uid, Gid: gid, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
}

func writeFile(tw *tar.Writer, h *tar.Header, data []byte) error {
	h.Typeflag = tar.TypeReg
	h.Size = int64(len(data))
	h.ModTime = time.Unix(0, 0)
	h.Format = tar.FormatPAX
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}

func gzipped(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func describe(mediaType string, data []byte) Descriptor {
	return Descriptor{MediaType: mediaType, Digest: digest(data), Size: int64(len(data))}
}

func blobPath(data []byte) string {
	return "blobs/sha256/" + strings.TrimPrefix(digest(data), "sha256:")
}

func tag(name string) string {
	return name[strings.LastIndex(name, ":")+1:]
}

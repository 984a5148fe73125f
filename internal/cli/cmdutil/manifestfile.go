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

package cmdutil

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"
)

// ManifestFile is a kind of file holding the manifest of one object, YAML
// or JSON, that a command reads: a keyring backup, a LightningSecret. Its
// fields word the errors. A decoder's message can quote the input, which
// may hold a secret, so none is passed on: errors say where, never what.
type ManifestFile struct {
	// APIVersion and Kind are what the file must hold.
	APIVersion, Kind string
	// Noun is what such a file is: "it is not a <Noun>".
	Noun string
	// Reading names the file in read errors: "reading <Reading>: ...".
	Reading string
	// OneObject ends the refusal of a file of several documents.
	OneObject string
	// WrongKind ends the refusal of another apiVersion or kind.
	WrongKind string
	// MaxSize bounds the file, in bytes.
	MaxSize int64
}

var (
	yamlLineRE      = regexp.MustCompile(`yaml: line (\d+):`)
	yamlDocSplitter = regexp.MustCompile(`(?m)^---[ \t]*(#.*)?\r?$`)
)

// ReadFile reads the file at path and decodes it into v, a struct with
// JSON tags.
func (m ManifestFile) ReadFile(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", m.Reading, err)
	}
	defer f.Close()
	raw, err := m.Read(f, path)
	if err != nil {
		return err
	}
	return m.Decode(raw, path, v)
}

// Read reads a file from r, up to MaxSize bytes; name names it in errors.
func (m ManifestFile) Read(r io.Reader, name string) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r, m.MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s %s: %w", m.Reading, name, err)
	}
	if int64(len(raw)) > m.MaxSize {
		return nil, fmt.Errorf("%s is larger than %d bytes: it is not a %s", name, m.MaxSize, m.Noun)
	}
	return raw, nil
}

// Decode parses raw, the content of the file name, into v: one document,
// of APIVersion and Kind.
func (m ManifestFile) Decode(raw []byte, name string, v any) error {
	switch yamlDocuments(raw) {
	case 0:
		return fmt.Errorf("%s is empty: it is not a %s", name, m.Noun)
	case 1:
	default:
		return fmt.Errorf("%s holds more than one YAML document: %s", name, m.OneObject)
	}
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		if line := yamlLineRE.FindStringSubmatch(err.Error()); line != nil {
			return m.notManifest(name, " (it does not parse at line "+line[1]+")")
		}
		return m.notManifest(name, " (it does not parse)")
	}
	var typeMeta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	for _, into := range []any{v, &typeMeta} {
		if err := json.Unmarshal(js, into); err != nil {
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) && typeErr.Field != "" {
				// Value is "number 12345" for a number: the kind alone.
				kind, _, _ := strings.Cut(typeErr.Value, " ")
				return m.notManifest(name, fmt.Sprintf(" (in %s: a JSON %s where a %s belongs)", Show(typeErr.Field), kind, typeErr.Type))
			}
			return m.notManifest(name, "")
		}
	}
	if typeMeta.APIVersion != m.APIVersion || typeMeta.Kind != m.Kind {
		return fmt.Errorf("%s holds apiVersion '%s', kind '%s': %s", name, Show(typeMeta.APIVersion), Show(typeMeta.Kind), m.WrongKind)
	}
	return nil
}

func (m ManifestFile) notManifest(name, where string) error {
	return fmt.Errorf("%s is not a YAML or JSON manifest of a %s%s", name, m.Kind, where)
}

// yamlDocuments counts the non-empty documents of a YAML stream, split at
// "---" lines (JSON has none).
func yamlDocuments(raw []byte) int {
	n := 0
	for _, doc := range yamlDocSplitter.Split(string(raw), -1) {
		for _, line := range strings.Split(doc, "\n") {
			if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
				n++
				break
			}
		}
	}
	return n
}

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

package cmdutil_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
)

// widgetFile is a made-up kind of manifest file, to test the decoder's
// every refusal by its wording.
var widgetFile = cmdutil.ManifestFile{
	APIVersion: "example.com/v1",
	Kind:       "Widget",
	Noun:       "widget file",
	Reading:    "the widget",
	OneObject:  "a widget file holds one Widget",
	WrongKind:  "want an example.com/v1 Widget",
	MaxSize:    200,
}

type widget struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       struct {
		Secret string            `json:"secret"`
		Parts  map[string]string `json:"parts"`
		Count  int8              `json:"count"`
	} `json:"spec"`
}

// secretText stands for what a file may hold that no error may echo.
const secretText = "c2VjcmV0LXNlZWQtb2YtdGhpcnR5"

func TestManifestFileDecode(t *testing.T) {
	const head = "apiVersion: example.com/v1\nkind: Widget\n"
	tests := []struct {
		name, in, wantErr string
		wantSecret        string
	}{
		{name: "a widget", in: head + "spec:\n  secret: " + secretText + "\n", wantSecret: secretText},
		{name: "JSON", in: `{"apiVersion": "example.com/v1", "kind": "Widget", "spec": {"secret": "s"}}`, wantSecret: "s"},
		{name: "comments around a document", in: "# a widget\n---\n" + head + "---\n# nothing more\n"},
		{name: "empty", in: "\n# " + secretText + "\n", wantErr: "w.yaml is empty: it is not a widget file"},
		{name: "two documents", in: head + "---\n" + head,
			wantErr: "w.yaml holds more than one YAML document: a widget file holds one Widget"},
		{name: "YAML that does not parse", in: head + "spec: [\"" + secretText + "\n  : :\n",
			wantErr: "w.yaml is not a YAML or JSON manifest of a Widget (it does not parse at line 5)"},
		{name: "a list", in: `["` + secretText + `"]`, wantErr: "w.yaml is not a YAML or JSON manifest of a Widget"},
		{name: "an object where a string belongs", in: head + "spec:\n  secret: {value: " + secretText + "}\n",
			wantErr: "w.yaml is not a YAML or JSON manifest of a Widget (in spec.secret: a JSON object where a string belongs)"},
		{name: "a number, not quoted", in: head + "spec:\n  count: 98765432109\n",
			wantErr: "w.yaml is not a YAML or JSON manifest of a Widget (in spec.count: a JSON number where a int8 belongs)"},
		{name: "another kind", in: "apiVersion: v1\nkind: Secret\n", wantErr: "w.yaml holds apiVersion 'v1', kind 'Secret': want an example.com/v1 Widget"},
		{name: "a kind quoted safely", in: "apiVersion: \"v1\\n\"\nkind: Secret\n", wantErr: `w.yaml holds apiVersion 'v1\n', kind 'Secret': want an example.com/v1 Widget`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var w widget
			err := widgetFile.Decode([]byte(tc.in), "w.yaml", &w)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Decode() = %v", err)
				}
				if w.Spec.Secret != tc.wantSecret {
					t.Errorf("spec.secret = %q, want %q", w.Spec.Secret, tc.wantSecret)
				}
				return
			}
			if err == nil {
				t.Fatalf("Decode() = nil, want %q", tc.wantErr)
			}
			if diff := cmp.Diff(tc.wantErr, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if strings.Contains(err.Error(), secretText) || strings.Contains(err.Error(), "98765") {
				t.Errorf("the error echoes the file: %v", err)
			}
		})
	}
}

func TestManifestFileReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var w widget
	if err := widgetFile.ReadFile(write("ok.yaml", "apiVersion: example.com/v1\nkind: Widget\n"), &w); err != nil || w.Kind != "Widget" {
		t.Errorf("ReadFile() = %v, kind %q", err, w.Kind)
	}
	big := write("big.yaml", strings.Repeat("#", 201))
	for path, want := range map[string]string{
		filepath.Join(dir, "none.yaml"): "reading the widget: open " + filepath.Join(dir, "none.yaml") + ": no such file or directory",
		big:                             big + " is larger than 200 bytes: it is not a widget file",
	} {
		if err := widgetFile.ReadFile(path, &w); err == nil || err.Error() != want {
			t.Errorf("ReadFile(%s) = %v, want %q", path, err, want)
		}
	}
}

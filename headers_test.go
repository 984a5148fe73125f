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
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoFilesCarryTheLicenceHeader: every Go file of the project starts
// with hack/boilerplate.go.txt (a generated one may put its build
// constraint first, as controller-gen does).
func TestGoFilesCarryTheLicenceHeader(t *testing.T) {
	header, err := os.ReadFile("hack/boilerplate.go.txt")
	if err != nil {
		t.Fatal(err)
	}
	header = bytes.TrimSpace(header)
	var missing []string
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "bin", "testdata", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasPrefix(string(b), "//go:build") {
			_, b, _ = bytes.Cut(b, []byte("\n\n"))
		}
		if !bytes.HasPrefix(b, header) {
			missing = append(missing, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Errorf("%d Go file(s) without the licence header of hack/boilerplate.go.txt (run hack/add-license-headers.sh): %s", len(missing), strings.Join(missing, ", "))
	}
}

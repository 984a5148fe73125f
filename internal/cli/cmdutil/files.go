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
	"errors"
	"fmt"
	"os"
)

// WriteError is a failed write to a file that CreateFile made: the file
// was removed again.
type WriteError struct {
	Path string
	Err  error
}

func (e *WriteError) Error() string { return fmt.Sprintf("writing %s: %v", e.Path, e.Err) }
func (e *WriteError) Unwrap() error { return e.Err }

// CreateFile creates the file path with mode and writes b, synced. It never
// writes over a file (O_EXCL): the error of one that is there matches
// os.ErrExist. A failed write is a *WriteError and leaves no file behind.
func CreateFile(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if err := WriteAndClose(f, b); err != nil {
		_ = os.Remove(path)
		return &WriteError{Path: path, Err: err}
	}
	return nil
}

// WriteNewFile is CreateFile, saying of a file that is there that it is
// never overwritten.
func WriteNewFile(path string, b []byte, mode os.FileMode) error {
	err := CreateFile(path, b, mode)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s already exists: it is never overwritten; choose another file", path)
	}
	return err
}

// WriteAndClose writes b to f, syncs and closes it.
func WriteAndClose(f *os.File, b []byte) error {
	_, err := f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

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

package recovery

import (
	"encoding/pem"
	"fmt"
	"io"
	"os"

	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

// KeyPEMType is the PEM type of a recovery private key: the 32-byte seed
// of a sealing key, with Key-Id and Suite headers.
const KeyPEMType = "LIGHTNING RECOVERY PRIVATE KEY"

// maxKeyFileSize bounds a --recovery-key file: one PEM block of a 32-byte
// seed is a few hundred bytes.
const maxKeyFileSize = 64 << 10

const keyFileHeader = "# A lightning-operator recovery key: it opens every LightningSecret sealed to it.\n" +
	"# Keep it offline, like a root credential. Use it with: kubectl lightning secret recover\n"

// encodeKey is the content of a recovery private key file. The caller
// clears it once written.
func encodeKey(key *sealing.PrivateKey) []byte {
	seed := key.Bytes()
	defer clear(seed)
	block := pem.EncodeToMemory(&pem.Block{
		Type:    KeyPEMType,
		Headers: map[string]string{"Key-Id": key.ID(), "Suite": sealing.Suite},
		Bytes:   seed,
	})
	defer clear(block)
	return append([]byte(keyFileHeader), block...)
}

// ReadKey reads a recovery private key file (--recovery-key). Errors name
// the file and the problem, never its content; a file other users can
// read gets a warning on warn.
func ReadKey(path string, warn io.Writer) (*sealing.PrivateKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading --recovery-key: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	defer clear(data)
	if err != nil {
		return nil, fmt.Errorf("reading --recovery-key %s: %w", path, err)
	}
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("--recovery-key %s is larger than %d bytes: it is not a recovery key", path, maxKeyFileSize)
	}
	key, err := parseKey(path, data)
	if err != nil {
		return nil, err
	}
	if info, err := f.Stat(); err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(warn, "Warning: recovery key %s can be read by other users (mode %04o); make it 0600 (chmod 600 %s)\n", path, info.Mode().Perm(), path)
	}
	return key, nil
}

// parseKey reads the one PEM block of a recovery key file at path.
func parseKey(path string, data []byte) (*sealing.PrivateKey, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("--recovery-key %s holds no PEM block: it is not a recovery key (from 'kubectl lightning recovery-key generate')", path)
	}
	defer clear(block.Bytes)
	switch block.Type {
	case KeyPEMType:
	case sealing.PEMBlockType:
		return nil, fmt.Errorf("--recovery-key %s holds a public key: give the private key file that 'recovery-key generate' wrote beside it", path)
	default:
		return nil, fmt.Errorf("--recovery-key %s holds a PEM block of another type: want %q", path, KeyPEMType)
	}
	if next, _ := pem.Decode(rest); next != nil {
		clear(next.Bytes)
		return nil, fmt.Errorf("--recovery-key %s holds more than one PEM block: a recovery key file holds one", path)
	}
	if block.Headers["Suite"] != sealing.Suite {
		return nil, fmt.Errorf("--recovery-key %s is not of the suite %s", path, sealing.Suite)
	}
	key, err := sealing.ParsePrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("--recovery-key %s: %w", path, err)
	}
	if block.Headers["Key-Id"] != key.ID() {
		return nil, fmt.Errorf("--recovery-key %s: its Key-Id header does not match its key (whose ID is %s): the file was edited", path, key.ID())
	}
	return key, nil
}

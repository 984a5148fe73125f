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

package cli

import (
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

// RecoveryKeyPEMType is the PEM type of a recovery private key: the 32-byte
// seed of a sealing key, with Key-Id and Suite headers.
const RecoveryKeyPEMType = "LIGHTNING RECOVERY PRIVATE KEY"

// maxRecoveryKeyFileSize bounds a --recovery-key file: one PEM block of a
// 32-byte seed is a few hundred bytes.
const maxRecoveryKeyFileSize = 64 << 10

// maxManifestFileSize bounds a LightningSecret manifest: the longest
// envelope that opens (one sealed before the limit was what env carries,
// too) and room for metadata and status.
const maxManifestFileSize = int64(sealing.MaxOpenLength) + 1<<20

const recoveryKeyHeader = "# A lightning-operator recovery key: it opens every LightningSecret sealed to it.\n" +
	"# Keep it offline, like a root credential. Use it with: kubectl lightning secret recover\n"

func newRecoveryKeyCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "recovery-key",
		Short: "Make an offline recovery key that opens values without any cluster",
		Long: `Make an offline recovery key. Its public half, given to the operator with
--default-recipients-file, is published beside the sealing keys, and 'secret create'
seals every value to it as well; its private half, kept offline, opens those values
with 'secret recover' when every cluster and keyring backup is gone.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(newRecoveryKeyGenerateCommand(e))
	return cmd
}

type recoveryKeyGenerateOptions struct {
	*env
	file       string
	publicFile string
}

func newRecoveryKeyGenerateCommand(e *env) *cobra.Command {
	o := &recoveryKeyGenerateOptions{env: e}
	cmd := &cobra.Command{
		Use:   "generate -f FILE [--public-file FILE.pub]",
		Short: "Write a new recovery key pair: the private key (mode 0600) and its public key",
		Long: `Write a new recovery key pair, made on this machine with no cluster:

  - FILE: the private key, a PEM block "LIGHTNING RECOVERY PRIVATE KEY" with its Key-Id,
    created with mode 0600. It opens every value sealed to it: keep it offline (a safe,
    an HSM-backed vault), like a root credential.
  - FILE.pub (or --public-file): the public key, in the format of 'kubectl lightning
    cert', mode 0644. Give it to the operator (--default-recipients-file FILE.pub) so that
    every value sealed against the cluster opens with the recovery key too, or seal to it
    with 'secret create --recipient FILE.pub'.

Neither file is ever overwritten, and the private key is never printed. How to publish
the public key and recover with the private one: docs/operations.md, "Recovery key".`,
		Example: `  # Make the recovery key on an offline machine (recovery.key and recovery.key.pub)
  kubectl lightning recovery-key generate -f recovery.key

  # Choose where each half goes
  kubectl lightning recovery-key generate -f /media/offline/recovery.key --public-file recovery.pem`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run()
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.file, "filename", "f", "", "The file to write the private key to (required; created with mode 0600, never overwritten).")
	f.StringVar(&o.publicFile, "public-file", "", "The file to write the public key to (default FILE.pub; mode 0644, never overwritten).")
	return cmd
}

func (o *recoveryKeyGenerateOptions) run() error {
	switch o.file {
	case "":
		return fmt.Errorf("-f FILE is required: the file to write the recovery private key to (it is created with mode 0600)")
	case "-":
		return fmt.Errorf("the recovery private key is never written to stdout: give a file with -f FILE")
	}
	pub := o.publicFile
	if pub == "" {
		pub = o.file + ".pub"
	}
	switch {
	case pub == "-":
		return fmt.Errorf("--public-file: give a file; the public key is written beside the private key, never to stdout")
	case pub == o.file:
		return fmt.Errorf("--public-file must be another file than -f %s", o.file)
	}
	for _, path := range []string{o.file, pub} {
		// Fail before making a key; O_EXCL below still decides.
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("%s already exists: a recovery key is never overwritten; choose another file", path)
		}
	}
	key, err := sealing.GenerateKey()
	if err != nil {
		return err
	}
	seed := key.Bytes()
	block := pem.EncodeToMemory(&pem.Block{
		Type:    RecoveryKeyPEMType,
		Headers: map[string]string{"Key-Id": key.ID(), "Suite": sealing.Suite},
		Bytes:   seed,
	})
	clear(seed)
	err = writeNewFile(o.file, append([]byte(recoveryKeyHeader), block...), 0o600)
	clear(block)
	if err != nil {
		return fmt.Errorf("writing the recovery private key: %w", err)
	}
	if err := writeNewFile(pub, sealing.EncodePublicKeysPEM([]*sealing.PublicKey{key.Public()}), 0o644); err != nil {
		// A private key without its public half would be sealed to by no one.
		_ = os.Remove(o.file)
		return fmt.Errorf("writing the recovery public key (the private key was removed again): %w", err)
	}
	_, err = fmt.Fprintf(o.out(), "Wrote recovery key %s: private key %s (mode 0600; keep it offline), public key %s (give it to the operator: --default-recipients-file)\n",
		key.ID(), o.file, pub)
	return err
}

// writeNewFile creates path with mode and writes b, refusing an existing
// file (O_EXCL); a failed write leaves no file behind.
func writeNewFile(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s already exists: it is never overwritten; choose another file", path)
		}
		return err
	}
	if err := writeAndClose(f, b); err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// readRecoveryKey reads a recovery private key file. Errors name the file
// and the problem, never its content.
func readRecoveryKey(path string, warn io.Writer) (*sealing.PrivateKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading --recovery-key: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxRecoveryKeyFileSize+1))
	defer clear(data)
	if err != nil {
		return nil, fmt.Errorf("reading --recovery-key %s: %w", path, err)
	}
	if len(data) > maxRecoveryKeyFileSize {
		return nil, fmt.Errorf("--recovery-key %s is larger than %d bytes: it is not a recovery key", path, maxRecoveryKeyFileSize)
	}
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("--recovery-key %s holds no PEM block: it is not a recovery key (from 'kubectl lightning recovery-key generate')", path)
	}
	defer clear(block.Bytes)
	switch block.Type {
	case RecoveryKeyPEMType:
	case sealing.PEMBlockType:
		return nil, fmt.Errorf("--recovery-key %s holds a public key: give the private key file that 'recovery-key generate' wrote beside it", path)
	default:
		return nil, fmt.Errorf("--recovery-key %s holds a PEM block of another type: want %q", path, RecoveryKeyPEMType)
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
	if info, err := f.Stat(); err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(warn, "Warning: recovery key %s can be read by other users (mode %04o); make it 0600 (chmod 600 %s)\n", path, info.Mode().Perm(), path)
	}
	return key, nil
}

// oneKey is a sealing.KeyLookup of a single key.
type oneKey struct{ key *sealing.PrivateKey }

func (k oneKey) PrivateKey(id string) (*sealing.PrivateKey, bool) {
	if id != k.key.ID() {
		return nil, false
	}
	return k.key, true
}

type secretRecoverOptions struct {
	*env
	file       string
	keyFile    string
	outputFile string
	stdout     bool
}

func newSecretRecoverCommand(e *env) *cobra.Command {
	o := &secretRecoverOptions{env: e}
	cmd := &cobra.Command{
		Use:   "recover -f MANIFEST --recovery-key FILE (--output-file OUT | --stdout)",
		Short: "Open a LightningSecret manifest offline with a recovery key",
		Long: `Open the value of a LightningSecret manifest (YAML or JSON, as 'secret create' prints
it or git holds it) with a recovery key from 'recovery-key generate', on this machine,
without any cluster: for when the cluster and its keyring backups are gone.

The value opens only as the manifest's own namespace and name, which it was sealed for.
It is written to --output-file OUT, created with mode 0600 (never overwritten), or, only
when asked with --stdout, to stdout. Seal it again for a new cluster with
'secret create NAME -n NS --from-file OUT', then delete OUT.`,
		Example: `  # Recover a value into a file only you can read
  kubectl lightning secret recover -f github-api-token.yaml --recovery-key recovery.key --output-file token.txt

  # Re-seal it straight to a new cluster
  kubectl lightning secret recover -f github-api-token.yaml --recovery-key recovery.key --stdout |
    kubectl lightning secret create github-api-token -n alice --from-file - --apply`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run()
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.file, "filename", "f", "", "The LightningSecret manifest whose value to open (required).")
	f.StringVar(&o.keyFile, "recovery-key", "", "The recovery private key file from 'recovery-key generate' (required).")
	f.StringVar(&o.outputFile, "output-file", "", "Write the value to this new file, with mode 0600.")
	f.BoolVar(&o.stdout, "stdout", false, "Write the value to stdout, byte for byte.")
	return cmd
}

func (o *secretRecoverOptions) run() error {
	switch {
	case o.file == "":
		return fmt.Errorf("-f MANIFEST is required: the LightningSecret manifest whose value to open")
	case o.keyFile == "":
		return fmt.Errorf("--recovery-key FILE is required: the recovery private key from 'kubectl lightning recovery-key generate'")
	case o.outputFile == "-":
		return fmt.Errorf("--output-file -: to write the value to stdout, say --stdout")
	case o.outputFile != "" && o.stdout:
		return fmt.Errorf("--output-file and --stdout are exclusive: the value goes to one place")
	case o.outputFile == "" && !o.stdout:
		return fmt.Errorf("say where the value goes: --output-file FILE (created with mode 0600), or --stdout")
	}
	if o.outputFile != "" {
		if _, err := os.Lstat(o.outputFile); err == nil {
			return fmt.Errorf("%s already exists: the value is never written over a file; choose another --output-file", o.outputFile)
		}
	}
	s, err := readSecretManifest(o.file)
	if err != nil {
		return err
	}
	key, err := readRecoveryKey(o.keyFile, o.errOut())
	if err != nil {
		return err
	}
	what := fmt.Sprintf("LightningSecret %s/%s", s.Namespace, s.Name)
	env, err := sealing.ParseEnvelope(s.Spec.EncryptedValue)
	if err != nil {
		return fmt.Errorf("%s in %s does not hold a sealed value (%s): %w", what, o.file, sealing.Reason(err), err)
	}
	if !slices.Contains(env.KeyIDs, key.ID()) {
		return fmt.Errorf("%s in %s is sealed to %s %s, not to recovery key %s: it was sealed before the cluster published the recovery key, or offline without --recipient",
			what, o.file, keysWord(len(env.KeyIDs)), strings.Join(env.KeyIDs, ", "), key.ID())
	}
	plain, err := sealing.Open(oneKey{key}, sealing.Scope{Namespace: s.Namespace, Name: s.Name}, s.Spec.EncryptedValue)
	if err != nil {
		return fmt.Errorf("%s in %s does not open with recovery key %s (%s): %w", what, o.file, key.ID(), sealing.Reason(err), err)
	}
	defer clear(plain)
	where := "stdout"
	if o.stdout {
		if _, err := o.out().Write(plain); err != nil {
			return fmt.Errorf("writing the value to stdout: %w", err)
		}
	} else {
		if err := writeNewFile(o.outputFile, plain, 0o600); err != nil {
			return fmt.Errorf("writing the value: %w", err)
		}
		where = o.outputFile + " (mode 0600)"
	}
	_, err = fmt.Fprintf(o.errOut(), "Recovered the value of %s (%d bytes) with recovery key %s to %s\n", what, len(plain), key.ID(), where)
	return err
}

// secretManifest is the part of a LightningSecret manifest recover reads.
type secretManifest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		EncryptedValue string `json:"encryptedValue"`
	} `json:"spec"`
}

// readSecretManifest reads one LightningSecret from a YAML or JSON file.
func readSecretManifest(path string) (*lightningv1alpha1.LightningSecret, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the manifest: %w", err)
	}
	defer f.Close()
	raw, err := readManifestBytes(f, path)
	if err != nil {
		return nil, err
	}
	sm, err := decodeSecretManifest(raw, path)
	if err != nil {
		return nil, err
	}
	switch {
	case sm.Metadata.Name == "":
		return nil, fmt.Errorf("%s: the LightningSecret has no metadata.name, which its value is bound to", path)
	case sm.Metadata.Namespace == "":
		return nil, fmt.Errorf("%s: the LightningSecret has no metadata.namespace, which its value is bound to", path)
	case sm.Spec.EncryptedValue == "":
		return nil, fmt.Errorf("%s: the LightningSecret has no spec.encryptedValue", path)
	}
	if err := ValidateSecretName(sm.Metadata.Name); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := ValidateNamespace(sm.Metadata.Namespace); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return NewSecret(sm.Metadata.Namespace, sm.Metadata.Name, sm.Spec.EncryptedValue), nil
}

// readManifestBytes reads a manifest from r up to maxManifestFileSize.
func readManifestBytes(r io.Reader, path string) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxManifestFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the manifest %s: %w", path, err)
	}
	if int64(len(raw)) > maxManifestFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes: it is not a LightningSecret manifest", path, maxManifestFileSize)
	}
	return raw, nil
}

// decodeSecretManifest parses one LightningSecret manifest, YAML or JSON,
// checking its apiVersion and kind only. Decoders' messages can quote the
// input, so none is passed on: errors say where, never what.
func decodeSecretManifest(raw []byte, path string) (*secretManifest, error) {
	notManifest := func(where string) error {
		return fmt.Errorf("%s is not a YAML or JSON manifest of a LightningSecret%s", path, where)
	}
	switch yamlDocuments(raw) {
	case 0:
		return nil, fmt.Errorf("%s is empty: it is not a LightningSecret manifest", path)
	case 1:
	default:
		return nil, fmt.Errorf("%s holds more than one YAML document: give the manifest of one LightningSecret", path)
	}
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
			return nil, notManifest(" (it does not parse at line " + m[1] + ")")
		}
		return nil, notManifest(" (it does not parse)")
	}
	var sm secretManifest
	if err := json.Unmarshal(js, &sm); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return nil, notManifest(fmt.Sprintf(" (in %s: a JSON %s where a %s belongs)", show(typeErr.Field), typeErr.Value, typeErr.Type))
		}
		return nil, notManifest("")
	}
	if sm.APIVersion != lightningv1alpha1.GroupVersion.String() || sm.Kind != "LightningSecret" {
		return nil, fmt.Errorf("%s holds apiVersion '%s', kind '%s': want a %s LightningSecret", path, show(sm.APIVersion), show(sm.Kind), lightningv1alpha1.GroupVersion)
	}
	return &sm, nil
}

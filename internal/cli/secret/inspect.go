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

package secret

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
	"github.com/lightning-operator/lightning-operator/internal/limits"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

type inspectOptions struct {
	f    *cmdutil.Factory
	file string
}

const (
	inspectLong = `Show what a sealed value says without opening it: its envelope version, the key IDs
of its recipients, the LightningSecret it is bound to, and its size. No key and no
cluster are needed, and the value is never read.

FILE ('-' for stdin) holds a LightningSecret manifest (YAML or JSON, as 'secret create'
prints it) or the envelope alone (as 'secret create --raw' prints it). An envelope does
not carry the namespace and name it is bound to: they are bound into its encryption
from the object's metadata, so it opens only as the LightningSecret it was sealed for.
For a manifest, they are the manifest's own.`

	inspectExample = `  # What a manifest in git is sealed to
  kubectl lightning secret inspect -f github-api-token.yaml

  # An envelope from a template
  kubectl lightning secret create token -n alice --cert lightning.pem --raw < token.txt |
    kubectl lightning secret inspect -f -`
)

func newInspectCommand(f *cmdutil.Factory) *cobra.Command {
	o := &inspectOptions{f: f}
	cmd := &cobra.Command{
		Use:     "inspect -f FILE",
		Short:   "Show what a sealed value says, without opening it",
		Long:    inspectLong,
		Example: inspectExample,
		// A FILE argument gets the usage line, which shows -f.
		Args: cmdutil.ExactArgs(0, ""),
		RunE: cmdutil.RunE(o),
	}
	cmd.Flags().StringVarP(&o.file, "filename", "f", "", "The manifest or envelope to inspect, '-' for stdin (required).")
	return cmd
}

// envelopeTextRE is what a bare envelope starts with; anything else is read
// as a manifest.
var envelopeTextRE = regexp.MustCompile(`^v[0-9]+:`)

func (o *inspectOptions) Complete(*cobra.Command, []string) error { return nil }

func (o *inspectOptions) Validate() error {
	if o.file == "" {
		return fmt.Errorf("-f FILE is required: a LightningSecret manifest or an envelope, '-' for stdin")
	}
	return nil
}

func (o *inspectOptions) Run(context.Context) error {
	what, in := o.file, io.Reader(nil)
	if o.file == "-" {
		what, in = "stdin", o.f.In
	} else {
		f, err := os.Open(o.file)
		if err != nil {
			return fmt.Errorf("reading %s: %w", o.file, err)
		}
		defer f.Close()
		in = f
	}
	if in == nil {
		in = bytes.NewReader(nil)
	}
	raw, err := manifestFile.Read(in, what)
	if err != nil {
		return err
	}
	envelope, bound, err := inspected(raw, what)
	if err != nil {
		return err
	}
	d, err := sealing.Describe(envelope)
	if err != nil {
		return fmt.Errorf("%s does not hold a sealed value (%s): %w", what, sealing.Reason(err), err)
	}
	return printDescription(o.f.Out, d, bound)
}

// inspected is the envelope in raw, an envelope alone or a manifest of the
// file what, and what it is bound to.
func inspected(raw []byte, what string) (envelope, bound string, err error) {
	if text := strings.TrimSpace(string(raw)); envelopeTextRE.MatchString(text) {
		return text, "the LightningSecret it was sealed for: an envelope does not carry its namespace and name, they are bound into its encryption", nil
	}
	var sm secretManifest
	if err := manifestFile.Decode(raw, what, &sm); err != nil {
		return "", "", fmt.Errorf("%w; or give the envelope alone", err)
	}
	if sm.Spec.EncryptedValue == "" {
		return "", "", fmt.Errorf("%s: the LightningSecret has no spec.encryptedValue", what)
	}
	return sm.Spec.EncryptedValue, inspectBinding(sm.Metadata.Namespace, sm.Metadata.Name), nil
}

// inspectBinding says which object a manifest's envelope opens as.
func inspectBinding(ns, name string) string {
	switch {
	case name == "":
		return "no name: the manifest has no metadata.name, and the value opens only under the name it was sealed for"
	case ns == "":
		return fmt.Sprintf("LightningSecret %s (the manifest names no namespace: it opens only in the one it was sealed for)", cmdutil.Show(name))
	default:
		return fmt.Sprintf("LightningSecret %s/%s (its metadata: it opens only under this namespace and name)", cmdutil.Show(ns), cmdutil.Show(name))
	}
}

func printDescription(w io.Writer, d sealing.Description, bound string) error {
	kind := "multi-recipient"
	if d.Version == sealing.Version {
		kind = "single recipient"
	}
	fit := fmt.Sprintf("at most the %d one environment variable can carry", limits.MaxValue)
	if d.ValueSize > limits.MaxValue {
		fit = fmt.Sprintf("more than the %d one environment variable can carry: the operator refuses it (ValueTooLong)", limits.MaxValue)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Version:     %s (%s)\n", d.Version, kind)
	fmt.Fprintf(&b, "Recipients:  %d\n", len(d.KeyIDs))
	for _, id := range d.KeyIDs {
		fmt.Fprintf(&b, "  - %s\n", id)
	}
	fmt.Fprintf(&b, "Bound to:    %s\n", bound)
	fmt.Fprintf(&b, "Sealed size: %d bytes (the envelope)\n", d.EnvelopeSize)
	fmt.Fprintf(&b, "Value size:  %d bytes (%s)\n", d.ValueSize, fit)
	_, err := io.WriteString(w, b.String())
	return err
}

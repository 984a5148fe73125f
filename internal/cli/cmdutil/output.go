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
	"bytes"
	"fmt"
	"io"

	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/printers"
)

// Output formats of -o that the commands name themselves; the rest are
// cli-runtime's (json, kyaml, name, jsonpath=…, go-template=…).
const (
	FormatYAML          = "yaml"
	FormatJSON          = "json"
	FormatName          = "name"
	formatWide          = "wide"
	customColumnsPrefix = "custom-columns="
)

// outputFormats are the -o values offered by completion and help.
var outputFormats = []string{"yaml", "json", "kyaml", "name", "jsonpath=", "jsonpath-file=", "jsonpath-as-json=",
	"go-template=", "go-template-file=", customColumnsPrefix}

// PrintFlags are kubectl's -o: cli-runtime's print flags, with the table,
// wide and custom-columns formats that kubectl keeps in k8s.io/kubectl.
type PrintFlags struct {
	format string
	// table: the command prints a table by default, and takes -o wide and
	// --no-headers.
	table     bool
	noHeaders bool
	print     *genericclioptions.PrintFlags
}

// NewPrintFlags are the -o of a command that prints a table by default
// (table), or objects and action lines.
func NewPrintFlags(table bool) *PrintFlags {
	return &PrintFlags{table: table, print: genericclioptions.NewPrintFlags("").WithTypeSetter(Scheme)}
}

// AddFlags adds -o (and --no-headers to a table). what says what the
// default output is, for help.
func (f *PrintFlags) AddFlags(cmd *cobra.Command, what string) {
	formats := "yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, go-template=TEMPLATE, go-template-file=FILE, custom-columns=NAME:JSONPATH[,...]"
	if f.table {
		formats = "wide, " + formats
	}
	cmd.Flags().StringVarP(&f.format, "output", "o", "", fmt.Sprintf("Output format: %s. Default: %s.", formats, what))
	f.print.OutputFlagSpecified = func() bool { return cmd.Flags().Changed("output") }
	if f.table {
		cmd.Flags().BoolVar(&f.noHeaders, "no-headers", false, "Print a table (the default output, wide, custom-columns) without its header line.")
	}
	_ = cmd.RegisterFlagCompletionFunc("output", func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		formats := outputFormats
		if f.table {
			formats = append([]string{formatWide}, formats...)
		}
		return WithPrefix(formats, toComplete), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	})
}

// Format is -o as given: "" when it was not.
func (f *PrintFlags) Format() string { return f.format }

// isTable is true for the default output of a table command and -o wide.
func (f *PrintFlags) isTable() bool {
	return f.table && (f.format == "" || f.format == formatWide)
}

// Validate checks -o before the command does anything.
func (f *PrintFlags) Validate() error {
	if f.isTable() {
		return nil
	}
	_, err := f.toPrinter(FormatYAML, "")
	return err
}

// PrintObject prints obj to w: as YAML unless -o says otherwise.
func (f *PrintFlags) PrintObject(w io.Writer, obj runtime.Object) error {
	p, err := f.toPrinter(FormatYAML, "")
	if err != nil {
		return err
	}
	return printTo(w, p, obj)
}

// PrintAction reports an action on obj to w: by default kubectl's line
// "kind.group/name OPERATION"; with -o, the object.
func (f *PrintFlags) PrintAction(w io.Writer, operation string, obj runtime.Object) error {
	p, err := f.toPrinter("", operation)
	if err != nil {
		return err
	}
	return printTo(w, p, obj)
}

func (f *PrintFlags) toPrinter(def, operation string) (printers.ResourcePrinter, error) {
	format := f.format
	if format == "" {
		format = def
	}
	if spec, ok := strings.CutPrefix(format, customColumnsPrefix); ok {
		return newCustomColumnsPrinter(spec, f.noHeaders)
	}
	if format == "custom-columns" {
		return nil, fmt.Errorf("-o custom-columns needs columns: -o custom-columns=NAME:.metadata.name,PHASE:.status.phase")
	}
	f.print.NamePrintFlags.Operation = operation
	*f.print.OutputFormat = format
	p, err := f.print.ToPrinter()
	switch {
	case genericclioptions.IsNoCompatiblePrinterError(err):
		return nil, f.unknownFormat()
	case err != nil:
		return nil, fmt.Errorf("-o %s: %s", Show(format), Show(err.Error()))
	}
	return p, nil
}

func (f *PrintFlags) unknownFormat() error {
	formats := "yaml, json, name, jsonpath=…, go-template=… or custom-columns=…"
	if f.table {
		formats = "wide, " + formats
	}
	return fmt.Errorf("unknown output format '%s': use %s", Show(f.format), formats)
}

// printTo prints obj with p to w, all or nothing: a template that fails
// halfway prints nothing, and its error is one line.
func printTo(w io.Writer, p printers.ResourcePrinter, obj runtime.Object) error {
	var buf bytes.Buffer
	if err := p.PrintObj(obj, &buf); err != nil {
		return printError(err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// printError shortens a printer's error: cli-runtime's jsonpath errors go on
// to dump the whole object over several lines.
func printError(err error) error {
	msg := err.Error()
	if before, _, ok := strings.Cut(msg, ". Printing more information for debugging the template"); ok {
		msg = before
	}
	msg = strings.ReplaceAll(msg, "\n", " ")
	return fmt.Errorf("printing the output: %s", strings.TrimSpace(msg))
}

// printList prints items: as a table (built by table) for the default
// output and -o wide, else as a kubectl List of the items. An empty list
// in a table says so on errOut, as kubectl get does.
func (f *PrintFlags) printList(out, errOut io.Writer, items []runtime.Object, allNamespaces bool, namespace string, table func() *metav1.Table) error {
	if (f.isTable() || strings.HasPrefix(f.format, customColumnsPrefix)) && len(items) == 0 {
		if allNamespaces {
			_, err := fmt.Fprintln(errOut, "No resources found")
			return err
		}
		_, err := fmt.Fprintf(errOut, "No resources found in %s namespace.\n", namespace)
		return err
	}
	if f.isTable() {
		t := table()
		for i := range t.Rows {
			t.Rows[i].Object = runtime.RawExtension{Object: items[i]}
		}
		p := printers.NewTablePrinter(printers.PrintOptions{
			Wide:          f.format == formatWide,
			WithNamespace: allNamespaces,
			NoHeaders:     f.noHeaders,
		})
		return printTo(out, p, t)
	}
	return f.PrintObjects(out, items, true)
}

// PrintObjects prints objs to w: as one kubectl List when asList, else one
// document each.
func (f *PrintFlags) PrintObjects(w io.Writer, objs []runtime.Object, asList bool) error {
	p, err := f.toPrinter(FormatYAML, "")
	if err != nil {
		return err
	}
	if asList {
		list, err := listOf(objs)
		if err != nil {
			return err
		}
		return printTo(w, p, list)
	}
	for _, obj := range objs {
		if err := printTo(w, p, obj); err != nil {
			return err
		}
	}
	return nil
}

// listOf is kubectl's List of items, each with its apiVersion and kind.
func listOf(items []runtime.Object) (*unstructured.UnstructuredList, error) {
	list := &unstructured.UnstructuredList{Object: map[string]any{
		"apiVersion": "v1", "kind": "List", "metadata": map[string]any{"resourceVersion": ""},
	}}
	list.Items = []unstructured.Unstructured{}
	for _, item := range items {
		u, err := toUnstructured(item)
		if err != nil {
			return nil, err
		}
		list.Items = append(list.Items, *u)
	}
	return list, nil
}

// toUnstructured converts a typed object, setting its apiVersion and kind.
func toUnstructured(obj runtime.Object) (*unstructured.Unstructured, error) {
	if u, ok := obj.(*unstructured.Unstructured); ok {
		return u, nil
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("converting %T: %w", obj, err)
	}
	u := &unstructured.Unstructured{Object: m}
	gvks, _, err := Scheme.ObjectKinds(obj)
	if err != nil || len(gvks) == 0 {
		return nil, fmt.Errorf("printing %T: unknown kind", obj)
	}
	u.SetGroupVersionKind(gvks[0])
	return u, nil
}

// OrNone is s, or kubectl's <none> for an empty cell.
func OrNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// Age is kubectl's AGE column.
func Age(t metav1.Time, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(t.Time))
}

// ObjectNames lists names (ns/name), at most limit of them, then "and N
// more".
func ObjectNames(names []string, limit int) string {
	if len(names) <= limit {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:limit], ", "), len(names)-limit)
}

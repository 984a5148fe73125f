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
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/printers"
)

// Output formats of -o that the commands name themselves; the rest are
// cli-runtime's (json, kyaml, name, jsonpath=…, go-template=…).
const (
	formatYAML          = "yaml"
	formatJSON          = "json"
	formatName          = "name"
	formatWide          = "wide"
	customColumnsPrefix = "custom-columns="
)

// outputFormats are the -o values offered by completion and help.
var outputFormats = []string{"yaml", "json", "kyaml", "name", "jsonpath=", "jsonpath-file=", "jsonpath-as-json=",
	"go-template=", "go-template-file=", customColumnsPrefix}

// outputFlags are kubectl's -o: cli-runtime's print flags, with the table,
// wide and custom-columns formats that kubectl keeps in k8s.io/kubectl.
type outputFlags struct {
	format string
	// table: the command prints a table by default, and takes -o wide and
	// --no-headers.
	table     bool
	noHeaders bool
	print     *genericclioptions.PrintFlags
}

func newOutputFlags(table bool) *outputFlags {
	return &outputFlags{table: table, print: genericclioptions.NewPrintFlags("").WithTypeSetter(scheme)}
}

// addFlags adds -o (and --no-headers to a table). what says what the
// default output is, for help.
func (f *outputFlags) addFlags(cmd *cobra.Command, what string) {
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
		return withPrefix(formats, toComplete), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	})
}

// isDefault is true when no -o was given.
func (f *outputFlags) isDefault() bool { return f.format == "" }

// isTable is true for the default output of a table command and -o wide.
func (f *outputFlags) isTable() bool {
	return f.table && (f.format == "" || f.format == formatWide)
}

// validate checks -o before the command does anything.
func (f *outputFlags) validate() error {
	if f.isTable() {
		return nil
	}
	_, err := f.toPrinter(formatYAML, "")
	return err
}

// objectPrinter prints objects: YAML unless -o says otherwise.
func (f *outputFlags) objectPrinter() (printers.ResourcePrinter, error) {
	return f.toPrinter(formatYAML, "")
}

// actionPrinter reports an action: by default kubectl's line
// "kind.group/name OPERATION"; with -o, the object.
func (f *outputFlags) actionPrinter(operation string) (printers.ResourcePrinter, error) {
	return f.toPrinter("", operation)
}

func (f *outputFlags) toPrinter(def, operation string) (printers.ResourcePrinter, error) {
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
		return nil, fmt.Errorf("-o %s: %s", show(format), show(err.Error()))
	}
	return p, nil
}

func (f *outputFlags) unknownFormat() error {
	formats := "yaml, json, name, jsonpath=…, go-template=… or custom-columns=…"
	if f.table {
		formats = "wide, " + formats
	}
	return fmt.Errorf("unknown output format '%s': use %s", show(f.format), formats)
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
func (f *outputFlags) printList(out, errOut io.Writer, items []runtime.Object, allNamespaces bool, namespace string, table func() *metav1.Table) error {
	if f.isTable() || strings.HasPrefix(f.format, customColumnsPrefix) {
		if len(items) == 0 {
			if allNamespaces {
				_, err := fmt.Fprintln(errOut, "No resources found")
				return err
			}
			_, err := fmt.Fprintf(errOut, "No resources found in %s namespace.\n", namespace)
			return err
		}
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
	p, err := f.objectPrinter()
	if err != nil {
		return err
	}
	list, err := listOf(items)
	if err != nil {
		return err
	}
	return printTo(out, p, list)
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
	gvks, _, err := scheme.ObjectKinds(obj)
	if err != nil || len(gvks) == 0 {
		return nil, fmt.Errorf("printing %T: unknown kind", obj)
	}
	u.SetGroupVersionKind(gvks[0])
	return u, nil
}

// nameOf is kubectl's "kind.group/name" of an object.
func nameOf(obj runtime.Object) string {
	var buf bytes.Buffer
	_ = (&printers.NamePrinter{ShortOutput: true}).PrintObj(obj, &buf)
	return strings.TrimSuffix(buf.String(), "\n")
}

// deletedLine is kubectl delete's report: `kind.group "name" deleted`, or
// with -o name just kind.group/name.
func deletedLine(u *unstructured.Unstructured, outputName bool, d dryRun) string {
	gk := u.GroupVersionKind().GroupKind()
	if outputName {
		return strings.ToLower(gk.String()) + "/" + u.GetName()
	}
	return fmt.Sprintf("%s %q deleted%s", strings.ToLower(gk.String()), u.GetName(), d.suffix())
}

// validateNameOutput checks -o of a command that only reports names.
func validateNameOutput(format string) error {
	if format != "" && format != formatName {
		return fmt.Errorf("unknown output format '%s': use name (or leave -o out)", show(format))
	}
	return nil
}

// dryRun is --dry-run: none, client (nothing is sent) or server (the
// apiserver checks and admits the request without persisting it).
type dryRun string

const (
	dryRunNone   dryRun = "none"
	dryRunClient dryRun = "client"
	dryRunServer dryRun = "server"
)

func (d *dryRun) String() string { return string(*d) }

func (d *dryRun) Set(v string) error {
	switch dryRun(v) {
	case dryRunNone, dryRunClient, dryRunServer:
		*d = dryRun(v)
		return nil
	}
	return fmt.Errorf("must be none, client or server")
}

func (d *dryRun) Type() string { return "string" }

// addDryRunFlag adds --dry-run=none|client|server, default none. As in
// kubectl, it takes a value: a bare --dry-run is an error, not a guess.
func addDryRunFlag(cmd *cobra.Command, d *dryRun, usage string) {
	*d = dryRunNone
	cmd.Flags().Var(d, "dry-run", usage)
	_ = cmd.RegisterFlagCompletionFunc("dry-run", func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return withPrefix([]string{"none", "client", "server"}, toComplete), cobra.ShellCompDirectiveNoFileComp
	})
}

// suffix is kubectl's note after the operation of a dry run.
func (d dryRun) suffix() string {
	switch d {
	case dryRunClient:
		return " (dry run)"
	case dryRunServer:
		return " (server dry run)"
	}
	return ""
}

// addDeprecatedCheckFlag adds --check, kept for one release as
// --dry-run=server. pflag writes the deprecation notice to the flag set's
// output, which cobra would copy to stdout: it goes to errOut instead.
func addDeprecatedCheckFlag(cmd *cobra.Command, check *bool, errOut io.Writer) {
	cmd.Flags().BoolVar(check, "check", false, "Deprecated: use --dry-run=server.")
	_ = cmd.Flags().MarkDeprecated("check", "use --dry-run=server instead")
	cmd.Flags().SetOutput(errOut)
}

// resolveCheck folds --check into --dry-run.
func resolveCheck(flags *pflag.FlagSet, check bool, d *dryRun) error {
	if !check {
		return nil
	}
	if flags.Changed("dry-run") && *d != dryRunServer {
		return fmt.Errorf("--check means --dry-run=server; it cannot be used with --dry-run=%s", *d)
	}
	*d = dryRunServer
	return nil
}

// itemsOf is the items of a typed list as objects.
func itemsOf(list runtime.Object) ([]runtime.Object, error) {
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, fmt.Errorf("reading the list: %w", err)
	}
	return items, nil
}

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
	"fmt"
	"io"
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/util/jsonpath"
)

// customColumnsPrinter is -o custom-columns=HEADER:JSONPATH[,HEADER:JSONPATH]...:
// one row per object, one column per JSONPath (with or without braces). A
// path that finds nothing prints <none>; several values are joined by ','.
type customColumnsPrinter struct {
	headers   []string
	paths     []*jsonpath.JSONPath
	noHeaders bool
}

var _ printers.ResourcePrinter = (*customColumnsPrinter)(nil)

func newCustomColumnsPrinter(spec string, noHeaders bool) (*customColumnsPrinter, error) {
	if spec == "" {
		return nil, fmt.Errorf("-o custom-columns needs columns: -o custom-columns=NAME:.metadata.name,PHASE:.status.phase")
	}
	p := &customColumnsPrinter{noHeaders: noHeaders}
	for _, col := range strings.Split(spec, ",") {
		header, expr, ok := strings.Cut(col, ":")
		if !ok || header == "" || expr == "" {
			return nil, fmt.Errorf("-o custom-columns: '%s' is not HEADER:JSONPATH, e.g. NAME:.metadata.name", Show(col))
		}
		if !strings.HasPrefix(expr, "{") {
			expr = "{" + expr + "}"
		}
		j := jsonpath.New(header).AllowMissingKeys(true)
		if err := j.Parse(expr); err != nil {
			return nil, fmt.Errorf("-o custom-columns: column %s: %s", Show(header), Show(err.Error()))
		}
		p.headers = append(p.headers, header)
		p.paths = append(p.paths, j)
	}
	return p, nil
}

func (p *customColumnsPrinter) PrintObj(obj runtime.Object, out io.Writer) error {
	items := []runtime.Object{obj}
	if meta.IsListType(obj) {
		var err error
		if items, err = meta.ExtractList(obj); err != nil {
			return err
		}
	}
	w := printers.GetNewTabWriter(out)
	if !p.noHeaders {
		fmt.Fprintln(w, strings.Join(p.headers, "\t"))
	}
	for _, item := range items {
		content, err := jsonContent(item)
		if err != nil {
			return err
		}
		cells := make([]string, len(p.paths))
		for i, j := range p.paths {
			results, err := j.FindResults(content)
			if err != nil {
				return fmt.Errorf("column %s: %v", p.headers[i], err)
			}
			cells[i] = cell(results)
		}
		fmt.Fprintln(w, strings.Join(cells, "\t"))
	}
	return w.Flush()
}

// jsonContent is obj as JSONPath sees it: its JSON form.
func jsonContent(obj runtime.Object) (any, error) {
	if u, ok := obj.(runtime.Unstructured); ok {
		return u.UnstructuredContent(), nil
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var content any
	err = json.Unmarshal(b, &content)
	return content, err
}

// cell formats what a column's JSONPath found.
func cell(results [][]reflect.Value) string {
	var values []string
	for _, set := range results {
		for _, v := range set {
			if s := cellValue(v); s != "" {
				values = append(values, s)
			}
		}
	}
	if len(values) == 0 {
		return "<none>"
	}
	s := strings.Join(values, ",")
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
}

func cellValue(v reflect.Value) string {
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	if !v.IsValid() {
		return ""
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Map, reflect.Slice, reflect.Struct, reflect.Array:
		b, err := json.Marshal(v.Interface())
		if err != nil {
			return fmt.Sprint(v.Interface())
		}
		return string(b)
	}
	return fmt.Sprint(v.Interface())
}

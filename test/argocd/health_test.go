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

// Package argocd_test runs the Argo CD health checks in config/argocd with
// gopher-lua, the interpreter Argo CD embeds, the way Argo CD runs them, and
// holds their verdicts against kstatus (what Flux reads) on the same objects.
package argocd_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

var update = flag.Bool("update", false, "write the app fixtures in testdata/ and config/argocd/argocd-cm.yaml anew")

const configDir = "../../config/argocd"

// The keys Argo CD reads a health check from: resource.customizations.health.<group>_<kind>.
var kinds = []string{"lightning.ai_LightningApp", "lightning.ai_LightningSecret"}

func scriptPath(groupKind string) string {
	return filepath.Join(configDir, groupKind, "health.lua")
}

func readScript(t *testing.T, obj *unstructured.Unstructured) string {
	t.Helper()
	gk := obj.GroupVersionKind().Group + "_" + obj.GetKind()
	b, err := os.ReadFile(scriptPath(gk))
	if err != nil {
		t.Fatalf("no health check for %s: %v", gk, err)
	}
	return string(b)
}

// healthStatuses are the codes Argo CD accepts from a script; it turns any
// other into Unknown ("Lua returned an invalid health status").
var healthStatuses = []string{"Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"}

type health struct{ Status, Message string }

// toLua converts an unstructured object to Lua values as Argo CD does:
// maps become tables, lists 1-based arrays, numbers LNumber.
func toLua(L *lua.LState, v any) (lua.LValue, error) {
	switch v := v.(type) {
	case nil:
		return lua.LNil, nil
	case bool:
		return lua.LBool(v), nil
	case string:
		return lua.LString(v), nil
	case int64:
		return lua.LNumber(v), nil
	case int32:
		return lua.LNumber(v), nil
	case int:
		return lua.LNumber(v), nil
	case float64:
		return lua.LNumber(v), nil
	case []any:
		t := L.CreateTable(len(v), 0)
		for i, e := range v {
			lv, err := toLua(L, e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			t.Append(lv)
		}
		return t, nil
	case map[string]any:
		t := L.CreateTable(0, len(v))
		for k, e := range v {
			lv, err := toLua(L, e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			t.RawSetString(k, lv)
		}
		return t, nil
	default:
		return nil, fmt.Errorf("cannot convert a %T to Lua", v)
	}
}

// runHealth runs a health script as Argo CD runs one from argocd-cm: with
// only the package, base and table libraries (no string library without
// useOpenLibs), the object as the global obj, one second to finish, and a
// returned table whose status must be a health code.
func runHealth(script string, obj map[string]any) (health, error) {
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer L.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.LoadLibName, lua.OpenPackage}, {lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}} {
		if err := L.CallByParam(lua.P{Fn: L.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return health{}, fmt.Errorf("opening Lua library %q: %w", lib.name, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	L.SetContext(ctx)
	o, err := toLua(L, obj)
	if err != nil {
		return health{}, fmt.Errorf("converting the object: %w", err)
	}
	L.SetGlobal("obj", o)
	if err := L.DoString(script); err != nil {
		return health{}, fmt.Errorf("running the script: %s", strings.Join(strings.Fields(err.Error()), " "))
	}
	hs, ok := L.Get(-1).(*lua.LTable)
	if !ok {
		return health{}, fmt.Errorf("the script returned a %s, want a table", L.Get(-1).Type())
	}
	st, ok := hs.RawGetString("status").(lua.LString)
	if !ok || !slices.Contains(healthStatuses, string(st)) {
		return health{}, fmt.Errorf("the script returned status %v, want one of %s", hs.RawGetString("status"), strings.Join(healthStatuses, ", "))
	}
	var msg string
	switch m := hs.RawGetString("message").(type) {
	case lua.LString:
		msg = string(m)
	case *lua.LNilType:
	default:
		return health{}, fmt.Errorf("the script returned a %s message, want a string", m.Type())
	}
	return health{Status: string(st), Message: msg}, nil
}

// loadObject reads a YAML object as the apiserver would hand it over
// (JSON-decoded unstructured, integers as int64).
func loadObject(path string) (*unstructured.Unstructured, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseObject(b)
}

func parseObject(b []byte) (*unstructured.Unstructured, error) {
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		return nil, fmt.Errorf("parsing YAML: %w", err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(j); err != nil {
		return nil, fmt.Errorf("decoding the object: %w", err)
	}
	return u, nil
}

// agreed is what kstatus says where the Lua check says each status. A
// stopped app is Suspended to Argo CD; kstatus has no such status, and the
// controller reports it Ready=True (reason Stopped), so kstatus says Current.
var agreed = map[string]status.Status{
	"Healthy":     status.CurrentStatus,
	"Progressing": status.InProgressStatus,
	"Degraded":    status.FailedStatus,
	"Suspended":   status.CurrentStatus,
}

type healthCase struct {
	file string
	lua  string
	// msgOf names the condition whose message the check reports; msg is
	// the message itself where no condition holds it.
	msgOf, msg string
	// contains is a part of the message that says what is wrong.
	contains string
	kstatus  status.Status
	// differ says why kstatus does not say what agreed maps lua to.
	differ string
}

func TestHealth(t *testing.T) {
	tests := []healthCase{
		{file: "app-no-status.yaml", lua: "Progressing", msg: "Waiting for the controller to report the app's status", kstatus: status.CurrentStatus,
			differ: "kstatus reads an object without status.observedGeneration and without conditions as Current"},
		{file: "app-healthy.yaml", lua: "Healthy", msgOf: "Ready", contains: "All 2 component(s) are available", kstatus: status.CurrentStatus},
		{file: "app-progressing-rollout.yaml", lua: "Progressing", msgOf: "Ready", contains: "Waiting for components to become available: root, root.work_a", kstatus: status.InProgressStatus},
		{file: "app-progressing-components-failing.yaml", lua: "Progressing", msgOf: "Ready", contains: "root.work_a: CrashLoopBackOff: container component exited with code 1 (Error)", kstatus: status.InProgressStatus},
		{file: "app-progressing-new-generation.yaml", lua: "Progressing", msg: "Waiting for the controller to observe generation 4 (the status is of generation 3)", kstatus: status.InProgressStatus},
		{file: "app-progressing-reconcile-error.yaml", lua: "Progressing", msgOf: "Ready", contains: "the server is currently unable to handle the request", kstatus: status.InProgressStatus},
		{file: "app-progressing-waiting-for-secret.yaml", lua: "Progressing", msgOf: "Ready", contains: "Secret with name 'my-secret' not found", kstatus: status.InProgressStatus},
		{file: "app-degraded-secret-not-ready.yaml", lua: "Degraded", msgOf: "Stalled", contains: "Secret with name 'my-secret' is not ready: Tampered", kstatus: status.FailedStatus},
		{file: "app-degraded-secret-deleted.yaml", lua: "Degraded", msgOf: "Stalled", contains: "Secret with name 'my-secret' not found; the app keeps running on its last good Secret", kstatus: status.FailedStatus},
		{file: "app-degraded-last-good-secrets.yaml", lua: "Degraded", msgOf: "Stalled", contains: "is not ready: Tampered; the app keeps running on its last good Secret", kstatus: status.FailedStatus},
		{file: "app-degraded-foreign-object.yaml", lua: "Degraded", msgOf: "Stalled", contains: "exists and is not owned by LightningApp my-app", kstatus: status.FailedStatus},
		{file: "app-degraded-namespace-excluded.yaml", lua: "Degraded", msgOf: "Stalled", contains: "does not select, so its pods would get no env", kstatus: status.FailedStatus},
		{file: "app-suspended.yaml", lua: "Suspended", msgOf: "Ready", contains: "Stopped", kstatus: status.CurrentStatus},
		{file: "app-progressing-stopping.yaml", lua: "Progressing", msgOf: "Ready", contains: "root.work_a", kstatus: status.InProgressStatus},
		{file: "app-degraded-stopped-secret-deleted.yaml", lua: "Degraded", msgOf: "Stalled", contains: "Secret with name 'my-secret' not found", kstatus: status.FailedStatus},
		{file: "secret-no-status.yaml", lua: "Progressing", msg: "Waiting for the controller to open the value", kstatus: status.CurrentStatus,
			differ: "kstatus reads an object without status.observedGeneration and without conditions as Current"},
		{file: "secret-healthy.yaml", lua: "Healthy", msgOf: "Ready", contains: "The value opens with sealing key 35f01deeab9522bb", kstatus: status.CurrentStatus},
		{file: "secret-progressing-new-generation.yaml", lua: "Progressing", msg: "Waiting for the controller to observe generation 2 (the status is of generation 1)", kstatus: status.InProgressStatus},
		{file: "secret-degraded-tampered.yaml", lua: "Degraded", msgOf: "Stalled", contains: "it was altered, or sealed for another name or namespace", kstatus: status.FailedStatus},
		{file: "secret-degraded-key-not-found.yaml", lua: "Degraded", msgOf: "Stalled", contains: "is not in the operator's keyring", kstatus: status.FailedStatus},
		{file: "secret-progressing-kms-unavailable.yaml", lua: "Progressing", msgOf: "Ready", contains: "it opens once the KMS plugin answers", kstatus: status.InProgressStatus},
	}

	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !slices.ContainsFunc(tests, func(tt healthCase) bool { return tt.file == filepath.Base(f) }) {
			t.Errorf("%s has no row in TestHealth", f)
		}
	}

	var summary []string
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			obj, err := loadObject(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			strictDecode(t, filepath.Join("testdata", tt.file), obj.GetKind())
			got, err := runHealth(readScript(t, obj), obj.Object)
			if err != nil {
				t.Fatal(err)
			}
			ks, err := status.Compute(obj)
			if err != nil {
				t.Fatalf("kstatus: %v", err)
			}
			summary = append(summary, fmt.Sprintf("| %s | %s | %s | %s |", tt.file, got.Status, ks.Status, got.Message))

			if got.Status != tt.lua {
				t.Errorf("Lua status = %s (%q), want %s", got.Status, got.Message, tt.lua)
			}
			want := tt.msg
			if tt.msgOf != "" {
				c := findCondition(t, obj, tt.msgOf)
				want = c["message"].(string)
			}
			if got.Message != want {
				t.Errorf("Lua message = %q, want %q", got.Message, want)
			}
			if !strings.Contains(got.Message, tt.contains) {
				t.Errorf("Lua message %q does not say %q", got.Message, tt.contains)
			}
			if ks.Status != tt.kstatus {
				t.Errorf("kstatus = %s (%q), want %s", ks.Status, ks.Message, tt.kstatus)
			}
			switch agrees := agreed[got.Status] == ks.Status; {
			case tt.differ == "" && !agrees:
				t.Errorf("Lua says %s and kstatus %s; they agree on %s↔%s", got.Status, ks.Status, got.Status, agreed[got.Status])
			case tt.differ != "" && agrees:
				t.Errorf("Lua (%s) and kstatus (%s) agree now; drop the note %q", got.Status, ks.Status, tt.differ)
			}
		})
	}
	sort.Strings(summary)
	t.Logf("\n| fixture | Lua (Argo CD) | kstatus | Lua message |\n|---|---|---|---|\n%s", strings.Join(summary, "\n"))
}

// strictDecode decodes a fixture into its API type, refusing any field the
// type does not have: a hand-written fixture cannot drift from the API.
func strictDecode(t *testing.T, path, kind string) {
	t.Helper()
	var into any
	switch kind {
	case "LightningApp":
		into = &lightningv1alpha1.LightningApp{}
	case "LightningSecret":
		into = &lightningv1alpha1.LightningSecret{}
	default:
		t.Fatalf("%s: kind %q is not one of the operator's", path, kind)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(b, into); err != nil {
		t.Errorf("%s does not decode as a %s: %v", path, kind, err)
	}
}

func findCondition(t *testing.T, obj *unstructured.Unstructured, condType string) map[string]any {
	t.Helper()
	conds, _, err := unstructured.NestedSlice(obj.Object, "status", "conditions")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == condType {
			return m
		}
	}
	t.Fatalf("the fixture has no %s condition", condType)
	return nil
}

// TestHealthEdgeCases feeds the checks shapes the controller does not
// write, which a hand-edited or half-written object may have: the check
// still returns a status, never a Lua error.
func TestHealthEdgeCases(t *testing.T) {
	const (
		app = "apiVersion: lightning.ai/v1alpha1\nkind: LightningApp\nmetadata: {name: a, namespace: n, generation: 2}\nspec: {image: i}\n"
		sec = "apiVersion: lightning.ai/v1alpha1\nkind: LightningSecret\nmetadata: {name: s, namespace: n, generation: 2}\nspec: {encryptedValue: v}\n"
	)
	cond := func(typ, st, reason string) string {
		return fmt.Sprintf("{type: %s, status: %q, reason: %s, message: %s is %s, observedGeneration: 2}", typ, st, reason, typ, st)
	}
	tests := []struct {
		name, obj, want, msg string
	}{
		{"app with status: null", app + "status: null\n", "Progressing", "Waiting for the controller to report the app's status"},
		{"app with an empty status", app + "status: {}\n", "Progressing", "Waiting for the controller to report the app's status"},
		{"app with no conditions", app + "status: {observedGeneration: 2, conditions: []}\n", "Progressing", "Waiting for the controller to report the app's status"},
		{"app whose conditions are not a list", app + "status: {observedGeneration: 2, conditions: oops}\n", "Progressing", "Waiting for the controller to report the app's status"},
		{"app with a condition that is not an object", app + "status: {observedGeneration: 2, conditions: [oops, " + cond("Ready", "True", "ComponentsReady") + "]}\n", "Healthy", "Ready is True"},
		{"app without Ready", app + "status: {observedGeneration: 2, conditions: [" + cond("SecretsResolved", "True", "Resolved") + "]}\n", "Progressing", "Waiting for the Ready condition"},
		{"app with Ready=Unknown", app + "status: {observedGeneration: 2, conditions: [" + cond("Ready", "Unknown", "Progressing") + "]}\n", "Progressing", "Ready is Unknown"},
		{"app with Ready=False alone", app + "status: {observedGeneration: 2, conditions: [" + cond("Ready", "False", "Progressing") + "]}\n", "Progressing", "Ready is False"},
		{"app with Ready=True and Reconciling=True", app + "status: {observedGeneration: 2, conditions: [" + cond("Ready", "True", "ComponentsReady") + ", " + cond("Reconciling", "True", "Progressing") + "]}\n", "Progressing", "Reconciling is True"},
		{"app with a Stalled condition without a message", app + "status: {observedGeneration: 2, conditions: [{type: Stalled, status: \"True\", reason: X}]}\n", "Degraded", "The app is stalled"},
		{"app whose observedGeneration is a string", app + "status: {observedGeneration: \"2\", conditions: [" + cond("Ready", "True", "ComponentsReady") + "]}\n", "Healthy", "Ready is True"},
		{"app newer than a status without observedGeneration", app + "status: {conditions: [{type: Ready, status: \"True\", reason: R, observedGeneration: 1}]}\n", "Progressing", "Waiting for the controller to observe generation 2 (the status is of generation 1)"},
		{"app without metadata.generation", "apiVersion: lightning.ai/v1alpha1\nkind: LightningApp\nmetadata: {name: a}\nstatus: {conditions: [" + cond("Ready", "True", "ComponentsReady") + "]}\n", "Healthy", "Ready is True"},
		{"stopped app the controller has not seen", app + "spec: {stopped: true}\n", "Progressing", "Waiting for the controller to report the app's status"},
		{"stopped app from a controller without a Stopped reason", app + "spec: {stopped: true}\nstatus: {observedGeneration: 2, conditions: [" + cond("Ready", "True", "ComponentsReady") + "]}\n", "Suspended", "stopped"},
		{"spec.stopped as a string is not stopped", app + "spec: {stopped: \"true\"}\nstatus: {observedGeneration: 2, conditions: [" + cond("Ready", "True", "ComponentsReady") + "]}\n", "Healthy", "Ready is True"},
		{"secret with Ready=False Tampered and no Stalled", sec + "status: {observedGeneration: 2, conditions: [" + cond("Ready", "False", "Tampered") + "]}\n", "Degraded", "Ready is False"},
		{"secret with Ready=False UnknownVersion", sec + "status: {observedGeneration: 2, conditions: [" + cond("Ready", "False", "UnknownVersion") + "]}\n", "Degraded", "Ready is False"},
		{"secret with Ready=False Malformed and no message", sec + "status: {observedGeneration: 2, conditions: [{type: Ready, status: \"False\", reason: Malformed}]}\n", "Degraded", "The value does not open: Malformed"},
		{"secret with Ready=False for a reason waiting may fix", sec + "status: {observedGeneration: 2, conditions: [" + cond("Ready", "False", "Opening") + "]}\n", "Progressing", "Ready is False"},
		{"secret with Ready=False and no reason", sec + "status: {observedGeneration: 2, conditions: [{type: Ready, status: \"False\"}]}\n", "Progressing", "Waiting for the value to open"},
		{"secret without Ready", sec + "status: {observedGeneration: 2, conditions: [" + cond("Other", "True", "X") + "]}\n", "Progressing", "Waiting for the Ready condition"},
		{"secret with an empty status", sec + "status: {}\n", "Progressing", "Waiting for the controller to open the value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, err := parseObject([]byte(tt.obj))
			if err != nil {
				t.Fatal(err)
			}
			got, err := runHealth(readScript(t, obj), obj.Object)
			if err != nil {
				t.Fatal(err)
			}
			if want := (health{Status: tt.want, Message: tt.msg}); got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

// TestRunHealthRejects shows the runner turns what Argo CD would not accept
// into an error instead of a verdict.
func TestRunHealthRejects(t *testing.T) {
	tests := []struct{ name, script, want string }{
		{"no table", `return "Healthy"`, "the script returned a string, want a table"},
		{"a status Argo CD does not know", `return {status = "Fine"}`, "the script returned status Fine, want one of"},
		{"no status", `return {message = "m"}`, "the script returned status nil"},
		{"a message that is not a string", `return {status = "Healthy", message = {}}`, "the script returned a table message"},
		{"the string library, closed as in Argo CD", `return {status = string.upper("healthy")}`, "running the script:"},
		{"a script that never ends", `while true do end`, "running the script:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runHealth(tt.script, map[string]any{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one with %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is not one line", err)
			}
		})
	}
	if _, err := runHealth(`return {status = "Healthy"}`, map[string]any{"x": struct{}{}}); err == nil || !strings.Contains(err.Error(), "cannot convert a struct {} to Lua") {
		t.Errorf("converting a struct: error = %v", err)
	}
}

// argocdCM is config/argocd/argocd-cm.yaml: the argocd-cm keys that hold
// the checks, to merge into Argo CD's own ConfigMap.
func argocdCM() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`# Argo CD health checks for lightning-operator's kinds, as keys of argocd-cm.
# Merge them into Argo CD's ConfigMap (see docs/argocd.md):
#   kubectl -n argocd patch configmap argocd-cm --type merge --patch-file config/argocd/argocd-cm.yaml
# Generated from config/argocd/*/health.lua by ` + "`go test ./test/argocd/ -update`" + `; do not edit.
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  labels:
    app.kubernetes.io/name: argocd-cm
    app.kubernetes.io/part-of: argocd
data:
`)
	for _, k := range kinds {
		script, err := os.ReadFile(scriptPath(k))
		if err != nil {
			return nil, err
		}
		if !bytes.HasSuffix(script, []byte("\n")) || bytes.HasSuffix(script, []byte("\n\n")) {
			return nil, fmt.Errorf("%s must end with exactly one newline to fit a YAML block scalar", scriptPath(k))
		}
		fmt.Fprintf(&b, "  resource.customizations.health.%s: |\n", k)
		for _, line := range strings.SplitAfter(strings.TrimSuffix(string(script), "\n"), "\n") {
			if strings.TrimSpace(line) == "" {
				b.WriteString("\n")
				continue
			}
			b.WriteString("    " + line)
		}
		b.WriteString("\n")
	}
	return b.Bytes(), nil
}

func TestArgoCDConfigMapHoldsTheScripts(t *testing.T) {
	path := filepath.Join(configDir, "argocd-cm.yaml")
	want, err := argocdCM()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale; run `go test ./test/argocd/ -update`", path)
	}
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict(got, &cm); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if cm.Name != "argocd-cm" || cm.Kind != "ConfigMap" {
		t.Errorf("%s is %s %s, want ConfigMap argocd-cm", path, cm.Kind, cm.Name)
	}
	var keys []string
	for k, v := range cm.Data {
		keys = append(keys, k)
		gk, ok := strings.CutPrefix(k, "resource.customizations.health.")
		if !ok {
			t.Errorf("%s has key %s, want only resource.customizations.health.* keys", path, k)
			continue
		}
		script, err := os.ReadFile(scriptPath(gk))
		if err != nil {
			t.Errorf("%s: key %s: %v", path, k, err)
			continue
		}
		if v != string(script) {
			t.Errorf("%s: key %s differs from %s", path, k, scriptPath(gk))
		}
	}
	sort.Strings(keys)
	if want := []string{"resource.customizations.health.lightning.ai_LightningApp", "resource.customizations.health.lightning.ai_LightningSecret"}; !slices.Equal(keys, want) {
		t.Errorf("%s keys = %v, want %v", path, keys, want)
	}
}

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

package chart

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/resource"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/lightning-operator/lightning-operator/internal/app"
	"github.com/lightning-operator/lightning-operator/internal/certs"
)

// The image `make build-installer` sets by default, and the chart's default.
const defaultImage = "ghcr.io/lightning-operator/lightning-operator:v0.1.0"

const (
	namespace  = "lightning-system"
	deployment = "apps/v1/Deployment/lightning-system/lightning-operator-controller-manager"
)

var root = filepath.Join("..", "..")

// object is one rendered manifest.
type object = map[string]any

// objects are keyed apiVersion/kind/namespace/name.
type objects map[string]object

func keyOf(o object) string {
	return fmt.Sprintf("%s/%s/%s/%s", o["apiVersion"], o["kind"], str(o, "metadata", "namespace"), str(o, "metadata", "name"))
}

// parse splits a multi-document YAML stream; documents with only comments
// are dropped, as helm and kubectl drop them.
func parse(data string, into objects) error {
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(data)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		var o object
		if err := yaml.Unmarshal(doc, &o); err != nil {
			return fmt.Errorf("%w in:\n%s", err, doc)
		}
		if o == nil {
			continue
		}
		k := keyOf(o)
		if _, dup := into[k]; dup {
			return fmt.Errorf("%s rendered twice", k)
		}
		into[k] = o
	}
}

// renderChart renders dist/chart as `helm install lightning-operator
// dist/chart -n ns` would, with vals over values.yaml.
func renderChart(ns string, vals map[string]any) (objects, error) {
	docs, err := Render(filepath.Join(root, "dist", "chart"), ns, vals)
	if err != nil {
		return nil, err
	}
	out := objects{}
	for _, d := range docs {
		if err := parse(d.YAML, out); err != nil {
			return nil, fmt.Errorf("%s: %w", d.Template, err)
		}
	}
	return out, nil
}

// renderKustomize builds an overlay like the one `make build-installer`
// writes: base (a config/ folder) with the default image, plus components.
func renderKustomize(t *testing.T, base string, components ...string) objects {
	t.Helper()
	dir := t.TempDir()
	// kustomize takes no absolute paths: name the folders from dir.
	rel := func(p string) string {
		a, err := filepath.Abs(filepath.Join(root, "config", p))
		if err == nil {
			a, err = filepath.Rel(dir, a)
		}
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	var k strings.Builder
	fmt.Fprintf(&k, "resources:\n- %s\n", rel(base))
	if len(components) > 0 {
		k.WriteString("components:\n")
		for _, c := range components {
			fmt.Fprintf(&k, "- %s\n", rel(c))
		}
	}
	repo, tag, _ := strings.Cut(defaultImage, ":")
	fmt.Fprintf(&k, "images:\n- name: controller\n  newName: %s\n  newTag: %s\n", repo, tag)
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build of config/%s %v: %v", base, components, err)
	}
	data, err := res.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	out := objects{}
	if err := parse(string(data), out); err != nil {
		t.Fatal(err)
	}
	return out
}

// Labels and annotations only the chart sets: Helm's bookkeeping, and the
// policy that keeps the CRDs on uninstall (crd.keep).
var (
	helmLabels      = []string{"helm.sh/chart", "app.kubernetes.io/managed-by", "app.kubernetes.io/instance"}
	helmAnnotations = []string{"helm.sh/resource-policy"}
)

func dropHelmMetadata(o object) {
	md, _ := o["metadata"].(map[string]any)
	for field, keys := range map[string][]string{"labels": helmLabels, "annotations": helmAnnotations} {
		m, _ := md[field].(map[string]any)
		for _, k := range keys {
			delete(m, k)
		}
		if m != nil && len(m) == 0 {
			delete(md, field)
		}
	}
}

// onlyInBundle are objects the bundle has and the chart leaves out, each
// with why. Nothing else may differ.
var onlyInBundle = map[string]string{
	"v1/Namespace//" + namespace: "helm installs into the release namespace, which it creates (--create-namespace); a chart that also rendered it would fail to install",
}

func TestChartMatchesBundle(t *testing.T) {
	for _, tc := range []struct {
		name       string
		values     map[string]any
		base       string
		components []string
		// watchNamespaces from the overlay's --watch-namespaces, so the
		// chart follows whatever namespaces config/namespaced lists.
		overlayWatch bool
	}{
		{name: "defaults", base: "default"},
		{name: "cert-manager", values: map[string]any{"webhook": map[string]any{"tls": "cert-manager"}}, base: "certmanager"},
		{name: "service monitor", values: serviceMonitorOn, base: "default", components: []string{"prometheus"}},
		{name: "namespace-scoped", base: "namespaced", overlayWatch: true},
		{name: "KMS plugin sidecar", values: kmsOn, base: "default", components: []string{"kms"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := renderKustomize(t, tc.base, tc.components...)
			values := tc.values
			if tc.overlayWatch {
				values = map[string]any{"watchNamespaces": watchNamespacesOf(t, want)}
			}
			got, err := renderChart(namespace, values)
			if err != nil {
				t.Fatal(err)
			}
			mustGet(t, want, deployment)
			for k, o := range got {
				dropHelmMetadata(o)
				if _, ok := want[k]; !ok {
					t.Errorf("%s: the chart renders it, config/%s %v does not", k, tc.base, tc.components)
				}
			}
			equal := 0
			defer func() { t.Logf("%d objects the same in the chart and config/%s %v", equal, tc.base, tc.components) }()
			for k, w := range want {
				g, ok := got[k]
				switch {
				case !ok && onlyInBundle[k] != "":
					t.Logf("%s: not in the chart, as allowed: %s", k, onlyInBundle[k])
				case !ok:
					t.Errorf("%s: config/%s %v renders it, the chart does not", k, tc.base, tc.components)
				default:
					if d := cmp.Diff(w, g); d != "" {
						t.Errorf("%s differs (-kustomize +chart):\n%s", k, d)
					} else {
						equal++
					}
				}
			}
		})
	}
}

// watchNamespacesOf is the list of the manager's --watch-namespaces in objs.
func watchNamespacesOf(t *testing.T, objs objects) []any {
	t.Helper()
	c := slice(mustGet(t, objs, deployment), "spec", "template", "spec", "containers")[0]
	for _, a := range strSlice(slice(c, "args")) {
		if v, ok := strings.CutPrefix(a, "--watch-namespaces="); ok && v != "" {
			var out []any
			for _, ns := range strings.Split(v, ",") {
				out = append(out, ns)
			}
			return out
		}
	}
	t.Fatalf("the manager runs without --watch-namespaces: %v", slice(c, "args"))
	return nil
}

// kmsOn runs a KMS plugin beside the manager, with the image name
// config/kms leaves for an overlay to set.
var kmsOn = map[string]any{"kms": map[string]any{"enabled": true, "image": "kms-plugin"}}

var serviceMonitorOn = map[string]any{"metrics": map[string]any{"serviceMonitor": map[string]any{"enabled": true}}}

// Both renders of each mode, so the checks below hold for either install.
func renders(t *testing.T, values map[string]any, base string, components ...string) map[string]objects {
	t.Helper()
	chart, err := renderChart(namespace, values)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]objects{
		strings.TrimSpace("config/" + base + " " + strings.Join(components, " ")): renderKustomize(t, base, components...),
		"chart": chart,
	}
}

func TestCertManager(t *testing.T) {
	for src, objs := range renders(t, map[string]any{"webhook": map[string]any{"tls": "cert-manager"}}, "certmanager") {
		t.Run(src, func(t *testing.T) {
			serving := mustGet(t, objs, "cert-manager.io/v1/Certificate/lightning-system/lightning-operator-serving-cert")
			// The metrics server reads the same directory (main.go).
			if got, want := slice(serving, "spec", "dnsNames"), []any{
				"lightning-operator-webhook-service.lightning-system.svc",
				"lightning-operator-webhook-service.lightning-system.svc.cluster.local",
				"lightning-operator-controller-manager-metrics-service.lightning-system.svc",
				"lightning-operator-controller-manager-metrics-service.lightning-system.svc.cluster.local",
			}; !cmp.Equal(got, want) {
				t.Errorf("serving certificate dnsNames %v, want the webhook and metrics Services' %v", got, want)
			}
			// The serving certificate's issuer is a CA Issuer whose CA is a
			// Certificate from the self-signed Issuer.
			caIssuer := mustGet(t, objs, "cert-manager.io/v1/Issuer/lightning-system/"+str(serving, "spec", "issuerRef", "name"))
			ca := mustGet(t, objs, "cert-manager.io/v1/Certificate/lightning-system/lightning-operator-webhook-ca")
			if got := str(caIssuer, "spec", "ca", "secretName"); got == "" || got != str(ca, "spec", "secretName") {
				t.Errorf("CA Issuer signs with Secret %q, the CA Certificate writes %q", got, str(ca, "spec", "secretName"))
			}
			if isCA, _ := get(ca, "spec", "isCA").(bool); !isCA {
				t.Error("CA Certificate is not isCA")
			}
			root := mustGet(t, objs, "cert-manager.io/v1/Issuer/lightning-system/"+str(ca, "spec", "issuerRef", "name"))
			if get(root, "spec", "selfSigned") == nil {
				t.Errorf("the CA's issuer %s is not self-signed", str(root, "metadata", "name"))
			}

			mwc := mustGet(t, objs, "admissionregistration.k8s.io/v1/MutatingWebhookConfiguration//lightning-operator-mutating-webhook-configuration")
			if got, want := str(mwc, "metadata", "annotations", "cert-manager.io/inject-ca-from"), "lightning-system/lightning-operator-serving-cert"; got != want {
				t.Errorf("inject-ca-from %q, want %q", got, want)
			}

			pod := get(mustGet(t, objs, deployment), "spec", "template", "spec").(map[string]any)
			c := slice(pod, "containers")[0].(map[string]any)
			args := strings.Join(strSlice(slice(c, "args")), " ")
			if !strings.Contains(args, "--webhook-tls=external") {
				t.Errorf("manager args %q lack --webhook-tls=external", args)
			}
			const dir = "/tmp/k8s-webhook-server/serving-certs"
			if !strings.Contains(args, "--webhook-cert-dir="+dir) {
				t.Errorf("manager args %q lack --webhook-cert-dir=%s", args, dir)
			}
			mount := named(slice(c, "volumeMounts"), "mountPath", dir)
			if mount == nil || mount["readOnly"] != true {
				t.Fatalf("no read-only mount at %s: %v", dir, slice(c, "volumeMounts"))
			}
			vol := named(slice(pod, "volumes"), "name", mount["name"].(string))
			if got, want := str(vol, "secret", "secretName"), str(serving, "spec", "secretName"); got == "" || got != want {
				t.Errorf("mounted Secret %q, the serving Certificate writes %q", got, want)
			}
			// config/certmanager once re-namespaced the cluster-scoped policy.
			for k := range objs {
				if strings.Contains(k, "ValidatingAdmissionPolicy") && !strings.Contains(k, "//") {
					t.Errorf("%s is namespaced; it is cluster-scoped", k)
				}
			}
		})
	}
}

func TestServiceMonitor(t *testing.T) {
	for src, objs := range renders(t, serviceMonitorOn, "default", "prometheus") {
		t.Run(src, func(t *testing.T) {
			sm := mustGet(t, objs, "monitoring.coreos.com/v1/ServiceMonitor/lightning-system/lightning-operator-controller-manager-metrics-monitor")
			selector, _ := get(sm, "spec", "selector", "matchLabels").(map[string]any)
			var selected []string
			for k, o := range objs {
				if o["kind"] == "Service" && str(o, "metadata", "namespace") == str(sm, "metadata", "namespace") && matches(selector, get(o, "metadata", "labels")) {
					selected = append(selected, k)
				}
			}
			svc := "v1/Service/lightning-system/lightning-operator-controller-manager-metrics-service"
			if len(selector) == 0 || !cmp.Equal(selected, []string{svc}) {
				t.Fatalf("selector %v picks %v, want only %s", selector, selected, svc)
			}
			ep := slice(sm, "spec", "endpoints")[0].(map[string]any)
			port := named(slice(objs[svc], "spec", "ports"), "name", ep["port"].(string))
			if port == nil {
				t.Errorf("endpoint port %q is not a port of %s", ep["port"], svc)
			}
			if ep["scheme"] != "https" || ep["path"] != "/metrics" {
				t.Errorf("endpoint scrapes %v://…%v, want https and /metrics", ep["scheme"], ep["path"])
			}
			// Prometheus' own token, which the metrics-reader role is bound to.
			if ep["bearerTokenFile"] != "/var/run/secrets/kubernetes.io/serviceaccount/token" {
				t.Errorf("endpoint sends no ServiceAccount token: %v", ep)
			}
			checkMetricsTLS(t, ep, namespace)
			mustGet(t, objs, "rbac.authorization.k8s.io/v1/ClusterRole//lightning-operator-metrics-reader")
		})
	}
}

// checkMetricsTLS: the endpoint verifies the certificate, for the metrics
// Service's name, against the CA the leader publishes (ca.crt only), and
// the manager serves the certificate that names that Service (no
// --metrics-cert-dir, the default --metrics-service-name).
func checkMetricsTLS(t *testing.T, ep map[string]any, ns string) {
	t.Helper()
	tlsConfig, _ := ep["tlsConfig"].(map[string]any)
	if tlsConfig["insecureSkipVerify"] == true {
		t.Errorf("the ServiceMonitor skips verifying the metrics certificate: %v", tlsConfig)
	}
	if got, want := str(tlsConfig, "serverName"), "lightning-operator-controller-manager-metrics-service."+ns+".svc"; got != want {
		t.Errorf("tlsConfig.serverName %q, want the metrics Service's %q", got, want)
	}
	if got, want := get(tlsConfig, "ca"), map[string]any{"configMap": map[string]any{"name": certs.DefaultCAConfigMapName, "key": certs.KeyCACert}}; !cmp.Equal(got, want) {
		t.Errorf("tlsConfig.ca %v, want the ConfigMap the operator publishes %v", got, want)
	}
}

func mustGet(t *testing.T, objs objects, key string) object {
	t.Helper()
	o, ok := objs[key]
	if !ok {
		keys := make([]string, 0, len(objs))
		for k := range objs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		t.Fatalf("no %s among:\n%s", key, strings.Join(keys, "\n"))
	}
	return o
}

func get(o any, path ...string) any {
	for _, p := range path {
		m, ok := o.(map[string]any)
		if !ok {
			return nil
		}
		o = m[p]
	}
	return o
}

func str(o any, path ...string) string { s, _ := get(o, path...).(string); return s }

func slice(o any, path ...string) []any { s, _ := get(o, path...).([]any); return s }

func strSlice(in []any) []string {
	out := make([]string, len(in))
	for i, v := range in {
		out[i] = fmt.Sprint(v)
	}
	return out
}

// named is the element of list whose field is value.
func named(list []any, field, value string) map[string]any {
	for _, e := range list {
		if m, ok := e.(map[string]any); ok && m[field] == value {
			return m
		}
	}
	return nil
}

func matches(selector map[string]any, labels any) bool {
	l, _ := labels.(map[string]any)
	for k, v := range selector {
		if l[k] != v {
			return false
		}
	}
	return true
}

// TestChartValues: what each value changes, beyond the defaults that
// TestChartMatchesBundle pins.
func TestChartValues(t *testing.T) {
	container := func(objs objects) map[string]any {
		return slice(objs[deployment], "spec", "template", "spec", "containers")[0].(map[string]any)
	}
	args := func(objs objects) []string { return strSlice(slice(container(objs), "args")) }
	metricsSvc := "v1/Service/lightning-system/lightning-operator-controller-manager-metrics-service"

	for _, tc := range []struct {
		name    string
		ns      string
		values  string
		wantErr string
		check   func(t *testing.T, objs objects)
	}{{
		name:   "image, replicas, resources",
		values: "image: {repository: registry.example/op, tag: v9, pullPolicy: Always}\nreplicas: 3\nresources: {requests: {cpu: 1}, limits: {memory: null}}",
		check: func(t *testing.T, objs objects) {
			c := container(objs)
			if c["image"] != "registry.example/op:v9" || c["imagePullPolicy"] != "Always" {
				t.Errorf("image %v, pull policy %v", c["image"], c["imagePullPolicy"])
			}
			if got := get(objs[deployment], "spec", "replicas"); got != 3.0 {
				t.Errorf("replicas %v, want 3", got)
			}
			// Helm merges maps into the defaults; null drops a key.
			want := map[string]any{"requests": map[string]any{"cpu": 1.0, "memory": "128Mi"}, "limits": map[string]any{}}
			if got := c["resources"]; !cmp.Equal(got, want) {
				t.Errorf("resources %v, want %v", got, want)
			}
		},
	}, {
		name:   "compute presets from a ConfigMap",
		values: "computePresets: {cpu-small: {cpu: 500m, memory: 1Gi}, gpu-a100: {cpu: '16', memory: 120Gi, gpus: 1}}",
		check: func(t *testing.T, objs objects) {
			cm := mustGet(t, objs, "v1/ConfigMap/lightning-system/lightning-operator-manager-config")
			presets, err := app.ParsePresets([]byte(str(cm, "data", "compute-presets.yaml")))
			if err != nil {
				t.Fatal(err)
			}
			gpu, small := presets["gpu-a100"], presets["cpu-small"]
			if gpu.GPUs != 1 || !gpu.Memory.Equal(resource.MustParse("120Gi")) || !small.CPU.Equal(resource.MustParse("500m")) {
				t.Errorf("presets %v", presets)
			}
			checkConfigFile(t, objs, "--compute-presets-file=", "compute-presets.yaml")
		},
	}, {
		name:   "default recipients from a ConfigMap",
		values: "defaultRecipients: |\n  -----BEGIN LIGHTNING PUBLIC KEY-----\n  AAAA\n  -----END LIGHTNING PUBLIC KEY-----\n",
		check: func(t *testing.T, objs objects) {
			cm := mustGet(t, objs, "v1/ConfigMap/lightning-system/lightning-operator-manager-config")
			if got := str(cm, "data", "recipients.pem"); !strings.HasPrefix(got, "-----BEGIN") || !strings.HasSuffix(got, "-----\n") {
				t.Errorf("recipients.pem %q", got)
			}
			checkConfigFile(t, objs, "--default-recipients-file=", "recipients.pem")
		},
	}, {
		name:   "metrics off",
		values: "metrics: {enabled: false, serviceMonitor: {enabled: true}}",
		check: func(t *testing.T, objs objects) {
			if !slices.Contains(args(objs), "--metrics-bind-address=0") {
				t.Errorf("args %v do not switch metrics off", args(objs))
			}
			for _, k := range []string{metricsSvc, "rbac.authorization.k8s.io/v1/ClusterRole//lightning-operator-metrics-reader",
				"monitoring.coreos.com/v1/ServiceMonitor/lightning-system/lightning-operator-controller-manager-metrics-monitor"} {
				if _, ok := objs[k]; ok {
					t.Errorf("%s rendered with metrics off", k)
				}
			}
			if named(slice(container(objs), "ports"), "name", "metrics") != nil {
				t.Error("metrics port declared with metrics off")
			}
		},
	}, {
		name:   "plain HTTP metrics",
		values: "metrics: {secure: false, serviceMonitor: {enabled: true}}",
		check: func(t *testing.T, objs objects) {
			if !slices.Contains(args(objs), "--metrics-secure=false") {
				t.Errorf("args %v lack --metrics-secure=false", args(objs))
			}
			sm := mustGet(t, objs, "monitoring.coreos.com/v1/ServiceMonitor/lightning-system/lightning-operator-controller-manager-metrics-monitor")
			ep := slice(sm, "spec", "endpoints")[0].(map[string]any)
			if ep["scheme"] != "http" || ep["bearerTokenFile"] != nil || ep["tlsConfig"] != nil || named(slice(objs[metricsSvc], "spec", "ports"), "name", ep["port"].(string)) == nil {
				t.Errorf("endpoint %v on Service ports %v", ep, slice(objs[metricsSvc], "spec", "ports"))
			}
		},
	}, {
		name:   "extra args after the chart's",
		values: "extraArgs: [--zap-log-level=debug]",
		check: func(t *testing.T, objs objects) {
			if a := args(objs); a[len(a)-1] != "--zap-log-level=debug" {
				t.Errorf("args %v", a)
			}
		},
	}, {
		name: "another namespace, with cert-manager",
		ns:   "ops", values: "webhook: {tls: cert-manager}\nmetrics: {serviceMonitor: {enabled: true}}",
		check: func(t *testing.T, objs objects) {
			for k, o := range objs {
				if ns := str(o, "metadata", "namespace"); ns != "" && ns != "ops" {
					t.Errorf("%s in namespace %s, want ops", k, ns)
				}
			}
			mwc := mustGet(t, objs, "admissionregistration.k8s.io/v1/MutatingWebhookConfiguration//lightning-operator-mutating-webhook-configuration")
			hook := slice(mwc, "webhooks")[0]
			if got := str(hook, "clientConfig", "service", "namespace"); got != "ops" {
				t.Errorf("webhook Service namespace %q", got)
			}
			if got := slice(slice(get(hook, "namespaceSelector", "matchExpressions").([]any)[0], "values")); !slices.Contains(strSlice(got), "ops") {
				t.Errorf("the webhook does not skip its own namespace: %v", got)
			}
			if got := str(mwc, "metadata", "annotations", "cert-manager.io/inject-ca-from"); got != "ops/lightning-operator-serving-cert" {
				t.Errorf("inject-ca-from %q", got)
			}
			cert := mustGet(t, objs, "cert-manager.io/v1/Certificate/ops/lightning-operator-serving-cert")
			if got := strSlice(slice(cert, "spec", "dnsNames")); !slices.Contains(got, "lightning-operator-webhook-service.ops.svc") ||
				!slices.Contains(got, "lightning-operator-controller-manager-metrics-service.ops.svc") {
				t.Errorf("dnsNames %v", got)
			}
			sm := mustGet(t, objs, "monitoring.coreos.com/v1/ServiceMonitor/ops/lightning-operator-controller-manager-metrics-monitor")
			checkMetricsTLS(t, slice(sm, "spec", "endpoints")[0].(map[string]any), "ops")
		},
	}, {
		name:   "CRDs left to the admin",
		values: "crd: {enable: false}",
		check: func(t *testing.T, objs objects) {
			for k := range objs {
				if strings.Contains(k, "CustomResourceDefinition") {
					t.Errorf("%s rendered with crd.enable false", k)
				}
			}
		},
	}, {
		name:   "CRDs removed on uninstall",
		values: "crd: {keep: false}",
		check: func(t *testing.T, objs objects) {
			crd := mustGet(t, objs, "apiextensions.k8s.io/v1/CustomResourceDefinition//lightningsecrets.lightning.ai")
			if get(crd, "metadata", "annotations", "helm.sh/resource-policy") != nil {
				t.Error("CRD kept with crd.keep false")
			}
		},
	}, {
		// The default, which TestChartMatchesBundle pins to config/default;
		// null (an override that drops the key) renders the same.
		name:   "watchNamespaces empty or null: cluster-wide",
		values: "watchNamespaces: []",
		check: func(t *testing.T, objs objects) {
			for _, k := range []string{"rbac.authorization.k8s.io/v1/ClusterRoleBinding//lightning-operator-manager-cluster-rolebinding",
				"rbac.authorization.k8s.io/v1/ClusterRole//lightning-operator-manager-cluster-role"} {
				if _, ok := objs[k]; ok {
					t.Errorf("%s rendered with no watchNamespaces", k)
				}
			}
			mustGet(t, objs, "rbac.authorization.k8s.io/v1/ClusterRoleBinding//lightning-operator-manager-rolebinding")
			if a := strings.Join(args(objs), " "); strings.Contains(a, "--watch-namespaces") {
				t.Errorf("args %q", a)
			}
			null, err := renderChart(namespace, map[string]any{"watchNamespaces": nil})
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(objs, null); d != "" {
				t.Errorf("watchNamespaces: null renders otherwise than [] (-[] +null):\n%s", d)
			}
		},
	}, {
		name: "watchNamespaces sorted, in another namespace",
		ns:   "ops", values: "watchNamespaces: [team-b, team-a]",
		check: func(t *testing.T, objs objects) {
			watch := []string{"team-a", "team-b"}
			if a := args(objs); !slices.Contains(a, "--watch-namespaces=team-a,team-b") {
				t.Errorf("args %v lack --watch-namespaces=team-a,team-b", a)
			}
			mwc := mustGet(t, objs, "admissionregistration.k8s.io/v1/MutatingWebhookConfiguration//lightning-operator-mutating-webhook-configuration")
			exprs := slice(slice(mwc, "webhooks")[0], "namespaceSelector", "matchExpressions")
			if len(exprs) != 2 || str(exprs[0], "operator") != "NotIn" || str(exprs[1], "operator") != "In" ||
				str(exprs[1], "key") != "kubernetes.io/metadata.name" || !cmp.Equal(strSlice(slice(exprs[1], "values")), watch) {
				t.Errorf("namespaceSelector %v, want the NotIn then kubernetes.io/metadata.name In %v", exprs, watch)
			}
			if _, ok := objs["rbac.authorization.k8s.io/v1/ClusterRoleBinding//lightning-operator-manager-rolebinding"]; ok {
				t.Error("manager-role is bound cluster-wide")
			}
			for _, ns := range watch {
				rb := mustGet(t, objs, "rbac.authorization.k8s.io/v1/RoleBinding/"+ns+"/lightning-operator-manager-rolebinding")
				sa := slice(rb, "subjects")[0]
				if str(rb, "roleRef", "kind") != "ClusterRole" || str(rb, "roleRef", "name") != "lightning-operator-manager-role" || str(sa, "namespace") != "ops" {
					t.Errorf("RoleBinding in %s: roleRef %v, subject %v", ns, get(rb, "roleRef"), sa)
				}
			}
			crb := mustGet(t, objs, "rbac.authorization.k8s.io/v1/ClusterRoleBinding//lightning-operator-manager-cluster-rolebinding")
			if got := str(slice(crb, "subjects")[0], "namespace"); got != "ops" {
				t.Errorf("manager-cluster-role bound to the ServiceAccount in %q", got)
			}
		},
	}, {
		name: "a KMS plugin: a native sidecar sharing the socket, its settings, --kms-migrate",
		values: "kms: {enabled: true, image: registry.example/kms:v1, imagePullPolicy: Always, migrate: true,\n" +
			"  args: [--listen=/var/run/kmsplugin/socket.sock], env: [{name: REGION, value: eu-west-1}],\n" +
			"  livenessProbe: {httpGet: {path: /healthz, port: 8080}},\n" +
			"  volumes: [{name: creds, secret: {secretName: kms-creds}}], volumeMounts: [{name: creds, mountPath: /etc/kms, readOnly: true}]}\n" +
			"serviceAccount: {annotations: {eks.amazonaws.com/role-arn: 'arn:aws:iam::111122223333:role/kms'}}",
		check: func(t *testing.T, objs objects) {
			pod := get(objs[deployment], "spec", "template", "spec")
			inits := slice(pod, "initContainers")
			if len(inits) != 1 {
				t.Fatalf("initContainers %v, want the plugin", inits)
			}
			plugin := inits[0].(map[string]any)
			if plugin["image"] != "registry.example/kms:v1" || plugin["imagePullPolicy"] != "Always" || plugin["restartPolicy"] != "Always" {
				t.Errorf("plugin image %v, pull policy %v, restartPolicy %v; want a native sidecar of the image", plugin["image"], plugin["imagePullPolicy"], plugin["restartPolicy"])
			}
			if got := strSlice(slice(plugin, "args")); !cmp.Equal(got, []string{"--listen=/var/run/kmsplugin/socket.sock"}) {
				t.Errorf("plugin args %v", got)
			}
			if named(slice(plugin, "env"), "name", "REGION") == nil || get(plugin, "livenessProbe", "httpGet", "port") != 8080.0 {
				t.Errorf("plugin env %v, livenessProbe %v", plugin["env"], plugin["livenessProbe"])
			}
			if get(plugin, "securityContext", "runAsUser") != 65532.0 {
				t.Errorf("the plugin runs as %v, want the manager's user 65532", get(plugin, "securityContext", "runAsUser"))
			}
			socketAt := func(c any) string { return str(named(slice(c, "volumeMounts"), "name", "kms-socket"), "mountPath") }
			if socketAt(plugin) != "/var/run/kmsplugin" || socketAt(container(objs)) != "/var/run/kmsplugin" {
				t.Errorf("the socket's directory: %q in the plugin, %q in the manager", socketAt(plugin), socketAt(container(objs)))
			}
			if get(named(slice(pod, "volumes"), "name", "kms-socket"), "emptyDir") == nil || named(slice(pod, "volumes"), "name", "creds") == nil ||
				named(slice(plugin, "volumeMounts"), "name", "creds") == nil {
				t.Errorf("volumes %v, plugin mounts %v", slice(pod, "volumes"), slice(plugin, "volumeMounts"))
			}
			a := args(objs)
			if !slices.Contains(a, "--kms-endpoint=unix:///var/run/kmsplugin/socket.sock") || !slices.Contains(a, "--kms-migrate") {
				t.Errorf("manager args %v lack --kms-endpoint on the shared socket and --kms-migrate", a)
			}
			sa := mustGet(t, objs, "v1/ServiceAccount/lightning-system/lightning-operator-controller-manager")
			if got := str(sa, "metadata", "annotations", "eks.amazonaws.com/role-arn"); got != "arn:aws:iam::111122223333:role/kms" {
				t.Errorf("ServiceAccount annotation %q", got)
			}
		},
	}, {
		name:    "a KMS plugin without an image",
		values:  "kms: {enabled: true}",
		wantErr: "kms.image: the KMS v2 plugin's image, when kms.enabled",
	}, {
		name:    "watchNamespaces with the release namespace",
		values:  "watchNamespaces: [team-a, lightning-system]",
		wantErr: "watchNamespaces: lightning-system is the release namespace, the operator's own, where no app runs",
	}, {
		name: "watchNamespaces with another release namespace",
		ns:   "ops", values: "watchNamespaces: [ops]",
		wantErr: "watchNamespaces: ops is the release namespace",
	}, {
		name:    "watchNamespaces with kube-system",
		values:  "watchNamespaces: [kube-system, team-a]",
		wantErr: "watchNamespaces: kube-system is never served by the pod webhook",
	}, {
		name:    "watchNamespaces listed twice",
		values:  "watchNamespaces: [team-a, team-b, team-a]",
		wantErr: "watchNamespaces: team-a is listed twice",
	}, {
		name:    "watchNamespaces not a name",
		values:  "watchNamespaces: [Team_A]",
		wantErr: `watchNamespaces: "Team_A" is not a namespace name`,
	}, {
		name:    "watchNamespaces not a list",
		values:  "watchNamespaces: team-a,team-b",
		wantErr: `watchNamespaces is a list, like [team-a, team-b]`,
	}, {
		name:    "unknown TLS mode",
		values:  "webhook: {tls: vault}",
		wantErr: `webhook.tls is self or cert-manager, not "vault"`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var vals map[string]any
			if err := yaml.Unmarshal([]byte(tc.values), &vals); err != nil {
				t.Fatal(err)
			}
			ns := tc.ns
			if ns == "" {
				ns = namespace
			}
			objs, err := renderChart(ns, vals)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ns != namespace {
				deploymentIn := strings.Replace(deployment, namespace, ns, 1)
				objs[deployment] = mustGet(t, objs, deploymentIn)
			}
			tc.check(t, objs)
		})
	}
}

// checkConfigFile: the flag names a file of the mounted ConfigMap, and a
// change of the ConfigMap rolls the pods.
func checkConfigFile(t *testing.T, objs objects, flag, file string) {
	t.Helper()
	pod := get(objs[deployment], "spec", "template", "spec")
	c := slice(pod, "containers")[0].(map[string]any)
	var path string
	for _, a := range strSlice(slice(c, "args")) {
		if v, ok := strings.CutPrefix(a, flag); ok {
			path = v
		}
	}
	mount := named(slice(c, "volumeMounts"), "name", "config")
	if mount == nil || path != str(mount, "mountPath")+"/"+file {
		t.Fatalf("%s%s is not a file of the config mount %v", flag, path, mount)
	}
	if got := str(named(slice(pod, "volumes"), "name", "config"), "configMap", "name"); got != "lightning-operator-manager-config" {
		t.Errorf("config volume from ConfigMap %q", got)
	}
	if str(objs[deployment], "spec", "template", "metadata", "annotations", "checksum/config") == "" {
		t.Error("no checksum/config annotation: a changed ConfigMap would not roll the pods")
	}
}

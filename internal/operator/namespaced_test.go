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

package operator_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/certs"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/keysecret"
	"github.com/lightning-operator/lightning-operator/internal/operator"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
	"github.com/lightning-operator/lightning-operator/internal/testenv"
	"github.com/lightning-operator/lightning-operator/test/builders"
	"github.com/lightning-operator/lightning-operator/webhooks"
)

// The namespaced overlay's objects the apiserver needs for this test: the
// operator's namespace and ServiceAccount, every role and binding, and the
// webhook registration.
var overlayKinds = []string{"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "MutatingWebhookConfiguration"}

// renderNamespaced builds config/namespaced with the kubectl of the test
// binaries, and returns its objects and the manager's arguments.
func renderNamespaced(t *testing.T) (objs []*unstructured.Unstructured, args []string) {
	t.Helper()
	out, err := exec.Command(filepath.Join(testenv.AssetsDir(), "kubectl"), "kustomize", filepath.Join(testenv.RepoRoot(), "config", "namespaced")).Output()
	if err != nil {
		t.Fatalf("kubectl kustomize config/namespaced: %v", err)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(out), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if u.GetKind() == "Deployment" {
			containers, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
			got, _, _ := unstructured.NestedStringSlice(containers[0].(map[string]any), "args")
			args = got
		}
		if slices.Contains(overlayKinds, u.GetKind()) {
			objs = append(objs, u)
		}
	}
	return objs, args
}

func flagValue(args []string, name string) string {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
	}
	return ""
}

// webhookIn returns the In values on the namespace name in the pod
// webhook's namespaceSelector of mwc, and the webhook's index.
func webhookIn(t *testing.T, mwc *unstructured.Unstructured) (values []string, webhook int, expr int) {
	t.Helper()
	hooks, _, _ := unstructured.NestedSlice(mwc.Object, "webhooks")
	for i, h := range hooks {
		if h.(map[string]any)["name"] != webhooks.PodWebhookName {
			continue
		}
		exprs, _, _ := unstructured.NestedSlice(h.(map[string]any), "namespaceSelector", "matchExpressions")
		for j, e := range exprs {
			r := e.(map[string]any)
			if r["key"] == corev1.LabelMetadataName && r["operator"] == "In" {
				v, _, _ := unstructured.NestedStringSlice(r, "values")
				return v, i, j
			}
		}
		return nil, i, -1
	}
	t.Fatalf("no webhook %s in %s", webhooks.PodWebhookName, mwc.GetName())
	return nil, 0, 0
}

// withoutWatched removes the In requirement from the pod webhook of mwc.
func withoutWatched(t *testing.T, mwc *unstructured.Unstructured) {
	t.Helper()
	_, i, j := webhookIn(t, mwc)
	if j < 0 {
		return
	}
	hooks, _, _ := unstructured.NestedSlice(mwc.Object, "webhooks")
	h := hooks[i].(map[string]any)
	exprs, _, _ := unstructured.NestedSlice(h, "namespaceSelector", "matchExpressions")
	if err := unstructured.SetNestedSlice(h, slices.Delete(exprs, j, j+1), "namespaceSelector", "matchExpressions"); err != nil {
		t.Fatal(err)
	}
	if err := unstructured.SetNestedSlice(mwc.Object, hooks, "webhooks"); err != nil {
		t.Fatal(err)
	}
}

// config/namespaced names its namespaces three times: the flag, the
// webhook's namespaceSelector and one RoleBinding each. They agree, and
// nothing binds manager-role cluster-wide.
func TestNamespacedOverlayAgrees(t *testing.T) {
	objs, args := renderNamespaced(t)
	watch, err := operator.ParseWatchNamespaces(flagValue(args, "watch-namespaces"), "lightning-system")
	if err != nil || len(watch) == 0 {
		t.Fatalf("--watch-namespaces: %v, %v", watch, err)
	}
	var bound, selected []string
	for _, o := range objs {
		kind, _, _ := unstructured.NestedString(o.Object, "roleRef", "kind")
		role, _, _ := unstructured.NestedString(o.Object, "roleRef", "name")
		switch {
		case o.GetKind() == "RoleBinding" && kind == "ClusterRole" && role == "lightning-operator-manager-role":
			bound = append(bound, o.GetNamespace())
		case o.GetKind() == "ClusterRoleBinding" && role == "lightning-operator-manager-role":
			t.Errorf("ClusterRoleBinding %s binds manager-role cluster-wide", o.GetName())
		case o.GetKind() == "MutatingWebhookConfiguration":
			selected, _, _ = webhookIn(t, o)
		}
	}
	slices.Sort(bound)
	slices.Sort(selected)
	if !slices.Equal(bound, watch) || !slices.Equal(selected, watch) {
		t.Errorf("config/namespaced lists --watch-namespaces=%v, RoleBindings of manager-role in %v, and the webhook's namespaceSelector In %v: keep the three equal", watch, bound, selected)
	}
}

// startAPIServer starts envtest's apiserver with our CRDs and makes the
// namespaces; it returns its config, a scheme of our kinds and an admin
// client.
func startAPIServer(ctx context.Context, t *testing.T, namespaces ...string) (*rest.Config, *runtime.Scheme, client.Client) {
	t.Helper()
	cfg := testenv.Start(t)
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = lightningv1alpha1.AddToScheme(scheme)
	admin, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range namespaces {
		if err := admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
	}
	return cfg, scheme, admin
}

// eventually polls f until it returns nil, or fails the test with its last error.
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if err = f(); err == nil {
			return
		}
	}
	t.Fatalf("%s: %v", what, err)
}

// In namespace-scoped mode the operator runs as the ServiceAccount of
// config/namespaced, with only that overlay's RBAC (no cluster-wide access
// to Secrets): an app in a watched namespace resolves and gets its Secret and
// Deployment, an app elsewhere is left alone, and the pod webhook's
// namespaceSelector is narrowed to the watched namespaces.
func TestNamespaceScopedMode(t *testing.T) {
	objs, args := renderNamespaced(t)
	const opNS = "lightning-system"
	if ns := flagValue(args, "operator-namespace"); ns != "$(POD_NAMESPACE)" {
		t.Fatalf("the overlay's manager runs with --operator-namespace=%q", ns)
	}
	watch, err := operator.ParseWatchNamespaces(flagValue(args, "watch-namespaces"), opNS)
	if err != nil || len(watch) == 0 {
		t.Fatalf("the overlay's manager runs with no usable --watch-namespaces (%v): %v", err, args)
	}
	configName := flagValue(args, "webhook-config-name")
	serviceName := flagValue(args, "webhook-service-name")
	watched, unwatched := watch[0], "elsewhere"

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfg, scheme, admin := startAPIServer(ctx, t, append(slices.Clone(watch), unwatched)...)
	slices.SortStableFunc(objs, func(a, b *unstructured.Unstructured) int {
		return slices.Index(overlayKinds, a.GetKind()) - slices.Index(overlayKinds, b.GetKind())
	})
	for _, o := range objs {
		if o.GetKind() == "MutatingWebhookConfiguration" {
			// As config/default registers it: the leader narrows it.
			withoutWatched(t, o)
		}
		if err := admin.Create(ctx, o); err != nil {
			t.Fatalf("creating %s %s/%s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
		}
	}

	// The manager authenticates as the overlay's ServiceAccount.
	cs := kubernetes.NewForConfigOrDie(cfg)
	const saName = "lightning-operator-controller-manager"
	tr, err := cs.CoreV1().ServiceAccounts(opNS).CreateToken(ctx, saName, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	saCfg := rest.AnonymousClientConfig(cfg)
	saCfg.BearerToken = tr.Status.Token

	// What the overlay grants: Secrets in the watched and the operator's
	// namespaces, none elsewhere.
	for _, tt := range []struct {
		ns, verb string
		want     bool
	}{
		{watched, "list", true}, {opNS, "create", true}, {unwatched, "get", false}, {"", "list", false},
	} {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: "system:serviceaccount:" + opNS + ":" + saName, Groups: []string{"system:serviceaccounts"},
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: tt.ns, Verb: tt.verb, Resource: "secrets"},
		}}
		if err := admin.Create(ctx, sar); err != nil {
			t.Fatal(err)
		}
		if sar.Status.Allowed != tt.want {
			t.Errorf("the manager may %s Secrets in %q: %v, want %v", tt.verb, tt.ns, sar.Status.Allowed, tt.want)
		}
	}

	logFile, err := os.Create(filepath.Join(t.TempDir(), "manager.log"))
	if err != nil {
		t.Fatal(err)
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(logFile), zap.UseDevMode(true)))
	logs := func() string {
		data, _ := os.ReadFile(logFile.Name())
		return string(data)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("manager log:\n%s", logs())
		}
	})
	port := freePort(t)
	_, portStr, _ := net.SplitHostPort(port)
	webhookPort, _ := strconv.Atoi(portStr)
	certDir := t.TempDir()
	mgr, err := ctrl.NewManager(saCfg, ctrl.Options{
		Scheme:                  scheme,
		Cache:                   operator.ScopeCache(operator.CacheOptions(configName), opNS, watch),
		Metrics:                 metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress:  "0",
		LeaderElection:          true,
		LeaderElectionID:        "lightning-operator.lightning.ai",
		LeaderElectionNamespace: opNS,
		WebhookServer:           webhook.NewServer(webhook.Options{Host: "127.0.0.1", Port: webhookPort, CertDir: certDir}),
		Controller:              config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	mctx, stop := context.WithCancel(ctx)
	if err := operator.Setup(mctx, mgr, operator.Options{
		Namespace:         opNS,
		WatchNamespaces:   watch,
		KeyRotationPeriod: 720 * time.Hour,
		KeyCheckInterval:  500 * time.Millisecond,
		Workers:           2,
		WebhookConfigName: configName,
		Webhook: &operator.WebhookOptions{
			TLS: certs.Options{Mode: certs.ModeSelf, Namespace: opNS, ServiceName: serviceName,
				WebhookConfigName: configName, CertDir: certDir, CheckInterval: time.Second,
				MetricsServiceName: "lightning-operator-controller-manager-metrics-service"}, // as main.go by default
			Pod: webhooks.Options{OperatorNamespace: opNS},
		},
	}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mctx) }()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("the manager stopped with %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("the manager did not stop within 30s")
		}
	})

	// The leader makes the keyring; seal a value to it in each namespace.
	var ring *keyring.Keyring
	eventually(t, "the keyring", func() error {
		s := &corev1.Secret{}
		if err := admin.Get(ctx, types.NamespacedName{Namespace: opNS, Name: keysecret.DefaultSecretName}, s); err != nil {
			return err
		}
		ring, err = keyring.Unmarshal(s.Data)
		return err
	})
	for _, ns := range []string{watched, unwatched} {
		envelope, err := sealing.Seal(ring.Current().Private.Public(), sealing.Scope{Namespace: ns, Name: "api-token"}, []byte("namespaced-canary"))
		if err != nil {
			t.Fatal(err)
		}
		if err := admin.Create(ctx, builders.SealedSecret(ns, "api-token", envelope).Obj()); err != nil {
			t.Fatal(err)
		}
		if err := admin.Create(ctx, builders.App("my-app", ns).Secret("API_TOKEN", "api-token").Obj()); err != nil {
			t.Fatal(err)
		}
	}

	a := &lightningv1alpha1.LightningApp{}
	eventually(t, "the watched app resolves", func() error {
		if err := admin.Get(ctx, types.NamespacedName{Namespace: watched, Name: "my-app"}, a); err != nil {
			return err
		}
		if c := meta.FindStatusCondition(a.Status.Conditions, lightningv1alpha1.ConditionSecretsResolved); c == nil || c.Status != metav1.ConditionTrue || a.Status.SecretName == "" {
			return fmt.Errorf("not resolved yet: %+v", a.Status.Conditions)
		}
		return nil
	})
	if err := admin.Get(ctx, types.NamespacedName{Namespace: watched, Name: a.Status.SecretName}, &corev1.Secret{}); err != nil {
		t.Errorf("the watched app's Secret: %v", err)
	}
	// A new app's components come in its second pass, after its status names its Secret.
	eventually(t, "the watched app has a Deployment", func() error {
		deployments := &appsv1.DeploymentList{}
		if err := admin.List(ctx, deployments, client.InNamespace(watched), client.MatchingLabels{lightningv1alpha1.LabelApp: "my-app"}); err != nil {
			return err
		}
		if len(deployments.Items) == 0 {
			return errors.New("no Deployment yet")
		}
		return nil
	})

	// The leader publishes the metrics endpoint's CA, within the overlay's RBAC.
	eventually(t, "the metrics CA ConfigMap", func() error {
		return admin.Get(ctx, types.NamespacedName{Namespace: opNS, Name: certs.DefaultCAConfigMapName}, &corev1.ConfigMap{})
	})

	// The webhook is called for the watched namespaces only.
	eventually(t, "the webhook's namespaceSelector is narrowed", func() error {
		mwc := &admissionregistrationv1.MutatingWebhookConfiguration{}
		if err := admin.Get(ctx, types.NamespacedName{Name: configName}, mwc); err != nil {
			return err
		}
		for _, w := range mwc.Webhooks {
			if w.Name != webhooks.PodWebhookName || w.NamespaceSelector == nil {
				continue
			}
			for _, r := range w.NamespaceSelector.MatchExpressions {
				if r.Key == corev1.LabelMetadataName && r.Operator == metav1.LabelSelectorOpIn && slices.Equal(r.Values, watch) {
					return nil
				}
			}
			return errors.New("namespaceSelector " + w.NamespaceSelector.String())
		}
		return errors.New("no pod webhook in " + configName)
	})

	// Nothing reaches the other namespace: the resolved app above shows the
	// controllers ran; give them a few more seconds to do wrong.
	time.Sleep(3 * time.Second)
	other := &lightningv1alpha1.LightningApp{}
	if err := admin.Get(ctx, types.NamespacedName{Namespace: unwatched, Name: "my-app"}, other); err != nil {
		t.Fatal(err)
	}
	if len(other.Status.Conditions) > 0 || other.Status.SecretName != "" {
		t.Errorf("the app in unwatched namespace %s got a status: %+v", unwatched, other.Status)
	}
	otherSecret := &lightningv1alpha1.LightningSecret{}
	if err := admin.Get(ctx, types.NamespacedName{Namespace: unwatched, Name: "api-token"}, otherSecret); err != nil {
		t.Fatal(err)
	}
	if len(otherSecret.Status.Conditions) > 0 {
		t.Errorf("the LightningSecret in unwatched namespace %s got a status: %+v", unwatched, otherSecret.Status)
	}
	secrets := &corev1.SecretList{}
	if err := admin.List(ctx, secrets, client.InNamespace(unwatched)); err != nil || len(secrets.Items) > 0 {
		t.Errorf("Secrets in unwatched namespace %s: %d (%v)", unwatched, len(secrets.Items), err)
	}
	// Every call the manager made was allowed: the overlay grants enough.
	if l := logs(); strings.Contains(l, "forbidden") {
		t.Errorf("the manager was refused a call:\n%s", l)
	}
	if strings.Contains(logs(), "namespaced-canary") {
		t.Error("the manager logged the value")
	}
}

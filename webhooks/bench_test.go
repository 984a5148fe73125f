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

package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/testenv"
	"github.com/lightning-operator/lightning-operator/test/builders"
)

// The benchmarks below run against the real control plane: the handler
// reads the app from a real informer cache, and pods are created through
// the real kube-apiserver, which calls the webhook over TLS. The control
// plane starts once, on the first benchmark that needs it, and stops in
// TestMain.

func TestMain(m *testing.M) {
	code := m.Run()
	bench.stop()
	os.Exit(code)
}

const benchNamespace = "bench"

type benchEnvironment struct {
	once   sync.Once
	err    error
	env    *envtest.Environment
	cancel context.CancelFunc
	// client is live; controller-runtime sends built-in types such as Pods
	// as protobuf, as the ReplicaSet controller does.
	client client.Client
	scheme *runtime.Scheme
	cache  client.Reader
	// hookConfig is the installed webhook configuration, to delete and
	// restore it between runs; noopConfig registers noopPath instead.
	hookConfig *admissionregistrationv1.MutatingWebhookConfiguration
	noopConfig *admissionregistrationv1.MutatingWebhookConfiguration
	// genericConfig registers genericPath: our defaulter served through
	// controller-runtime's admission.WithDefaulter, for comparison.
	genericConfig *admissionregistrationv1.MutatingWebhookConfiguration
	noopCalls     atomic.Int64
	registered    string // hookNone, hookOurs, hookNoop or hookGeneric
}

var bench benchEnvironment

func (e *benchEnvironment) stop() {
	if e.cancel != nil {
		e.cancel()
	}
	if e.env != nil {
		_ = e.env.Stop()
	}
}

// start brings up the control plane, a manager serving the webhook, and the
// benchmark app (5 env vars, 50 secrets, resolved).
func (e *benchEnvironment) start(b *testing.B) {
	b.Helper()
	e.once.Do(func() { e.err = e.doStart() })
	if e.err != nil {
		b.Fatalf("starting the control plane: %v", e.err)
	}
}

func (e *benchEnvironment) doStart() error {
	ctx := context.Background()
	logf.SetLogger(logr.Discard())
	var err error
	if e.env, err = testenv.New(testenv.Options{WithWebhooks: true}); err != nil {
		return err
	}
	cfg, err := e.env.Start()
	if err != nil {
		return err
	}
	e.scheme = runtime.NewScheme()
	if err := errors.Join(clientgoscheme.AddToScheme(e.scheme), lightningv1alpha1.AddToScheme(e.scheme)); err != nil {
		return err
	}
	if e.client, err = client.New(cfg, client.Options{Scheme: e.scheme}); err != nil {
		return err
	}
	wio := &e.env.WebhookInstallOptions
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 e.scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Logger:                 logr.Discard(),
		WebhookServer: webhook.NewServer(webhook.Options{
			Host: wio.LocalServingHost, Port: wio.LocalServingPort, CertDir: wio.LocalServingCertDir,
		}),
	})
	if err != nil {
		return err
	}
	if err := SetupPodWebhook(mgr, Options{}); err != nil {
		return err
	}
	mgr.GetWebhookServer().Register(noopPath, &webhook.Admission{Handler: e.noopHandler()})
	mgr.GetWebhookServer().Register(genericPath,
		admission.WithDefaulter[*corev1.Pod](e.scheme, NewPodDefaulter(mgr.GetCache(), logr.Discard())))
	e.cache = mgr.GetCache()
	var mctx context.Context
	mctx, e.cancel = context.WithCancel(ctx)
	go func() { _ = mgr.Start(mctx) }()
	if !mgr.GetCache().WaitForCacheSync(mctx) {
		return errors.New("the cache did not sync")
	}

	if err := e.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: benchNamespace}}); err != nil {
		return err
	}
	a := benchmarkApp()
	a.Namespace, a.Status = benchNamespace, lightningv1alpha1.LightningAppStatus{}
	if err := e.client.Create(ctx, a); err != nil {
		return err
	}
	a.Status.SecretName = secretV1
	meta.SetStatusCondition(&a.Status.Conditions, metav1.Condition{
		Type: lightningv1alpha1.ConditionSecretsResolved, Status: metav1.ConditionTrue,
		Reason: lightningv1alpha1.ReasonResolved, Message: "resolved", ObservedGeneration: a.Generation,
	})
	if err := e.client.Status().Update(ctx, a); err != nil {
		return err
	}
	// Wait until the cache has the status, and the webhook admits pods.
	if err := poll(func() error {
		_, err := e.createPod(ctx, benchPod(1))
		return err
	}); err != nil {
		return fmt.Errorf("waiting for the webhook: %w", err)
	}

	e.hookConfig = &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := e.client.Get(ctx, types.NamespacedName{Name: generatedConfigName}, e.hookConfig); err != nil {
		return err
	}
	e.registered = hookOurs
	e.noopConfig = e.benchConfig("noop", noopPath)
	e.genericConfig = e.benchConfig("generic", genericPath)
	return nil
}

// benchConfig is our registration, renamed and pointed at path.
func (e *benchEnvironment) benchConfig(name, path string) *admissionregistrationv1.MutatingWebhookConfiguration {
	c := e.hookConfig.DeepCopy()
	c.Name = "bench-" + name
	for i := range c.Webhooks {
		w := &c.Webhooks[i]
		w.Name = name + ".bench.lightning.ai"
		u := strings.Replace(*w.ClientConfig.URL, PodWebhookPath, path, 1)
		w.ClientConfig.URL = &u
	}
	return c
}

// The registrations setWebhook switches between.
const (
	hookNone = "none" // no webhook registered
	hookOurs = "ours" // the pod webhook
	hookNoop = "noop" // a webhook that admits without reading the request
	// hookGeneric is our defaulter through admission.WithDefaulter.
	hookGeneric = "generic"
)

const (
	noopPath    = "/bench-noop"
	genericPath = "/bench-generic"
)

// noopHandler is the floor of any webhook: the apiserver's call, TLS and
// controller-runtime's request decoding, and nothing else.
func (e *benchEnvironment) noopHandler() admission.Handler {
	return admission.HandlerFunc(func(context.Context, admission.Request) admission.Response {
		e.noopCalls.Add(1)
		return admission.Allowed("")
	})
}

func poll(f func() error) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *benchEnvironment) createPod(ctx context.Context, p *corev1.Pod) (*corev1.Pod, error) {
	p = p.DeepCopy()
	return p, e.client.Create(ctx, p)
}

// setWebhook switches the registration and waits until the apiserver acts
// on it.
func (e *benchEnvironment) setWebhook(b *testing.B, want string) {
	b.Helper()
	if e.registered == want {
		return
	}
	ctx := context.Background()
	install := func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
		c = c.DeepCopy()
		c.ResourceVersion, c.UID, c.CreationTimestamp, c.ManagedFields, c.Generation = "", "", metav1.Time{}, nil, 0
		if err := e.client.Create(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
	remove := func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
		if err := e.client.Delete(ctx, c.DeepCopy()); err != nil {
			b.Fatal(err)
		}
	}
	configs := map[string]*admissionregistrationv1.MutatingWebhookConfiguration{
		hookOurs: e.hookConfig, hookNoop: e.noopConfig, hookGeneric: e.genericConfig,
	}
	if c := configs[e.registered]; c != nil {
		remove(c)
	}
	if c := configs[want]; c != nil {
		install(c)
	}
	// A pod of a missing app is refused only by our defaulter; the no-op
	// webhook counts its calls.
	ghost := benchPod(1)
	ghost.Labels[lightningv1alpha1.LabelApp] = "ghost"
	err := poll(func() error {
		calls := e.noopCalls.Load()
		_, err := e.createPod(ctx, ghost)
		if refused := apierrors.IsForbidden(err); refused != (want == hookOurs || want == hookGeneric) {
			return fmt.Errorf("registered %s, but the pod of a missing app got: %v", want, err)
		}
		if called := e.noopCalls.Load() > calls; called != (want == hookNoop) {
			return fmt.Errorf("registered %s, but the no-op webhook called=%v", want, called)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	e.registered = want
}

// benchPod is a pod of the benchmark app with n containers.
func benchPod(n int) *corev1.Pod {
	p := builders.Pod(benchNamespace, "my-app", "root").Obj()
	for i := range n {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{
			Name: fmt.Sprintf("c-%d", i), Image: "registry.example/my-app:1.0",
			Env: []corev1.EnvVar{{Name: "OWN", Value: "1"}},
		})
	}
	return p
}

// BenchmarkPodWebhookHandler measures the handler for a pod with 10
// containers (2 of them init containers) of an app with 50 secrets and 5
// env vars. Default is our defaulter (cache lookup, checks, mutation);
// Handle is the whole admission path around it as served (decode, copy,
// Default, the targeted JSON patch of NewPodDefaulterWebhook), and
// Handle-generic-defaulter the same through controller-runtime's
// admission.WithDefaulter (marshal the pod, diff it whole).
func BenchmarkPodWebhookHandler(b *testing.B) {
	bench.start(b)
	ctx := context.Background()
	d := NewPodDefaulter(bench.cache, logr.Discard())
	orig := benchmarkPod()
	orig.Namespace = benchNamespace

	b.Run("Default", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p := *orig // mutatePod never writes into the pod it is given
			if err := d.Default(ctx, &p); err != nil {
				b.Fatal(err)
			}
		}
	})

	handle := func(b *testing.B, wh *admission.Webhook, pod *corev1.Pod) {
		raw, err := json.Marshal(pod)
		if err != nil {
			b.Fatal(err)
		}
		req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
			UID:       "bench",
			Kind:      metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
			Namespace: benchNamespace,
			Operation: admissionv1.Create,
			Object:    runtime.RawExtension{Raw: raw},
		}}
		b.ReportAllocs()
		for b.Loop() {
			resp := wh.Handle(ctx, req)
			// Complete encodes the patch, as the webhook server does.
			if err := resp.Complete(req); err != nil || !resp.Allowed || len(resp.Patch) == 0 {
				b.Fatalf("not mutated: %+v, %v", resp.Result, err)
			}
		}
	}
	ours := NewPodDefaulterWebhook(bench.scheme, d)
	generic := admission.WithDefaulter[*corev1.Pod](bench.scheme, d)
	b.Run("Handle", func(b *testing.B) { handle(b, ours, orig) })
	b.Run("Handle-1-container", func(b *testing.B) { handle(b, ours, benchPod(1)) })
	b.Run("Handle-generic-defaulter", func(b *testing.B) { handle(b, generic, orig) })
	b.Run("Handle-generic-defaulter-1-container", func(b *testing.B) { handle(b, generic, benchPod(1)) })
}

// BenchmarkPodCreateAPIServer creates pods of the benchmark app through the
// real kube-apiserver. Setups:
//
//   - off: no webhook registered; the bare pod is stored.
//   - off-preinjected: none registered either; the pod already holds the env
//     the webhook would add, so the apiserver stores the same object as with
//     the webhook. This isolates the webhook from the cost of the bigger pod
//     (50 secretKeyRefs and 5 values per container).
//   - noop: a webhook that admits without even decoding the pod is
//     registered instead: the floor of any mutating webhook on this machine.
//   - on-preinjected: ours, with a pod that needs no change (no patch).
//   - on: ours; the bare pod goes in, the injected pod is stored.
//   - on-generic: the same defaulter served by controller-runtime's
//     admission.WithDefaulter, which marshals the pod and diffs it whole.
//
// "on" reports its ratio to "off" (x-vs-off) and to "off-preinjected"
// (x-vs-preinjected), and "noop" its ratio to "off" (x-vs-off). Not a timed
// assertion: read the numbers. The webhook server runs in this process, so
// B/op and allocs/op include its work.
func BenchmarkPodCreateAPIServer(b *testing.B) {
	bench.start(b)
	ctx := context.Background()
	app := benchmarkApp()
	setups := []struct {
		name, hook  string
		preinjected bool
		ratios      []string
	}{
		{"off", hookNone, false, nil},
		{"off-preinjected", hookNone, true, nil},
		{"noop", hookNoop, false, []string{"off"}},
		{"on-preinjected", hookOurs, true, nil},
		{"on", hookOurs, false, []string{"off", "off-preinjected"}},
		{"on-generic", hookGeneric, false, []string{"off", "off-preinjected"}},
	}
	for _, containers := range []int{1, 10} {
		perOp := map[string]float64{}
		for _, st := range setups {
			b.Run(fmt.Sprintf("containers=%d/webhook=%s", containers, st.name), func(b *testing.B) {
				bench.setWebhook(b, st.hook)
				p := benchPod(containers)
				if st.preinjected {
					p = mutatePod(p, app, flow(app)).DeepCopy()
				}
				wantInjected := st.preinjected || st.hook == hookOurs || st.hook == hookGeneric
				b.ReportAllocs()
				start := time.Now()
				for b.Loop() {
					got, err := bench.createPod(ctx, p)
					if err != nil {
						b.Fatal(err)
					}
					if injected := got.Annotations[lightningv1alpha1.AnnotationInjectedEnv] != ""; injected != wantInjected {
						b.Fatalf("setup %s: injected=%v", st.name, injected)
					}
				}
				perOp[st.name] = float64(time.Since(start).Nanoseconds()) / float64(b.N)
				for _, base := range st.ratios {
					if perOp[base] > 0 {
						b.ReportMetric(perOp[st.name]/perOp[base], "x-vs-"+strings.TrimPrefix(base, "off-"))
					}
				}
			})
		}
	}
	bench.setWebhook(b, hookOurs)
}

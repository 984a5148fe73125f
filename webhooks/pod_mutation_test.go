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
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/test/builders"
)

// Builders for the tables.

type appOpt func(*lightningv1alpha1.LightningApp)

func newApp(opts ...appOpt) *lightningv1alpha1.LightningApp {
	a := builders.App("my-app", "alice").Generation(1).Work("root.work_a").Obj()
	for _, o := range opts {
		o(a)
	}
	return a
}

func withEnv(kv ...string) appOpt {
	return func(a *lightningv1alpha1.LightningApp) {
		for i := 0; i+1 < len(kv); i += 2 {
			a.Spec.Env = append(a.Spec.Env, lightningv1alpha1.EnvVar{Name: kv[i], Value: kv[i+1]})
		}
	}
}

func withSecrets(secretName string, names ...string) appOpt {
	return func(a *lightningv1alpha1.LightningApp) {
		for _, n := range names {
			a.Spec.Secrets = append(a.Spec.Secrets, lightningv1alpha1.SecretEnvVar{Name: n, SecretRef: strings.ToLower(strings.ReplaceAll(n, "_", "-"))})
		}
		a.Status.SecretName = secretName
	}
}

func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s_%02d", prefix, i)
	}
	return out
}

type podOpt func(*corev1.Pod)

func newPod(opts ...podOpt) *corev1.Pod {
	p := builders.Pod("alice", "my-app", "root").Obj()
	for _, o := range opts {
		o(p)
	}
	return p
}

func container(name string, env ...corev1.EnvVar) corev1.Container {
	return corev1.Container{Name: name, Image: "registry.example/my-app:1.0", Env: env}
}

func withContainers(cs ...corev1.Container) podOpt {
	return func(p *corev1.Pod) { p.Spec.Containers = append(p.Spec.Containers, cs...) }
}

func withInitContainers(cs ...corev1.Container) podOpt {
	return func(p *corev1.Pod) { p.Spec.InitContainers = append(p.Spec.InitContainers, cs...) }
}

func withAnnotations(kv ...string) podOpt {
	return func(p *corev1.Pod) {
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		for i := 0; i+1 < len(kv); i += 2 {
			p.Annotations[kv[i]] = kv[i+1]
		}
	}
}

func injected(names, secret string) podOpt {
	if secret == "" {
		return withAnnotations(lightningv1alpha1.AnnotationInjectedEnv, names)
	}
	return withAnnotations(lightningv1alpha1.AnnotationInjectedEnv, names, lightningv1alpha1.AnnotationInjectedSecret, secret)
}

func plain(name, value string) corev1.EnvVar { return corev1.EnvVar{Name: name, Value: value} }

func secretRef(name, secret string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: name,
	}}}
}

func refs(secret string, names ...string) []corev1.EnvVar {
	out := make([]corev1.EnvVar, len(names))
	for i, n := range names {
		out[i] = secretRef(n, secret)
	}
	return out
}

func concat(envs ...[]corev1.EnvVar) []corev1.EnvVar {
	var out []corev1.EnvVar
	for _, e := range envs {
		out = append(out, e...)
	}
	return out
}

const secretV1 = "my-app-env-0123456789"

// flow is the injection the handler decides for a Flow pod of a.
func flow(a *lightningv1alpha1.LightningApp) injection {
	return injection{secret: a.Status.SecretName, component: "root"}
}

// identity is what every pod of newApp gets last, and idNames its names.
var identity = []corev1.EnvVar{plain(lightningv1alpha1.EnvAppID, "my-app"), plain(lightningv1alpha1.EnvProjectID, "alice")}

const idNames = "LIGHTNING_CLOUD_APP_ID,LIGHTNING_CLOUD_PROJECT_ID"

func TestMutatePod(t *testing.T) {
	fooBar := withEnv("FOO", "bar", "EMPTY", "")
	twoSecrets := withSecrets(secretV1, "API_TOKEN", "DB_PASSWORD")
	wantEnv := concat([]corev1.EnvVar{plain("FOO", "bar"), plain("EMPTY", ""), secretRef("API_TOKEN", secretV1), secretRef("DB_PASSWORD", secretV1)}, identity)
	allNames := "API_TOKEN,DB_PASSWORD,EMPTY,FOO," + idNames
	fifty := numbered("SECRET", 50)

	tests := []struct {
		name string
		app  *lightningv1alpha1.LightningApp
		pod  *corev1.Pod
		want *corev1.Pod
	}{
		{
			name: "several containers and init containers",
			app:  newApp(fooBar, twoSecrets),
			pod: newPod(
				withInitContainers(container("setup")),
				withContainers(container("flow"), container("sidecar")),
			),
			want: newPod(
				withInitContainers(container("setup", wantEnv...)),
				withContainers(container("flow", wantEnv...), container("sidecar", wantEnv...)),
				injected(allNames, secretV1),
			),
		},
		{
			name: "an env name the container sets itself wins",
			app:  newApp(fooBar, twoSecrets),
			pod: newPod(withContainers(
				container("flow", plain("FOO", "mine"), plain("API_TOKEN", "literal"), plain("OTHER", "x")),
				container("sidecar"),
			)),
			want: newPod(
				withContainers(
					container("flow", concat([]corev1.EnvVar{plain("FOO", "mine"), plain("API_TOKEN", "literal"), plain("OTHER", "x"),
						plain("EMPTY", ""), secretRef("DB_PASSWORD", secretV1)}, identity)...),
					container("sidecar", wantEnv...),
				),
				injected(allNames, secretV1),
			),
		},
		{
			name: "the container sets every name: nothing injected, no annotation",
			app:  newApp(withEnv("FOO", "bar"), withSecrets(secretV1, "API_TOKEN")),
			pod:  newPod(withContainers(container("flow", concat([]corev1.EnvVar{plain("API_TOKEN", "x"), plain("FOO", "y")}, identity)...))),
			want: newPod(withContainers(container("flow", concat([]corev1.EnvVar{plain("API_TOKEN", "x"), plain("FOO", "y")}, identity)...))),
		},
		{
			name: "an app with no env or secrets gives the identity only",
			app:  newApp(),
			pod:  newPod(withContainers(container("flow", plain("A", "1")))),
			want: newPod(withContainers(container("flow", concat([]corev1.EnvVar{plain("A", "1")}, identity)...)), injected(idNames, "")),
		},
		{
			name: "plain env only: no secret annotation",
			app:  newApp(withEnv("FOO", "bar")),
			pod:  newPod(withContainers(container("flow"))),
			want: newPod(withContainers(container("flow", concat([]corev1.EnvVar{plain("FOO", "bar")}, identity)...)), injected("FOO,"+idNames, "")),
		},
		{
			name: "secrets without a materialized Secret are not referenced",
			app:  newApp(withEnv("FOO", "bar"), withSecrets("", "API_TOKEN")),
			pod:  newPod(withContainers(container("flow"))),
			want: newPod(withContainers(container("flow", concat([]corev1.EnvVar{plain("FOO", "bar")}, identity)...)), injected("FOO,"+idNames, "")),
		},
		{
			name: "50 secrets",
			app:  newApp(withSecrets(secretV1, fifty...)),
			pod:  newPod(withContainers(container("flow"), container("sidecar"))),
			want: newPod(
				withContainers(container("flow", concat(refs(secretV1, fifty...), identity)...), container("sidecar", concat(refs(secretV1, fifty...), identity)...)),
				injected(idNames+","+strings.Join(fifty, ","), secretV1),
			),
		},
		{
			name: "an already mutated pod is returned unchanged",
			app:  newApp(fooBar, twoSecrets),
			pod:  newPod(withContainers(container("flow", wantEnv...)), injected(allNames, secretV1)),
			want: newPod(withContainers(container("flow", wantEnv...)), injected(allNames, secretV1)),
		},
		{
			name: "a container added between invocations gets the env; the others stay",
			app:  newApp(fooBar, twoSecrets),
			pod: newPod(
				withContainers(container("flow", wantEnv...), container("istio-proxy")),
				injected(allNames, secretV1),
			),
			want: newPod(
				withContainers(container("flow", wantEnv...), container("istio-proxy", wantEnv...)),
				injected(allNames, secretV1),
			),
		},
		{
			name: "our secretKeyRefs to an older Secret move to the current one",
			app:  newApp(twoSecrets),
			pod: newPod(
				withContainers(container("flow", secretRef("API_TOKEN", "my-app-env-old"), secretRef("OWN", "my-app-env-old"))),
				injected("API_TOKEN", "my-app-env-old"),
			),
			want: newPod(
				withContainers(container("flow", concat([]corev1.EnvVar{secretRef("API_TOKEN", secretV1), secretRef("OWN", "my-app-env-old"),
					secretRef("DB_PASSWORD", secretV1)}, identity)...)),
				injected("API_TOKEN,DB_PASSWORD,"+idNames, secretV1),
			),
		},
		{
			name: "a container's own secretKeyRef to another Secret is left alone",
			app:  newApp(twoSecrets),
			pod: newPod(
				withContainers(container("flow", secretRef("API_TOKEN", "vault-token"))),
				injected("API_TOKEN", "my-app-env-old"),
			),
			want: newPod(
				withContainers(container("flow", concat([]corev1.EnvVar{secretRef("API_TOKEN", "vault-token"), secretRef("DB_PASSWORD", secretV1)}, identity)...)),
				injected("API_TOKEN,DB_PASSWORD,"+idNames, secretV1),
			),
		},
		{
			name: "names recorded by an earlier invocation stay recorded",
			app:  newApp(withEnv("NEW", "1")),
			pod: newPod(
				withContainers(container("flow", plain("GONE", "x"))),
				injected("GONE", ""), withAnnotations("keep", "me"),
			),
			want: newPod(
				withContainers(container("flow", concat([]corev1.EnvVar{plain("GONE", "x"), plain("NEW", "1")}, identity)...)),
				injected("GONE,"+idNames+",NEW", ""), withAnnotations("keep", "me"),
			),
		},
		{
			name: "a duplicate name in a container counts once",
			app:  newApp(withEnv("FOO", "bar")),
			pod:  newPod(withContainers(container("flow", concat([]corev1.EnvVar{plain("FOO", "a"), plain("FOO", "b")}, identity)...))),
			want: newPod(withContainers(container("flow", concat([]corev1.EnvVar{plain("FOO", "a"), plain("FOO", "b")}, identity)...))),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.pod.DeepCopy()
			appBefore := tt.app.DeepCopy()

			got := mutatePod(tt.pod, tt.app, flow(tt.app))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mutatePod() mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, tt.pod); diff != "" {
				t.Errorf("mutatePod() modified its input pod (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(appBefore, tt.app); diff != "" {
				t.Errorf("mutatePod() modified the app (-before +after):\n%s", diff)
			}

			// Reinvocation: a second run changes nothing, and says so by
			// returning the very same pod.
			again := mutatePod(got, tt.app, flow(tt.app))
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("mutatePod() is not idempotent (-first +second):\n%s", diff)
			}
			if again != got {
				t.Errorf("mutatePod() of an already mutated pod returned a new pod")
			}
		})
	}
}

// TestMutatePodResultIsIndependent checks that editing the result, down to a
// secretKeyRef, never reaches the input or another container.
func TestMutatePodResultIsIndependent(t *testing.T) {
	a := newApp(withEnv("FOO", "bar"), withSecrets(secretV1, "API_TOKEN"))
	p := newPod(withContainers(container("a", plain("OWN", "1")), container("b")))
	before := p.DeepCopy()
	got := mutatePod(p, a, flow(a))

	got.Spec.Containers[0].Env = append(got.Spec.Containers[0].Env, plain("X", "y"))
	got.Spec.Containers[0].Env[0].Value = "changed"
	got.Spec.Containers[0].Env[1] = plain("FOO", "changed")
	got.Spec.Containers[0].Env[2].ValueFrom.SecretKeyRef.Name = "changed"
	got.Annotations["x"] = "y"
	if diff := cmp.Diff(before, p); diff != "" {
		t.Errorf("changing the result changed the input (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(concat([]corev1.EnvVar{plain("FOO", "bar"), secretRef("API_TOKEN", secretV1)}, identity), got.Spec.Containers[1].Env); diff != "" {
		t.Errorf("changing one container changed another (-want +got):\n%s", diff)
	}
}

// TestMutatePodWritesOnlyReferences: every secret entry mutatePod writes is
// a bare secretKeyRef to the app's Secret. The envtest spec "never puts a
// secret value into the pod" runs the whole path against a real apiserver
// that holds the Secret's values.
func TestMutatePodWritesOnlyReferences(t *testing.T) {
	canary := "canary-" + rand.Text() // not reachable from mutatePod: it gets names only
	a := newApp(withEnv("FOO", "bar"), withSecrets(secretV1, "API_TOKEN", "DB_PASSWORD"))
	p := newPod(withInitContainers(container("init")), withContainers(container("flow"), container("side")))
	expectBareSecretRefs(t, mutatePod(p, a, flow(a)), secretV1, canary)
}

// expectBareSecretRefs checks that the pod's JSON holds no secret value and
// that every API_TOKEN and DB_PASSWORD entry is a bare secretKeyRef to secret.
func expectBareSecretRefs(t *testing.T, pod *corev1.Pod, secret, value string) {
	t.Helper()
	raw, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	expectNoSecretValue(t, "the pod", raw, value)
	for _, c := range append(pod.Spec.InitContainers, pod.Spec.Containers...) {
		found := 0
		for _, e := range c.Env {
			if e.Name != "API_TOKEN" && e.Name != "DB_PASSWORD" {
				continue
			}
			found++
			if e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
				t.Errorf("container %s: secret env %s is not a bare secretKeyRef (value set: %v)", c.Name, e.Name, e.Value != "")
				continue
			}
			if ref := e.ValueFrom.SecretKeyRef; ref.Name != secret || ref.Key != e.Name {
				t.Errorf("container %s: secret env %s refers to %s/%s, want %s/%s", c.Name, e.Name, ref.Name, ref.Key, secret, e.Name)
			}
		}
		if found != 2 {
			t.Errorf("container %s has %d of the 2 secret env entries", c.Name, found)
		}
	}
}

// benchmarkPod is the benchmark's pod: 10 containers (2 of them init
// containers), a few env entries of their own, no injection yet.
func benchmarkPod() *corev1.Pod {
	p := newPod()
	for i := 0; i < 2; i++ {
		p.Spec.InitContainers = append(p.Spec.InitContainers, container(fmt.Sprintf("init-%d", i), plain("OWN", "1")))
	}
	for i := 0; i < 8; i++ {
		p.Spec.Containers = append(p.Spec.Containers, container(fmt.Sprintf("c-%d", i), plain("OWN", "1"), plain("PORT", "8080")))
	}
	return p
}

// benchmarkApp has 50 secrets and 5 plain env vars.
func benchmarkApp() *lightningv1alpha1.LightningApp {
	a := newApp(withEnv("A", "1", "B", "2", "C", "3", "D", "4", "E", "5"), withSecrets(secretV1, numbered("SECRET", 50)...))
	a.Status.Conditions = []metav1.Condition{{
		Type: lightningv1alpha1.ConditionSecretsResolved, Status: metav1.ConditionTrue,
		Reason: lightningv1alpha1.ReasonResolved, ObservedGeneration: a.Generation,
	}}
	return a
}

func BenchmarkMutatePod(b *testing.B) {
	a := benchmarkApp()
	b.Run("first-invocation", func(b *testing.B) {
		p := benchmarkPod()
		b.ReportAllocs()
		for b.Loop() {
			_ = mutatePod(p, a, flow(a))
		}
	})
	b.Run("reinvocation", func(b *testing.B) {
		p := mutatePod(benchmarkPod(), a, flow(a))
		b.ReportAllocs()
		for b.Loop() {
			_ = mutatePod(p, a, flow(a))
		}
	})
}

// expectNoSecretValue fails when data holds value, plain or base64-encoded.
// It never prints data: that would print the value.
func expectNoSecretValue(t *testing.T, what string, data []byte, value string) {
	t.Helper()
	for _, form := range []string{value, base64.StdEncoding.EncodeToString([]byte(value))} {
		if n := strings.Count(string(data), form); n > 0 {
			t.Errorf("%s carries the secret value %d time(s)", what, n)
		}
	}
}

func TestSecretForPod(t *testing.T) {
	a := newApp(withSecrets("my-app-env-current000", "API_TOKEN"))
	rsOwner := metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "my-app-root-1", UID: "u", Controller: ptr.To(true)}
	fromTemplate := func(hash string, owners ...metav1.OwnerReference) *corev1.Pod {
		p := newPod()
		p.Annotations = map[string]string{lightningv1alpha1.AnnotationSecretsHash: hash}
		p.OwnerReferences = owners
		return p
	}
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		app  *lightningv1alpha1.LightningApp
		want string
	}{
		{"a ReplicaSet's pod gets its template's Secret, even a newer one than the status names", fromTemplate("newer00000", rsOwner), a, "my-app-env-newer00000"},
		{"an older template's pod gets that template's Secret", fromTemplate("older00000", rsOwner), a, "my-app-env-older00000"},
		{"a run-time pod gets the current Secret", newPod(), a, "my-app-env-current000"},
		{"a run-time pod cannot pick a Secret by copying the annotation", fromTemplate("older00000"), a, "my-app-env-current000"},
		{"another owner's pod gets the current Secret", fromTemplate("older00000", metav1.OwnerReference{Kind: "Job", Name: "j", UID: "u", Controller: ptr.To(true)}), a, "my-app-env-current000"},
		{"an app without secrets has none", fromTemplate("older00000", rsOwner), newApp(), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := secretForPod(tc.pod, tc.app); got != tc.want {
				t.Errorf("secretForPod = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRunsOnLastGood(t *testing.T) {
	token := lightningv1alpha1.SecretEnvVar{Name: "TOKEN", SecretRef: "tok"}
	db := lightningv1alpha1.SecretEnvVar{Name: "DB", SecretRef: "db"}
	app := func(spec, last []lightningv1alpha1.SecretEnvVar, secretName string) *lightningv1alpha1.LightningApp {
		a := newApp()
		a.Spec.Secrets, a.Status.SecretName = spec, secretName
		for _, s := range last {
			a.Status.Secrets = append(a.Status.Secrets, lightningv1alpha1.SecretVersion{Name: s.Name, SecretRef: s.SecretRef, Version: "0123456789abcdef"})
		}
		return a
	}
	for _, tc := range []struct {
		name string
		app  *lightningv1alpha1.LightningApp
		want bool
	}{
		{"the last good Secret holds every mapped var", app([]lightningv1alpha1.SecretEnvVar{token}, []lightningv1alpha1.SecretEnvVar{token, db}, "my-app-env-1"), true},
		{"never resolved: fail closed", app([]lightningv1alpha1.SecretEnvVar{token}, nil, ""), false},
		{"a new var the last good Secret lacks", app([]lightningv1alpha1.SecretEnvVar{token, db}, []lightningv1alpha1.SecretEnvVar{token}, "my-app-env-1"), false},
		{"the same var from another ref", app([]lightningv1alpha1.SecretEnvVar{{Name: "TOKEN", SecretRef: "other"}}, []lightningv1alpha1.SecretEnvVar{token}, "my-app-env-1"), false},
		{"no secrets: nothing to fall back on", app(nil, nil, ""), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := runsOnLastGood(tc.app); got != tc.want {
				t.Errorf("runsOnLastGood = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMutatePodIdentity(t *testing.T) {
	a := newApp(withSecrets(secretV1, "API_TOKEN"))
	tests := []struct {
		name string
		in   injection
		want []corev1.EnvVar
	}{
		{"the Flow has no work name", injection{secret: secretV1, component: "root"},
			concat(refs(secretV1, "API_TOKEN"), identity)},
		{"a declared Work", injection{secret: secretV1, component: "root.work_a"},
			concat(refs(secretV1, "API_TOKEN"), identity, []corev1.EnvVar{plain(lightningv1alpha1.EnvWorkName, "work_a")})},
		{"a Work launched at run time", injection{secret: secretV1, component: "root.works.3"},
			concat(refs(secretV1, "API_TOKEN"), identity, []corev1.EnvVar{plain(lightningv1alpha1.EnvWorkName, "works.3")})},
		{"the injection's Secret, not the status's", injection{secret: "my-app-env-template0", component: "root"},
			concat(refs("my-app-env-template0", "API_TOKEN"), identity)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mutatePod(newPod(withContainers(container("c"))), a, tt.in)
			if diff := cmp.Diff(tt.want, got.Spec.Containers[0].Env); diff != "" {
				t.Errorf("env (-want +got):\n%s", diff)
			}
			if s := got.Annotations[lightningv1alpha1.AnnotationInjectedSecret]; s != tt.in.secret {
				t.Errorf("injected-secret annotation = %q, want %q", s, tt.in.secret)
			}
		})
	}
}

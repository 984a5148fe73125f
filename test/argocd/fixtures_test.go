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

package argocd_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/app"
)

// The app fixtures are not written by hand: each is the status
// internal/app.DesiredStatus (or ErrorStatus, for a pass that stopped on an
// error) computes from what a reconcile would observe, as the controller
// calls them. TestAppFixturesAreTheControllersStatus fails when a fixture
// is stale; `go test ./test/argocd/ -update` writes them again.
//
// The LightningSecret fixtures are written by hand (testdata/secret-*.yaml):
// the controller's status function is unexported. Their conditions and
// messages are those of controllers/lightningsecret_status.go.

const (
	namespace  = "alice"
	appName    = "my-app"
	secretRef  = "my-secret"
	envName    = "MY_APP_SECRET"
	version    = "9c1e7f02d4a8b356"
	work       = "root.work_a"
	fixtureGen = 3
)

// transitionTime stands for every time in the fixtures, so they are stable.
var transitionTime = metav1.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)

type appFixture struct {
	file string
	// what the fixture shows, written at the top of the file
	about string
	// generation is metadata.generation; the status may be of an older one.
	generation int64
	stopped    bool
	// status computes the status; nil for an app without one.
	status func() (lightningv1alpha1.LightningAppStatus, error)
}

func appFixtures() []appFixture {
	return []appFixture{
		{
			file: "app-no-status.yaml", about: "Just created: the controller has not written a status yet.",
			generation: 1,
		},
		{
			file: "app-healthy.yaml", about: "Its secret resolved and both components are available.",
			generation: fixtureGen,
			status:     steps(resolved(fixtureGen, ready(app.RootComponent), ready(work))),
		},
		{
			file: "app-progressing-rollout.yaml", about: "First rollout: the Deployments exist, their pods are not available yet.",
			generation: fixtureGen,
			status:     steps(resolved(fixtureGen, starting(app.RootComponent), starting(work))),
		},
		{
			file: "app-progressing-components-failing.yaml", about: "A Work crash-loops: Reconciling, not Stalled (the kubelet retries).",
			generation: fixtureGen,
			status:     steps(resolved(fixtureGen, ready(app.RootComponent), crashLooping(work))),
		},
		{
			file: "app-progressing-new-generation.yaml", about: "Healthy at generation 3; the spec changed (generation 4) and the controller has not observed it yet.",
			generation: fixtureGen + 1,
			status:     steps(resolved(fixtureGen, ready(app.RootComponent), ready(work))),
		},
		{
			file: "app-progressing-reconcile-error.yaml", about: "A pass stopped on an error that a retry can fix: Ready=False ReconcileError, Reconciling=True.",
			generation: fixtureGen,
			status: func() (lightningv1alpha1.LightningAppStatus, error) {
				prev, err := steps(resolved(fixtureGen, ready(app.RootComponent), ready(work)))()
				if err != nil {
					return prev, err
				}
				return app.ErrorStatus(prev, fixtureGen, lightningv1alpha1.ReasonReconcileError,
					"reading MutatingWebhookConfiguration lightning-operator-mutating-webhook-configuration: the server is currently unable to handle the request", false), nil
			},
		},
		{
			file: "app-progressing-waiting-for-secret.yaml", about: "Applied before its LightningSecret (GitOps applies both together): SecretNotFound, Reconciling=True, it waits.",
			generation: fixtureGen,
			status:     steps(unresolved(fixtureGen, lightningv1alpha1.ReasonSecretNotFound, fmt.Sprintf("Secret with name '%s' not found", secretRef))),
		},
		{
			file: "app-degraded-secret-not-ready.yaml", about: "It never resolved and its LightningSecret does not open (Tampered): SecretNotReady, Stalled=True; nothing runs.",
			generation: fixtureGen,
			status: steps(unresolved(fixtureGen, lightningv1alpha1.ReasonSecretNotReady,
				fmt.Sprintf("Secret with name '%s' is not ready: %s", secretRef, lightningv1alpha1.ReasonTampered))),
		},
		{
			file: "app-degraded-secret-deleted.yaml", about: "It ran, then its LightningSecret was deleted: SecretsResolved=False SecretNotFound, Stalled=True LastGoodSecrets.",
			generation: fixtureGen,
			status: steps(
				resolved(fixtureGen, ready(app.RootComponent), ready(work)),
				unresolved(fixtureGen, lightningv1alpha1.ReasonSecretNotFound, fmt.Sprintf("Secret with name '%s' not found", secretRef), ready(app.RootComponent), ready(work)),
			),
		},
		{
			file: "app-degraded-last-good-secrets.yaml", about: "It ran, then its LightningSecret was altered (Tampered): it keeps its last good Secret, Stalled=True LastGoodSecrets.",
			generation: fixtureGen,
			status: steps(
				resolved(fixtureGen, ready(app.RootComponent), ready(work)),
				unresolved(fixtureGen, lightningv1alpha1.ReasonSecretNotReady, fmt.Sprintf("Secret with name '%s' is not ready: %s", secretRef, lightningv1alpha1.ReasonTampered), ready(app.RootComponent), ready(work)),
			),
		},
		{
			file: "app-degraded-foreign-object.yaml", about: "A new app whose Deployment name is taken by a Deployment it does not own: Stalled=True ForeignObject, from the first pass.",
			generation: 1,
			status: func() (lightningv1alpha1.LightningAppStatus, error) {
				return app.ErrorStatus(lightningv1alpha1.LightningAppStatus{}, 1, lightningv1alpha1.ReasonForeignObject,
					fmt.Sprintf("Deployment %s/%s exists and is not owned by LightningApp %s: delete or rename it, or rename the app",
						namespace, app.DeploymentName(appName, app.RootComponent), appName), true), nil
			},
		},
		{
			file: "app-degraded-namespace-excluded.yaml", about: "The app is in a namespace the pod webhook's namespaceSelector leaves out: nothing runs, Stalled=True NamespaceExcluded.",
			generation: fixtureGen,
			status: steps(unresolved(fixtureGen, lightningv1alpha1.ReasonNamespaceExcluded,
				fmt.Sprintf("LightningApp %s is in namespace %q, which the namespaceSelector of webhook %s in MutatingWebhookConfiguration %s does not select, so its pods would get no env; no Secret or Deployment is made: label the namespace to match, or run the app in another namespace",
					appName, namespace, "pod-env.lightning.ai", "lightning-operator-mutating-webhook-configuration"))),
		},
		{
			file: "app-suspended.yaml", about: "spec.stopped: every component is scaled to zero; the Secret stays.",
			generation: fixtureGen + 1, stopped: true,
			status: steps(
				resolved(fixtureGen, ready(app.RootComponent), ready(work)),
				stoppedObs(resolved(fixtureGen+1, ready(app.RootComponent), ready(work))),
			),
		},
		{
			file: "app-progressing-stopping.yaml", about: "spec.stopped was just set: one component still has pods.",
			generation: fixtureGen + 1, stopped: true,
			status: steps(
				resolved(fixtureGen, ready(app.RootComponent), ready(work)),
				stoppedObs(resolved(fixtureGen+1, ready(app.RootComponent), starting(work))),
			),
		},
		{
			file: "app-degraded-stopped-secret-deleted.yaml", about: "A stopped app whose LightningSecret was deleted still says so: Stalled=True (LastGoodSecrets) beats Suspended.",
			generation: fixtureGen + 1, stopped: true,
			status: steps(
				resolved(fixtureGen, ready(app.RootComponent), ready(work)),
				stoppedObs(unresolved(fixtureGen+1, lightningv1alpha1.ReasonSecretNotFound, fmt.Sprintf("Secret with name '%s' not found", secretRef), ready(app.RootComponent), ready(work))),
			),
		},
	}
}

// observation is one reconcile's Observed, or why it cannot be built.
type observation func() (app.Observed, error)

// steps folds DesiredStatus over successive reconciles, as the controller
// does with the status it read.
func steps(obs ...observation) func() (lightningv1alpha1.LightningAppStatus, error) {
	return func() (lightningv1alpha1.LightningAppStatus, error) {
		var st lightningv1alpha1.LightningAppStatus
		for _, o := range obs {
			observed, err := o()
			if err != nil {
				return st, err
			}
			st = app.DesiredStatus(st, observed)
		}
		return st, nil
	}
}

func refs() []app.ResolvedRef {
	return []app.ResolvedRef{{EnvName: envName, SecretRef: secretRef, Version: version}}
}

func resolved(gen int64, components ...lightningv1alpha1.ComponentStatus) observation {
	return func() (app.Observed, error) {
		hash := app.SecretsHash(namespace, appName, refs())
		return app.Observed{
			Generation:  gen,
			Resolution:  app.Resolution{Resolved: true},
			SecretName:  app.SecretName(appName, hash),
			SecretsHash: hash,
			SecretCount: 1,
			Secrets:     []lightningv1alpha1.SecretVersion{{Name: envName, SecretRef: secretRef, Version: version}},
			Components:  components,
			RolledOutAt: &transitionTime,
		}, nil
	}
}

func unresolved(gen int64, reason, message string, components ...lightningv1alpha1.ComponentStatus) observation {
	return func() (app.Observed, error) {
		return app.Observed{Generation: gen, Resolution: app.Resolution{Reason: reason, Message: message}, Components: components}, nil
	}
}

// stoppedObs is o with spec.stopped observed.
func stoppedObs(o observation) observation {
	return func() (app.Observed, error) {
		obs, err := o()
		obs.Stopped = true
		return obs, err
	}
}

func ready(path string) lightningv1alpha1.ComponentStatus {
	return lightningv1alpha1.ComponentStatus{Name: path, Deployment: app.DeploymentName(appName, path), Ready: true}
}

func starting(path string) lightningv1alpha1.ComponentStatus {
	return lightningv1alpha1.ComponentStatus{Name: path, Deployment: app.DeploymentName(appName, path)}
}

// crashLooping is a component whose pod's container exits, as
// app.ComponentFailure reads it from the pod.
func crashLooping(path string) lightningv1alpha1.ComponentStatus {
	pod := corev1.Pod{Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{
		Name:                 "component",
		State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 40s restarting failed container"}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error"}},
	}}}}
	c := starting(path)
	if f := app.ComponentFailure(nil, []corev1.Pod{pod}, time.Now()); f != nil {
		c.Reason, c.Message = f.Reason, f.Message
	}
	return c
}

func appSpec() lightningv1alpha1.LightningAppSpec {
	return lightningv1alpha1.LightningAppSpec{
		Image:      "registry.example/my-app:1.0",
		Entrypoint: "app.py",
		Flow:       lightningv1alpha1.FlowSpec{CloudCompute: &lightningv1alpha1.CloudCompute{Name: "flow-lite"}},
		Works:      []lightningv1alpha1.WorkSpec{{Name: work, CloudCompute: &lightningv1alpha1.CloudCompute{Name: "gpu"}}},
		Env:        []lightningv1alpha1.EnvVar{{Name: "FOO", Value: "bar"}},
		Secrets:    []lightningv1alpha1.SecretEnvVar{{Name: envName, SecretRef: secretRef}},
	}
}

// render is the fixture's file: the app with the computed status, as YAML.
func (f appFixture) render() ([]byte, error) {
	var st lightningv1alpha1.LightningAppStatus
	if f.status != nil {
		var err error
		if st, err = f.status(); err != nil {
			return nil, err
		}
	}
	for i := range st.Conditions {
		st.Conditions[i].LastTransitionTime = transitionTime
	}
	a := &lightningv1alpha1.LightningApp{
		TypeMeta:   metav1.TypeMeta{APIVersion: lightningv1alpha1.GroupVersion.String(), Kind: "LightningApp"},
		ObjectMeta: metav1.ObjectMeta{Name: appName, Namespace: namespace, Generation: f.generation, CreationTimestamp: transitionTime},
		Spec:       appSpec(),
		Status:     st,
	}
	a.Spec.Stopped = f.stopped
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(a)
	if err != nil {
		return nil, fmt.Errorf("converting the app: %w", err)
	}
	if f.status == nil {
		delete(u, "status")
	}
	body, err := yaml.Marshal(u)
	if err != nil {
		return nil, fmt.Errorf("writing YAML: %w", err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n# Generated by `go test ./test/argocd/ -update` from internal/app's status functions; do not edit.\n", f.about)
	b.Write(body)
	return b.Bytes(), nil
}

func TestAppFixturesAreTheControllersStatus(t *testing.T) {
	for _, f := range appFixtures() {
		t.Run(f.file, func(t *testing.T) {
			path := filepath.Join("testdata", f.file)
			want, err := f.render()
			if err != nil {
				t.Fatalf("rendering %s: %v", path, err)
			}
			if *update {
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run `go test ./test/argocd/ -update`)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s is not the status internal/app computes; run `go test ./test/argocd/ -update` and review the diff.\n--- file\n%s\n--- computed\n%s", path, got, want)
			}
		})
	}
}

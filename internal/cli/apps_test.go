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

package cli_test

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/cli"
	"github.com/lightning-operator/lightning-operator/internal/cli/app"
	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
	"github.com/lightning-operator/lightning-operator/test/builders"
)

// createApp creates app and sets its status, as the operator would.
func createApp(a *lightningv1alpha1.LightningApp, status *lightningv1alpha1.LightningAppStatus) *lightningv1alpha1.LightningApp {
	GinkgoHelper()
	Expect(k8sClient.Create(ctx, a)).To(Succeed())
	if status != nil {
		a.Status = *status
		Expect(k8sClient.Status().Update(ctx, a)).To(Succeed())
	}
	return a
}

func readyStatus(phase string, ready metav1.ConditionStatus, reason string) lightningv1alpha1.LightningAppStatus {
	s := lightningv1alpha1.LightningAppStatus{Phase: phase}
	meta.SetStatusCondition(&s.Conditions, metav1.Condition{Type: lightningv1alpha1.ConditionReady, Status: ready, Reason: reason, Message: "set by the test"})
	return s
}

func appGone(ns, name string) bool {
	err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &lightningv1alpha1.LightningApp{})
	return apierrors.IsNotFound(err)
}

var _ = Describe("list apps", func() {
	It("prints NAME, PHASE, READY, SECRETS and AGE, -o wide, -A, NAMEs and kubectl's formats", func() {
		ns := newNamespace()
		running := readyStatus(lightningv1alpha1.PhaseRunning, metav1.ConditionTrue, "Ready")
		running.SecretName = "trainer-secrets-0123"
		running.Components = []lightningv1alpha1.ComponentStatus{{Name: "root", Ready: true}, {Name: "root.train", Ready: false}}
		createApp(builders.App("trainer", ns).Secret("A", "a").Secret("B", "b").Work("root.train", "gpu").Obj(), &running)
		stopped := readyStatus(lightningv1alpha1.PhaseStopped, metav1.ConditionTrue, "Stopped")
		createApp(builders.App("idle", ns).Image("registry.example/idle:2").Obj(), &stopped)
		fresh := createApp(builders.App("fresh", ns).Secret("A", "a").Obj(), nil)

		now := func() time.Time { return fresh.CreationTimestamp.Add(90 * time.Minute) }
		list := func(args ...string) string {
			GinkgoHelper()
			return ok(klWith(invocation{opts: cli.Options{Now: now}}, append([]string{"list", "apps"}, args...)...))
		}
		out := list("-n", ns)
		Expect(rows(out)).To(Equal([][]string{
			{"NAME", "PHASE", "READY", "SECRETS", "AGE"},
			{"fresh", "<none>", "Unknown", "1", "90m"},
			{"idle", "Stopped", "True", "0", "90m"},
			{"trainer", "Running", "True", "2", "90m"},
		}))
		lines := strings.Split(out, "\n")
		Expect(strings.Index(lines[0], "AGE")).To(Equal(strings.Index(lines[1], "90m")), "columns are aligned:\n%s", out)

		Expect(rows(list("-n", ns, "-o", "wide"))).To(Equal([][]string{
			{"NAME", "PHASE", "READY", "SECRETS", "AGE", "REASON", "COMPONENTS", "SECRET", "IMAGE"},
			{"fresh", "<none>", "Unknown", "1", "90m", "<none>", "<none>", "<none>", builders.DefaultImage},
			{"idle", "Stopped", "True", "0", "90m", "Stopped", "<none>", "<none>", "registry.example/idle:2"},
			{"trainer", "Running", "True", "2", "90m", "Ready", "1/2", "trainer-secrets-0123", builders.DefaultImage},
		}))
		Expect(rows(list("-n", ns, "--no-headers", "trainer", "fresh"))).To(Equal([][]string{
			{"trainer", "Running", "True", "2", "90m"},
			{"fresh", "<none>", "Unknown", "1", "90m"},
		}))
		Expect(rows(list("-A"))).To(ContainElement([]string{ns, "idle", "Stopped", "True", "0", "90m"}))
		Expect(rows(list("-A"))[0]).To(Equal([]string{"NAMESPACE", "NAME", "PHASE", "READY", "SECRETS", "AGE"}))

		By("kubectl's formats")
		Expect(list("-n", ns, "-o", "name")).To(Equal("lightningapp.lightning.ai/fresh\nlightningapp.lightning.ai/idle\nlightningapp.lightning.ai/trainer\n"))
		Expect(list("-n", ns, "-o", "jsonpath={.items[*].metadata.name}")).To(Equal("fresh idle trainer"))
		Expect(list("-n", ns, "idle", "-o", "custom-columns=NAME:.metadata.name,IMAGE:.spec.image,WORKS:.spec.works[*].name")).
			To(Equal("NAME   IMAGE                     WORKS\nidle   registry.example/idle:2   <none>\n"))
		u := &unstructured.UnstructuredList{}
		y := list("-n", ns, "-o", "yaml")
		Expect(y).NotTo(ContainSubstring("managedFields"))
		Expect(yaml.Unmarshal([]byte(y), &u.Object)).To(Succeed())
		Expect(u.Object["kind"]).To(Equal("List"))
		items := u.Object["items"].([]any)
		Expect(items).To(HaveLen(3))
		Expect(items[2]).To(HaveKeyWithValue("kind", "LightningApp"))
		Expect(items[2]).To(HaveKeyWithValue("apiVersion", "lightning.ai/v1alpha1"))
		var fromJSON map[string]any
		Expect(json.Unmarshal([]byte(list("-n", ns, "-o", "json")), &fromJSON)).To(Succeed())
		Expect(fromJSON["items"]).To(HaveLen(3))

		By("a NAME that is not there, and an empty namespace")
		fails(kl("", "list", "apps", "-n", ns, "trainer", "nope"), "app 'nope' not found in namespace '"+ns+"'; the apps there are: fresh, idle, trainer")
		empty := newNamespace()
		r := kl("", "list", "apps", "-n", empty)
		Expect(ok(r)).To(BeEmpty())
		Expect(r.stderr).To(Equal("No resources found in " + empty + " namespace.\n"))
		r = kl("", "list", "apps", "-n", empty, "-o", "json")
		Expect(ok(r)).To(Equal("{\n    \"apiVersion\": \"v1\",\n    \"items\": [],\n    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n"))
		Expect(r.stderr).To(BeEmpty())
		fails(kl("", "list", "apps", "-n", empty, "x"), "app 'x' not found in namespace '"+empty+"': there are no apps in namespace '"+empty+"'")
	})
})

var _ = Describe("secret list -o", func() {
	It("adds VERSION and MESSAGE with -o wide, and prints kubectl's formats", func() {
		ns := newNamespace()
		createSecret(ns, "token", "v")
		setSecretStatus(ns, "token", metav1.ConditionTrue, lightningv1alpha1.ReasonSealed)
		s := getSecret(ns, "token")
		s.Status.Version = "v-0123"
		Expect(k8sClient.Status().Update(ctx, s)).To(Succeed())
		id := ring.Current().Private.ID()
		wide := rows(ok(kl("", "secret", "list", "-n", ns, "-o", "wide")))
		Expect(wide[0]).To(Equal([]string{"NAME", "READY", "REASON", "KEY", "ID", "USED", "BY", "AGE", "RECIPIENTS", "VERSION", "MESSAGE"}))
		// RECIPIENTS: the envelope's header, while the operator has not written status.keyIDs.
		Expect(wide[1]).To(HaveExactElements("token", "True", "Sealed", id, "<none>", Not(BeEmpty()), id, "v-0123", "set", "by", "the", "test"))
		Expect(ok(kl("", "secret", "list", "-n", ns, "-o", "name"))).To(Equal("lightningsecret.lightning.ai/token\n"))
		Expect(ok(kl("", "secret", "list", "-n", ns, "token", "-o", "jsonpath={.items[0].status.keyID}"))).To(Equal(id))
		fails(kl("", "secret", "list", "-n", ns, "nope"), "Secret with name 'nope' not found in namespace '"+ns+"'")
	})
})

var _ = Describe("secret create and delete --dry-run=server", func() {
	It("checks with the apiserver and stores nothing", func() {
		ns := newNamespace()
		gone := func(name string) bool {
			err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &lightningv1alpha1.LightningSecret{})
			return apierrors.IsNotFound(err)
		}
		r := kl("v", "secret", "create", "checked", "-n", ns, "--dry-run=server")
		Expect(ok(r)).To(ContainSubstring("kind: LightningSecret\n"))
		Expect(gone("checked")).To(BeTrue())
		Expect(ok(kl("v", "secret", "create", "checked", "-n", ns, "--apply", "--dry-run=server"))).
			To(Equal("lightningsecret.lightning.ai/checked created (server dry run)\n"))
		Expect(gone("checked")).To(BeTrue())

		createSecret(ns, "kept", "v")
		Expect(ok(kl("", "secret", "delete", "kept", "-n", ns, "--dry-run=server"))).
			To(Equal(`lightningsecret.lightning.ai "kept" deleted (server dry run)` + "\n"))
		Expect(ok(kl("", "secret", "delete", "kept", "-n", ns, "--dry-run=client"))).
			To(Equal(`lightningsecret.lightning.ai "kept" deleted (dry run)` + "\n"))
		Expect(gone("kept")).To(BeFalse())
		Expect(ok(kl("", "secret", "delete", "kept", "-n", ns, "-o", "name"))).To(Equal("lightningsecret.lightning.ai/kept\n"))
		Expect(gone("kept")).To(BeTrue())
	})
})

var _ = Describe("stop app and start app", func() {
	It("set spec.stopped with a merge patch, and say so", func() {
		ns := newNamespace()
		run := []string{"run", "app", appFile, "--image", image, "-n", ns, "--apply"}
		ok(kl("", run...))

		Expect(ok(kl("", "stop", "app", "my-app", "-n", ns, "--dry-run=server"))).To(Equal("lightningapp.lightning.ai/my-app stopped (server dry run)\n"))
		Expect(ok(kl("", "stop", "app", "my-app", "-n", ns, "--dry-run=client"))).To(Equal("lightningapp.lightning.ai/my-app stopped (dry run)\n"))
		Expect(getApp(ns, "my-app").Spec.Stopped).To(BeFalse())

		Expect(ok(kl("", "stop", "app", "my-app", "-n", ns))).To(Equal("lightningapp.lightning.ai/my-app stopped\n"))
		a := getApp(ns, "my-app")
		Expect(a.Spec.Stopped).To(BeTrue())
		var patched bool
		for _, m := range a.ManagedFields {
			patched = patched || m.Manager == cmdutil.FieldManager && m.Operation == metav1.ManagedFieldsOperationUpdate
		}
		Expect(patched).To(BeTrue(), "the patch is kubectl-lightning's: %v", a.ManagedFields)
		Expect(ok(kl("", "stop", "app", "my-app", "-n", ns))).To(Equal("lightningapp.lightning.ai/my-app already stopped\n"))

		By("run app --apply keeps it stopped, and says so")
		r := kl("", run...)
		Expect(ok(r)).To(Equal("lightningapp.lightning.ai/my-app unchanged\n"))
		Expect(r.stderr).To(Equal("Warning: app 'my-app' is stopped (spec.stopped); start it with 'kubectl lightning start app my-app -n " + ns + "'.\n"))
		Expect(getApp(ns, "my-app").Spec.Stopped).To(BeTrue())

		Expect(ok(kl("", "start", "app", "my-app", "-n", ns))).To(Equal("lightningapp.lightning.ai/my-app started\n"))
		Expect(getApp(ns, "my-app").Spec.Stopped).To(BeFalse())
		Expect(ok(kl("", "start", "app", "my-app", "-n", ns))).To(Equal("lightningapp.lightning.ai/my-app already started\n"))
		Expect(ok(kl("", "stop", "app", "my-app", "-n", ns, "-o", "jsonpath={.spec.stopped}"))).To(Equal("true"))
		Expect(ok(kl("", "start", "app", "my-app", "-n", ns, "-o", "name"))).To(Equal("lightningapp.lightning.ai/my-app\n"))
		Expect(getApp(ns, "my-app").Spec.Stopped).To(BeFalse())

		fails(kl("", "stop", "app", "other", "-n", ns), "app 'other' not found in namespace '"+ns+"'; the apps there are: my-app")
	})
})

var _ = Describe("delete app", func() {
	It("deletes, checks with --dry-run, and waits with --wait", func() {
		ns := newNamespace()
		for _, name := range []string{"a", "b", "c"} {
			createApp(builders.App(name, ns).Obj(), nil)
		}
		Expect(ok(kl("", "delete", "app", "a", "-n", ns, "--dry-run=server"))).To(Equal(`lightningapp.lightning.ai "a" deleted (server dry run)` + "\n"))
		Expect(appGone(ns, "a")).To(BeFalse())
		Expect(ok(kl("", "delete", "app", "a", "-n", ns))).To(Equal(`lightningapp.lightning.ai "a" deleted` + "\n"))
		Expect(appGone(ns, "a")).To(BeTrue())
		fails(kl("", "delete", "app", "a", "-n", ns), "app 'a' not found in namespace '"+ns+"'; the apps there are: b, c")

		By("--wait deletes in the foreground: it returns once the garbage collector lets the app go")
		done := make(chan result, 1)
		go func() {
			defer GinkgoRecover()
			done <- kl("", "delete", "app", "b", "-n", ns, "--wait")
		}()
		b := &lightningv1alpha1.LightningApp{}
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "b"}, b)).To(Succeed())
			g.Expect(b.DeletionTimestamp).NotTo(BeNil())
			g.Expect(b.Finalizers).To(ContainElement(metav1.FinalizerDeleteDependents))
		}).Should(Succeed())
		Consistently(done, "1s").ShouldNot(Receive())
		// envtest runs no kube-controller-manager: do the garbage collector's part.
		b.Finalizers = nil
		Expect(k8sClient.Update(ctx, b)).To(Succeed())
		var r result
		Eventually(done, "10s").Should(Receive(&r))
		Expect(ok(r)).To(Equal(`lightningapp.lightning.ai "b" deleted` + "\n"))

		By("--wait gives up after --timeout")
		r = kl("", "delete", "app", "c", "-n", ns, "--wait", "--timeout", "1s", "-o", "name")
		fails(r, "timed out after 1s waiting for app 'c' to be deleted: its Deployments and pods are still being removed (see 'kubectl get deployments,pods -n "+ns+" -l lightning.ai/app=c')")
		c := &lightningv1alpha1.LightningApp{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "c"}, c)).To(Succeed())
		c.Finalizers = nil
		Expect(k8sClient.Update(ctx, c)).To(Succeed())
		Eventually(func() bool { return appGone(ns, "c") }).Should(BeTrue())
	})
})

// podLogs serves each pod's log from a string, as a kubelet would, and
// records which container of which pod was asked, with which options.
type podLogs struct {
	logs  map[string]string
	asked []string
	opts  []app.LogOptions
}

func (l *podLogs) Stream(_ context.Context, namespace, pod, container string, opts app.LogOptions) (io.ReadCloser, error) {
	l.asked = append(l.asked, namespace+"/"+pod+"/"+container)
	l.opts = append(l.opts, opts)
	return io.NopCloser(strings.NewReader(l.logs[pod])), nil
}

// makePod creates a pod of an app's component and sets its status.
func makePod(ns, name, app, label string, phase corev1.PodPhase, ready bool, containers ...string) *corev1.Pod {
	GinkgoHelper()
	if len(containers) == 0 {
		containers = []string{"component"}
	}
	p := builders.Pod(ns, app, label).Name(name).Containers(containers...).Obj()
	Expect(k8sClient.Create(ctx, p)).To(Succeed())
	p.Status.Phase = phase
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}
	if phase == corev1.PodPending {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: containers[0], Image: builders.DefaultImage,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff"}}}}
	}
	Expect(k8sClient.Status().Update(ctx, p)).To(Succeed())
	return p
}

var _ = Describe("show logs", func() {
	var (
		ns        string
		clientset kubernetes.Interface
		a         *lightningv1alpha1.LightningApp
	)
	BeforeEach(func() {
		ns = newNamespace()
		var err error
		clientset, err = kubernetes.NewForConfig(restConfig)
		Expect(err).NotTo(HaveOccurred())
		status := readyStatus(lightningv1alpha1.PhaseDegraded, metav1.ConditionFalse, "ComponentsNotReady")
		status.Components = []lightningv1alpha1.ComponentStatus{
			{Name: "root.serve", Deployment: "my-app-root-serve", Reason: "FailedCreate", Message: `pods "my-app-root-serve-x" is forbidden: violates PodSecurity "restricted:latest"`},
		}
		a = createApp(builders.App("my-app", ns).Work("root.train").Work("root.serve").Obj(), &status)

		// root: a Ready pod, a newer one that is not Ready, a Pending one.
		makePod(ns, "root-a", "my-app", "root", corev1.PodRunning, true)
		makePod(ns, "root-b", "my-app", "root", corev1.PodRunning, false)
		makePod(ns, "root-c", "my-app", "root", corev1.PodPending, false)
		// root.train: only a Pending pod; root.serve: none.
		makePod(ns, "train-a", "my-app", "root.train", corev1.PodPending, false)
		// A Work the Flow launched: a pod being deleted, and a newer one.
		w3 := makePod(ns, "w3-b", "my-app", "root.works.3", corev1.PodRunning, true, "worker")
		makePod(ns, "w3-a", "my-app", "root.works.3", corev1.PodRunning, true, "worker")
		w3.Finalizers = []string{"test.lightning.ai/keep"}
		Expect(k8sClient.Update(ctx, w3)).To(Succeed())
		Expect(k8sClient.Delete(ctx, w3)).To(Succeed())
		DeferCleanup(func() {
			p := &corev1.Pod{}
			Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w3), p)).To(Succeed())
			p.Finalizers = nil
			Expect(k8sClient.Update(ctx, p)).To(Succeed())
		})
		// Another app's Flow, in the same namespace.
		makePod(ns, "other-root", "other-app", "root", corev1.PodRunning, true)
	})

	It("selects one Running pod per component", func() {
		targets, err := app.SelectPods(ctx, clientset, getApp(ns, "my-app"), nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(targets).To(Equal([]app.LogTarget{
			{Component: "root", Pod: "root-a", Container: "component"},
			{Component: "root.train", Note: "no running pod yet: pod train-a is Pending (ImagePullBackOff)"},
			{Component: "root.serve", Note: `no running pod yet: FailedCreate: pods "my-app-root-serve-x" is forbidden: violates PodSecurity "restricted:latest"`},
			{Component: "root.works.3", Pod: "w3-a", Container: "worker"},
		}))

		targets, err = app.SelectPods(ctx, clientset, a, []string{"flow", "root.works.3", "root"})
		Expect(err).NotTo(HaveOccurred())
		Expect(targets).To(Equal([]app.LogTarget{
			{Component: "root", Pod: "root-a", Container: "component"},
			{Component: "root.works.3", Pod: "w3-a", Container: "worker"},
		}))

		_, err = app.SelectPods(ctx, clientset, a, []string{"root.nope"})
		Expect(err).To(MatchError("Component 'root.nope' does not exist in app 'my-app'; its components are: root, root.train, root.serve, root.works.3"))

		By("only the Ready pod left is not Ready: the newest Running one is taken")
		Expect(k8sClient.Delete(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "root-a"}})).To(Succeed())
		targets, err = app.SelectPods(ctx, clientset, a, []string{"root"})
		Expect(err).NotTo(HaveOccurred())
		Expect(targets).To(Equal([]app.LogTarget{{Component: "root", Pod: "root-b", Container: "component"}}))
	})

	It("prints each component's lines with its prefix, and a line for each component without a pod", func() {
		src := &podLogs{logs: map[string]string{"root-a": "flow started\nflow ready\n", "w3-a": "work 3\n"}}
		r := klWith(invocation{opts: cli.Options{Logs: src}}, "show", "logs", "my-app", "-n", ns, "--tail", "5")
		Expect(ok(r)).To(Equal("[root] flow started\n[root] flow ready\n[root.works.3] work 3\n"))
		Expect(r.stderr).To(Equal("[root.train] no running pod yet: pod train-a is Pending (ImagePullBackOff)\n" +
			`[root.serve] no running pod yet: FailedCreate: pods "my-app-root-serve-x" is forbidden: violates PodSecurity "restricted:latest"` + "\n"))
		Expect(src.asked).To(Equal([]string{ns + "/root-a/component", ns + "/w3-a/worker"}))
		Expect(*src.opts[0].TailLines).To(Equal(int64(5)))

		fails(klWith(invocation{opts: cli.Options{Logs: src}}, "show", "logs", "nope", "-n", ns),
			"app 'nope' not found in namespace '"+ns+"'; the apps there are: my-app")
		fails(klWith(invocation{opts: cli.Options{Logs: src}}, "show", "logs", "my-app", "root.bad", "-n", ns),
			"Component 'root.bad' does not exist in app 'my-app'; its components are: root, root.train, root.serve, root.works.3")
	})

	It("says so when no component has a pod, as when the app is stopped", func() {
		createApp(builders.App("idle", ns).Work("root.a").Obj(), nil)
		patch := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"stopped":true}}`))
		Expect(k8sClient.Patch(ctx, getApp(ns, "idle"), patch)).To(Succeed())
		r := klWith(invocation{opts: cli.Options{Logs: &podLogs{}}}, "show", "logs", "idle", "-n", ns)
		Expect(r.code).To(Equal(1))
		Expect(r.stdout).To(BeEmpty())
		Expect(r.stderr).To(Equal("[root] no pod: the app is stopped (start it with 'kubectl lightning start app idle')\n" +
			"[root.a] no pod: the app is stopped (start it with 'kubectl lightning start app idle')\n" +
			"error: no component has a running pod, so there are no logs to show\n"))
	})

	It("reads logs through a real clientset (envtest runs no kubelet: an unscheduled pod has no log, a scheduled one no node)", func() {
		var out, errOut strings.Builder
		err := app.ShowLogs(ctx, k8sClient, clientset, &out, &errOut, app.LogsRequest{Namespace: ns, App: "my-app", Components: []string{"root"}})
		Expect(err).NotTo(HaveOccurred())
		Expect(out.String()).To(BeEmpty())
		Expect(errOut.String()).To(BeEmpty())

		createApp(builders.App("scheduled", ns).Obj(), nil)
		p := builders.Pod(ns, "scheduled", "root").Name("scheduled-root").Containers("component").Obj()
		p.Spec.NodeName = "no-such-node"
		Expect(k8sClient.Create(ctx, p)).To(Succeed())
		p.Status.Phase = corev1.PodRunning
		Expect(k8sClient.Status().Update(ctx, p)).To(Succeed())
		err = app.ShowLogs(ctx, k8sClient, clientset, &out, &errOut, app.LogsRequest{Namespace: ns, App: "scheduled", LogOptions: app.LogOptions{Follow: true}})
		Expect(err).To(MatchError("no log could be read"))
		Expect(out.String()).To(BeEmpty())
		Expect(errOut.String()).To(HavePrefix("[root] cannot read the logs of pod scheduled-root: "))
		Expect(strings.Count(errOut.String(), "\n")).To(Equal(1))
	})
})

// Package bench holds the operator's scale harness. It runs the real manager
// binary against a real kube-apiserver and measures throughput and memory.
//
// TestScale runs on envtest, where no deployment controller or kubelet
// runs, so a stand-in reports each Deployment available. It is skipped
// unless LIGHTNING_SCALE_N is set:
//
//	make bench-scale                    # N=2000 secrets, N/4 apps, 10k unrelated Secrets
//	LIGHTNING_SCALE_N=4000 make bench-scale
//
// TestScaleOnNode runs a small N on the local cluster with a node
// (test/localcluster): the real deployment controller, scheduler and
// kubelet bring every app to Ready, with the webhook injecting each pod.
// It runs in `make test` (N=40) and skips where no node can run:
//
//	make bench-scale-node               # LIGHTNING_SCALE_NODE_N, default 40
package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/keysecret"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
	"github.com/lightning-operator/lightning-operator/internal/testenv"
	"github.com/lightning-operator/lightning-operator/test/builders"
)

const operatorNamespace = "lightning-system"

type harness struct {
	t          *testing.T
	c          client.Client
	kubeconfig string
	manager    string
	// managerArgs are added to the manager's flags (the webhook, on the node).
	managerArgs []string
	// image and command run every component.
	image   string
	command func(secrets []string) []string
}

func TestScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("LIGHTNING_SCALE_N"))
	if n <= 0 {
		t.Skip("scale run: set LIGHTNING_SCALE_N (make bench-scale)")
	}
	unrelated, _ := strconv.Atoi(os.Getenv("LIGHTNING_SCALE_UNRELATED"))
	h := newHarness(t)
	ctx := context.Background()
	h.coldStart(ctx, n)
	if unrelated > 0 {
		h.unrelatedSecrets(ctx, unrelated)
	}
}

// TestScaleOnNode brings N/4 apps to Ready through the real deployment
// controller and kubelet.
func TestScaleOnNode(t *testing.T) {
	n := 40
	if v, err := strconv.Atoi(os.Getenv("LIGHTNING_SCALE_NODE_N")); err == nil && v > 0 {
		n = v
	}
	h := newNodeHarness(t)
	h.coldStart(context.Background(), n)
}

// coldStart creates n LightningSecrets and n/4 apps with the manager
// stopped, then times a cold start until every app is resolved and Ready.
func (h *harness) coldStart(ctx context.Context, n int) {
	t := h.t
	if n%40 != 0 {
		// Each group of 10 apps uses 40 secrets: i, i+10, i+20, i+30.
		t.Fatalf("N=%d: use a multiple of 40", n)
	}

	// First start: the leader creates the keyring; seal against its public key.
	stop, _ := h.startManager()
	pub := h.waitPublicKey(ctx)
	stop()

	apps := n / 4
	t.Logf("Creating %d LightningSecrets in %d namespaces and %d apps", n, 10, apps)
	h.parallel(n, func(i int) error {
		ns := fmt.Sprintf("profile-%d", i%10)
		name := fmt.Sprintf("secret-%d", i)
		env, err := sealing.Seal(pub, sealing.Scope{Namespace: ns, Name: name}, []byte(fmt.Sprintf("value-%d", i)))
		if err != nil {
			return err
		}
		return h.c.Create(ctx, builders.SealedSecret(ns, name, env).Obj())
	})
	// Each app uses the 4 secrets i, i+10, i+20, i+30 of its namespace.
	h.parallel(apps, func(i int) error {
		ns := fmt.Sprintf("profile-%d", i%10)
		a := builders.App(fmt.Sprintf("app-%d", i), ns).Image(h.image).Work("root.work")
		var names []string
		for k := 0; k < 4; k++ {
			name := fmt.Sprintf("S%d", k)
			names = append(names, name)
			a.Secret(name, fmt.Sprintf("secret-%d", (i/10)*40+i%10+k*10))
		}
		if h.command != nil {
			a.Command(h.command(names)...)
		}
		return h.c.Create(ctx, a.Obj())
	})

	// Cold start: time until every app's Secret is materialized, then until
	// every app is Ready. envtest runs no controllers or kubelet, so there a
	// stand-in marks each Deployment available once it exists.
	rolloutCtx, stopRollouts := context.WithCancel(ctx)
	rollouts := make(chan struct{})
	go func() {
		defer close(rollouts)
		if h.command == nil {
			h.completeRollouts(rolloutCtx)
		}
	}()
	start := time.Now()
	stop, peak := h.startManager()
	h.waitAllApps(ctx, apps, lightningv1alpha1.ConditionSecretsResolved)
	resolved := time.Since(start)
	h.waitAllApps(ctx, apps, lightningv1alpha1.ConditionReady)
	ready := time.Since(start)
	stop()
	stopRollouts()
	<-rollouts
	through := "a stand-in for the deployment controller and kubelet"
	if h.command != nil {
		through = "the deployment controller, scheduler and kubelet"
	}
	t.Logf("RESULT cold start to %d apps resolved (%d secrets opened): %s, %.0f secrets/s; to all %d apps Ready (%d Deployments, through %s): %s; manager peak RSS %d MiB",
		apps, apps*4, resolved.Round(time.Millisecond), float64(apps*4)/resolved.Seconds(),
		apps, apps*2, through, ready.Round(time.Millisecond), peak()>>20)
}

// unrelatedSecrets compares the idle manager's memory without and with
// Secrets that are not the operator's.
func (h *harness) unrelatedSecrets(ctx context.Context, unrelated int) {
	t := h.t
	idle := func() int64 {
		stop, rss := h.startManager()
		time.Sleep(10 * time.Second)
		stop()
		return rss()
	}
	{
		before := idle()
		h.parallel(unrelated, func(i int) error {
			return h.c.Create(ctx, &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Namespace: fmt.Sprintf("profile-%d", i%10), Name: fmt.Sprintf("unrelated-%d", i)},
				Data:       map[string][]byte{"k": []byte(strings.Repeat("x", 1024))},
			})
		})
		after := idle()
		t.Logf("RESULT manager peak RSS without / with %d unrelated Secrets: %d MiB / %d MiB (%.2fx)",
			unrelated, before>>20, after>>20, float64(after)/float64(before))
	}
}

func newHarness(t *testing.T) *harness {
	env, err := testenv.New(testenv.Options{})
	if err != nil {
		t.Skip(err.Error())
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	c := newClient(t, cfg)
	dir := t.TempDir()
	user, err := env.AddUser(envtest.User{Name: "operator", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, kc, 0o600); err != nil {
		t.Fatal(err)
	}
	manager := filepath.Join(dir, "manager")
	build := exec.Command("go", "build", "-o", manager, ".")
	build.Dir = testenv.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the manager: %v\n%s", err, out)
	}
	h := &harness{t: t, c: c, kubeconfig: kubeconfig, manager: manager, image: "registry.example/app:1.0"}
	for _, ns := range append([]string{operatorNamespace}, namespaces()...) {
		if err := c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// newClient is the harness's uncached client, fast enough to create
// thousands of objects.
func newClient(t *testing.T, cfg *rest.Config) client.Client {
	cfg.QPS, cfg.Burst = 500, 1000
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = lightningv1alpha1.AddToScheme(scheme)
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func namespaces() []string {
	out := make([]string, 10)
	for i := range out {
		out[i] = fmt.Sprintf("profile-%d", i)
	}
	return out
}

// startManager runs the manager binary; rss reports its peak resident set (VmHWM).
func (h *harness) startManager() (stop func(), rss func() int64) {
	args := []string{"--kubeconfig", h.kubeconfig, "--metrics-bind-address=0", "--health-probe-bind-address=0",
		"--operator-namespace", operatorNamespace, "--zap-log-level=error"}
	if h.managerArgs == nil {
		args = append(args, "--webhook-port=0")
	}
	cmd := exec.Command(h.manager, append(args, h.managerArgs...)...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	var peak int64
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		ticker := time.NewTicker(200 * time.Millisecond)
		defer ticker.Stop()
		for {
			select {
			case <-done:
				return
			case <-ticker.C:
				if v := vmHWM(cmd.Process.Pid); v > 0 {
					mu.Lock()
					peak = v
					mu.Unlock()
				}
			}
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			close(done)
			_ = cmd.Process.Signal(os.Interrupt)
			_ = cmd.Wait()
		})
	}
	// A failed test still stops it: a running manager would hold go test's output open.
	h.t.Cleanup(stop)
	return stop, func() int64 { mu.Lock(); defer mu.Unlock(); return peak }
}

func vmHWM(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func (h *harness) waitPublicKey(ctx context.Context) *sealing.PublicKey {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		cm := &corev1.ConfigMap{}
		if err := h.c.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: keysecret.DefaultConfigMapName}, cm); err == nil {
			current, _, err := keyring.ParsePublicData(cm.Data)
			if err == nil {
				return current
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	h.t.Fatal("the operator did not publish its public key")
	return nil
}

// waitAllApps waits until the condition is True on every app.
func (h *harness) waitAllApps(ctx context.Context, apps int, condition string) {
	deadline := time.Now().Add(30 * time.Minute)
	for time.Now().Before(deadline) {
		list := &lightningv1alpha1.LightningAppList{}
		if err := h.c.List(ctx, list); err != nil {
			h.t.Fatal(err)
		}
		done := 0
		for _, a := range list.Items {
			if meta.IsStatusConditionTrue(a.Status.Conditions, condition) {
				done++
			}
		}
		if done == apps {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	h.t.Fatalf("not every app has %s=True after 30 minutes", condition)
}

// completeRollouts stands in for the deployment controller and the kubelet,
// which envtest does not run: until ctx ends, it reports every app
// Deployment whose status lags its spec as rolled out and available.
func (h *harness) completeRollouts(ctx context.Context) {
	for ctx.Err() == nil {
		list := &appsv1.DeploymentList{}
		if err := h.c.List(ctx, list, client.HasLabels{lightningv1alpha1.LabelApp}); err != nil {
			if ctx.Err() != nil {
				return
			}
			h.t.Error(err)
			return
		}
		var pending []*appsv1.Deployment
		for i := range list.Items {
			if d := &list.Items[i]; d.Status.ObservedGeneration < d.Generation || d.Status.AvailableReplicas < 1 {
				pending = append(pending, d)
			}
		}
		err := runParallel(len(pending), func(i int) error {
			d := pending[i]
			replicas := int32(1)
			if d.Spec.Replicas != nil {
				replicas = *d.Spec.Replicas
			}
			d.Status = appsv1.DeploymentStatus{
				ObservedGeneration: d.Generation, Replicas: replicas, UpdatedReplicas: replicas,
				ReadyReplicas: replicas, AvailableReplicas: replicas,
				Conditions: []appsv1.DeploymentCondition{
					{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable"},
					{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable"},
				},
			}
			// A conflict means the operator changed it meanwhile: the next pass retries.
			if err := h.c.Status().Update(ctx, d); err != nil && !apierrors.IsConflict(err) && ctx.Err() == nil {
				return err
			}
			return nil
		})
		if err != nil {
			h.t.Error(err) // not Fatal: this is not the test's goroutine
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// parallel runs f for 0..n-1 on 16 workers and fails on the first error.
func (h *harness) parallel(n int, f func(i int) error) {
	if err := runParallel(n, f); err != nil {
		h.t.Fatal(err)
	}
}

// runParallel runs f for 0..n-1 on 16 workers and returns the first error.
func runParallel(n int, f func(i int) error) error {
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	next := make(chan int)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(i); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

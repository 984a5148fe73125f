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

package bench

// The Sealed Secrets side-by-side phase: Bitnami Sealed Secrets' controller,
// at its best (no client-side rate limit), unseals N SealedSecrets into N
// Secrets on a fresh apiserver, timed like our cold start, so a run can
// report ours ÷ Sealed Secrets.
//
// It needs the controller, kubeseal and the CRD in bin/ (make sealed-secrets)
// and root: the controller only runs in a pod (rest.InClusterConfig, no
// kubeconfig flag), so it runs in a mount namespace of its own where a pod's
// /var/run/secrets/kubernetes.io/serviceaccount holds its ServiceAccount's
// token, the apiserver's CA and its namespace.
//
// Run alone:
//
//	make bench-sealed-secrets                      # LIGHTNING_SCALE_SEALED_SECRETS_N, default 2000
//
// TestScale calls it after the pairs shape, once per size on a fresh
// harness (the pairs runs leave their objects behind), and prints ours ÷
// Sealed Secrets to all Secrets:
//
//	if reason := sealedSecretsMissing(); reason != "" {
//		t.Logf("Sealed Secrets side by side skipped: %s", reason)
//	} else {
//		for i, n := range sizes {
//			ss, err := newHarness(t, manager).sealedSecretsPhase(context.Background(), n)
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Logf("RESULT %s", ss.line(shapes[0], n))
//			summary = append(summary, fmt.Sprintf("pairs N=%d ours / Sealed Secrets %s: %.2fx to all Secrets",
//				n, sealedSecretsVersion, pairsResolved[i].Seconds()/ss.resolved.Seconds()))
//		}
//	}
//
// where pairsResolved[i] is the pairs shape's r.ours.resolved at sizes[i]
// (TestScale's resolvedBySize for that shape).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/lightning-operator/lightning-operator/internal/testenv"
	"github.com/lightning-operator/lightning-operator/test/localcluster"
)

const (
	sealedSecretsVersion = "v0.36.6"
	// sealedSecretsNamespace is kubeseal's default --controller-namespace.
	sealedSecretsNamespace = "kube-system"
	sealedSecretsName      = "sealed-secrets-controller"
	// sealedSecretsKeyLabel marks the controller's active key Secrets.
	sealedSecretsKeyLabel = "sealedsecrets.bitnami.com/sealed-secrets-key"
	// sealedSecretsTimeout bounds the cold start, as appProgress.wait does ours.
	sealedSecretsTimeout = 30 * time.Minute
)

// sealedSecretsFlags are its defaults but for the client-side rate limit
// (5 QPS, burst 10 by default) and the logs (one line per object at INFO;
// our manager runs at error level too).
var sealedSecretsFlags = []string{"--kubeclient-qps=-1", "--kubeclient-burst=1000", "--log-level=ERROR"}

// TestSealedSecretsSideBySide runs the phase alone at LIGHTNING_SCALE_SEALED_SECRETS_N.
func TestSealedSecretsSideBySide(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("LIGHTNING_SCALE_SEALED_SECRETS_N"))
	if n <= 0 {
		t.Skip("Sealed Secrets side by side: set LIGHTNING_SCALE_SEALED_SECRETS_N (make bench-sealed-secrets)")
	}
	if n%10 != 0 {
		t.Fatalf("N=%d: use a multiple of 10, as the pairs shape does", n)
	}
	if reason := sealedSecretsMissing(); reason != "" {
		t.Skipf("Sealed Secrets side by side skipped: %s", reason)
	}
	// The manager is never started here.
	p, err := newHarness(t, "").sealedSecretsPhase(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("RESULT %s", p.line(shapes[0], n))
}

func sealedSecretsDir() string {
	return filepath.Join(testenv.RepoRoot(), "bin", "sealed-secrets-"+sealedSecretsVersion)
}

// sealedSecretsMissing says why the phase cannot run here, or "".
func sealedSecretsMissing() string {
	for _, f := range []string{"controller", "kubeseal", "sealedsecrets-crd.yaml"} {
		if _, err := os.Stat(filepath.Join(sealedSecretsDir(), f)); err != nil {
			return fmt.Sprintf("no %s in %s: run 'make sealed-secrets'", f, sealedSecretsDir())
		}
	}
	if os.Geteuid() != 0 {
		return "its controller runs only in-cluster; running it in a mount namespace of its own needs root"
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		return "no unshare (util-linux) to give its controller a mount namespace"
	}
	return ""
}

// sealedSecretsPhase installs Sealed Secrets, seals n Secrets with kubeseal
// against its key, creates the n SealedSecrets with the controller stopped,
// and times a cold start of the controller to the first and the last
// Secret. Its resolved and ready are both the time to the last Secret.
func (h *harness) sealedSecretsPhase(ctx context.Context, n int) (phase, error) {
	dir := sealedSecretsDir()
	if _, err := envtest.InstallCRDs(h.cfg, envtest.CRDInstallOptions{
		Paths: []string{filepath.Join(dir, "sealedsecrets-crd.yaml")}, ErrorIfPathMissing: true}); err != nil {
		return phase{}, fmt.Errorf("installing the SealedSecret CRD: %w", err)
	}
	pod, err := h.sealedSecretsPod(ctx)
	if err != nil {
		return phase{}, err
	}

	// The first start makes its key and writes the certificate to seal to.
	c, err := h.startSealedSecrets(pod)
	if err != nil {
		return phase{}, err
	}
	cert, err := h.waitSealingCert(ctx, c)
	c.stop()
	if err != nil {
		return phase{}, err
	}
	h.t.Logf("Sealing %d Secrets with kubeseal %s (16 at a time)", n, sealedSecretsVersion)
	sealed, err := h.kubeseal(ctx, cert, n)
	if err != nil {
		return phase{}, err
	}
	h.t.Logf("Creating %d SealedSecrets in %d namespaces", n, len(namespaces()))
	if err := runParallelOn(16, n, func(i int) error { return h.c.Create(ctx, sealed[i]) }); err != nil {
		return phase{}, fmt.Errorf("creating the SealedSecrets: %w", err)
	}

	before, err := scrapeAPIServer(ctx, h.kube.CoreV1().RESTClient())
	if err != nil {
		return phase{}, err
	}
	// The watch ends with the phase, not with the test: TestScale goes on
	// to other apiservers.
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	progress, err := watchOwnedSecrets(watchCtx, h.kube, "SealedSecret", n)
	if err != nil {
		return phase{}, err
	}
	start := time.Now()
	if c, err = h.startSealedSecrets(pod); err != nil {
		return phase{}, err
	}
	if err := progress.wait(ctx, c, sealedSecretsTimeout); err != nil {
		c.stop()
		return phase{}, err
	}
	// Its status writes and Events trail the Secrets; count them too, as
	// our cold start waits for the manager's queues to drain.
	if err := waitSealedSecretsIdle(ctx, c.metricsURL, n); err != nil {
		c.stop()
		return phase{}, err
	}
	c.stop()
	peak := c.samplePeak()
	after, err := scrapeAPIServer(ctx, h.kube.CoreV1().RESTClient())
	if err != nil {
		return phase{}, err
	}
	first, last := progress.times(start)
	return phase{name: "Sealed Secrets " + sealedSecretsVersion + ", " + strings.Join(sealedSecretsFlags, " "),
		first: first, resolved: last, ready: last, managerCPU: c.cpu(), peakRSS: peak.hwm, peakAnon: peak.anon, peakFile: peak.file, api: after.minus(before)}, nil
}

// sealedSecretsPod makes the controller's ServiceAccount, bound to
// cluster-admin (the chart's role is narrower; authorizing is not what is
// measured), and returns a directory laid out as /var/run, holding what a
// pod of it would have mounted.
func (h *harness) sealedSecretsPod(ctx context.Context) (string, error) {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: sealedSecretsNamespace, Name: sealedSecretsName}}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: sealedSecretsName},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: sealedSecretsNamespace, Name: sealedSecretsName}},
	}
	for _, obj := range []client.Object{sa, binding} {
		if err := h.c.Create(ctx, obj); err != nil {
			return "", fmt.Errorf("creating %s: %w", obj.GetName(), err)
		}
	}
	token, err := h.kube.CoreV1().ServiceAccounts(sealedSecretsNamespace).CreateToken(ctx, sealedSecretsName,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To(int64(24 * 3600))}},
		metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("requesting the controller's token: %w", err)
	}
	ca := h.cfg.CAData
	if len(ca) == 0 {
		if ca, err = os.ReadFile(h.cfg.CAFile); err != nil {
			return "", err
		}
	}
	run := h.t.TempDir()
	saDir := filepath.Join(run, "secrets", "kubernetes.io", "serviceaccount")
	if err := os.MkdirAll(saDir, 0o755); err != nil {
		return "", err
	}
	for name, data := range map[string][]byte{"token": []byte(token.Status.Token), "ca.crt": ca, "namespace": []byte(sealedSecretsNamespace)} {
		if err := os.WriteFile(filepath.Join(saDir, name), data, 0o600); err != nil {
			return "", err
		}
	}
	return run, nil
}

// startSealedSecrets runs the controller in its own mount namespace with
// pod (from sealedSecretsPod) over /var/run, the apiserver as its
// in-cluster service, and its HTTP servers on loopback.
func (h *harness) startSealedSecrets(pod string) (*managerRun, error) {
	api, err := url.Parse(h.cfg.Host)
	if err != nil {
		return nil, err
	}
	// /var/run is a link to /run on most systems: a bind mount must name
	// the directory itself.
	varRun, err := filepath.EvalSymlinks("/var/run")
	if err != nil {
		return nil, err
	}
	ports := make([]int, 2)
	for i := range ports {
		if ports[i], err = localcluster.FreePort(); err != nil {
			return nil, err
		}
	}
	args := append([]string{"--mount", "--propagation", "private", "sh", "-c", `mount --bind "$1" "$2" && shift 2 && exec "$@"`,
		"sh", pod, varRun, filepath.Join(sealedSecretsDir(), "controller"),
		fmt.Sprintf("--listen-addr=127.0.0.1:%d", ports[0]), fmt.Sprintf("--listen-metrics-addr=127.0.0.1:%d", ports[1])},
		sealedSecretsFlags...)
	cmd := exec.Command("unshare", args...)
	// Its flags can come from SEALED_SECRETS_* variables too; ours are explicit.
	cmd.Env = append(os.Environ(), "KUBERNETES_SERVICE_HOST="+api.Hostname(), "KUBERNETES_SERVICE_PORT="+api.Port(),
		"POD_NAMESPACE="+sealedSecretsNamespace)
	m := &managerRun{metricsURL: fmt.Sprintf("http://127.0.0.1:%d/metrics", ports[1])}
	// unshare and sh exec into the controller: the process measured is it.
	h.startProcess(m, cmd)
	return m, nil
}

// waitSealingCert waits for the key Secret the controller makes at its first
// start and writes its certificate to a file for kubeseal --cert.
func (h *harness) waitSealingCert(ctx context.Context, c *managerRun) (string, error) {
	deadline := time.Now().Add(2 * time.Minute) // a 4096-bit key, on a busy machine
	for time.Now().Before(deadline) {
		keys, err := h.kube.CoreV1().Secrets(sealedSecretsNamespace).List(ctx, metav1.ListOptions{LabelSelector: sealedSecretsKeyLabel + "=active"})
		if err == nil && len(keys.Items) > 0 && len(keys.Items[0].Data[corev1.TLSCertKey]) > 0 {
			cert := filepath.Join(h.t.TempDir(), "cert.pem")
			return cert, os.WriteFile(cert, keys.Items[0].Data[corev1.TLSCertKey], 0o600)
		}
		select {
		case <-c.exited:
			return "", fmt.Errorf("the Sealed Secrets controller exited before making its key: %v", c.cmd.ProcessState)
		case <-time.After(250 * time.Millisecond):
		}
	}
	return "", errors.New("the Sealed Secrets controller made no key in 2 minutes")
}

// kubeseal seals secret-i with value-i in the profile namespaces, as our
// harness seals its LightningSecrets, through kubeseal offline (--cert).
func (h *harness) kubeseal(ctx context.Context, cert string, n int) ([]*unstructured.Unstructured, error) {
	out := make([]*unstructured.Unstructured, n)
	err := runParallelOn(16, n, func(i int) error {
		secret, err := json.Marshal(&corev1.Secret{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
			ObjectMeta: metav1.ObjectMeta{Namespace: fmt.Sprintf("profile-%d", i%10), Name: fmt.Sprintf("secret-%d", i)},
			// Without a type the controller writes each Secret twice: its
			// template's "" differs from the Opaque the apiserver stored.
			Type: corev1.SecretTypeOpaque,
			Data: map[string][]byte{"value": []byte(fmt.Sprintf("value-%d", i))},
		})
		if err != nil {
			return err
		}
		// --kubeconfig only keeps it from looking for one; it reads no cluster.
		cmd := exec.CommandContext(ctx, filepath.Join(sealedSecretsDir(), "kubeseal"),
			"--kubeconfig", h.kubeconfig, "--cert", cert, "--format", "json")
		cmd.Stdin = strings.NewReader(string(secret))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		raw, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("kubeseal secret-%d: %v: %s", i, err, stderr.String())
		}
		out[i] = &unstructured.Unstructured{}
		return out[i].UnmarshalJSON(raw)
	})
	return out, err
}

// secretProgress follows, through a watch, the Secrets owned by one kind:
// when the first and the want-th appeared.
type secretProgress struct {
	mu          sync.Mutex
	want        int
	seen        map[string]bool
	first, last time.Time
	done        chan struct{}
}

// watchOwnedSecrets starts following the Secrets ownerKind makes, and
// returns once the watch has listed what exists.
func watchOwnedSecrets(ctx context.Context, kube kubernetes.Interface, ownerKind string, want int) (*secretProgress, error) {
	p := &secretProgress{want: want, seen: map[string]bool{}, done: make(chan struct{})}
	factory := informers.NewSharedInformerFactory(kube, 0)
	inf := factory.Core().V1().Secrets().Informer()
	// Only names and owners are read: the values are not kept.
	if err := inf.SetTransform(func(obj any) (any, error) {
		if s, ok := obj.(*corev1.Secret); ok {
			s.Data, s.StringData, s.ManagedFields = nil, nil, nil
		}
		return obj, nil
	}); err != nil {
		return nil, err
	}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{AddFunc: func(obj any) {
		if s, ok := obj.(*corev1.Secret); ok {
			for _, ref := range s.OwnerReferences {
				if ref.Kind == ownerKind {
					p.observe(s.Namespace + "/" + s.Name)
				}
			}
		}
	}}); err != nil {
		return nil, err
	}
	factory.Start(ctx.Done())
	if !toolscache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		return nil, errors.New("the Secret watch did not sync")
	}
	return p, nil
}

func (p *secretProgress) observe(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seen[key] {
		return
	}
	p.seen[key] = true
	now := time.Now()
	if len(p.seen) == 1 {
		p.first = now
	}
	if len(p.seen) == p.want {
		p.last = now
		close(p.done)
	}
}

// wait blocks until the want-th Secret, the controller's exit, or timeout.
func (p *secretProgress) wait(ctx context.Context, c *managerRun, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	select {
	case <-p.done:
		return nil
	case <-c.exited:
		return fmt.Errorf("the Sealed Secrets controller exited (%v) after %d of %d Secrets", c.cmd.ProcessState, p.count(), p.want)
	case <-ctx.Done():
		return fmt.Errorf("after %s, %d of %d Secrets; the controller's metrics: %s", timeout, p.count(), p.want, sealedSecretsCounts(ctx, c.metricsURL))
	}
}

func (p *secretProgress) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.seen)
}

// times are the first and the last Secret since start.
func (p *secretProgress) times(start time.Time) (first, last time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.first.Sub(start), p.last.Sub(start)
}

// sealedSecretsState is what the controller's metrics say of its work:
// SealedSecrets taken from its queue, failed, and with a Synced status written.
type sealedSecretsState struct{ unseals, errors, synced float64 }

func scrapeSealedSecrets(ctx context.Context, url string) (sealedSecretsState, error) {
	f, err := fetchMetrics(ctx, url)
	if err != nil {
		return sealedSecretsState{}, err
	}
	return sealedSecretsState{
		unseals: sum(f["sealed_secrets_controller_unseal_requests_total"], nil),
		errors:  sum(f["sealed_secrets_controller_unseal_errors_total"], nil),
		synced:  sum(f["sealed_secrets_controller_condition_info"], map[string]string{"condition": "Synced"}),
	}, nil
}

func sealedSecretsCounts(ctx context.Context, url string) string {
	s, err := scrapeSealedSecrets(context.WithoutCancel(ctx), url)
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%.0f unseals, %.0f errors, %.0f Synced", s.unseals, s.errors, s.synced)
}

// waitSealedSecretsIdle waits until the controller has written n Synced
// statuses and its counts have not moved for a second.
func waitSealedSecretsIdle(ctx context.Context, url string, n int) error {
	deadline := time.Now().Add(10 * time.Minute)
	var last sealedSecretsState
	still := 0
	for time.Now().Before(deadline) {
		s, err := scrapeSealedSecrets(ctx, url)
		if err == nil && s.synced >= float64(n) && s == last {
			still++
		} else {
			still = 0
		}
		if still >= 4 {
			return nil
		}
		last = s
		time.Sleep(250 * time.Millisecond)
	}
	return fmt.Errorf("the Sealed Secrets controller did not go idle in 10 minutes (last: %+v)", last)
}

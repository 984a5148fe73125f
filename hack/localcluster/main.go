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

// Command localcluster runs the local control plane of `make demo` (see
// test/localcluster) and the small helpers the demo script needs.
//
//	localcluster up        --dir .demo --bin-dir bin/k8s [--node --images bin/images]
//	                       start, or reuse; prints the kubeconfig path. With --node, also a
//	                       node, when this machine can run one (one line says why not).
//	localcluster images    --out bin/images                build the node's images (OCI tarballs)
//	localcluster down      --dir .demo                     stop every process; the data stays
//	localcluster operator  --dir .demo --manager bin/manager --webhook-port 9443 --probe-port 18081 [--metrics-port 18443]
//	                       start the operator as its ServiceAccount (process name "manager")
//	localcluster stop      --dir .demo --name manager
//	localcluster running   --dir .demo --name manager      exit 0 when it runs
//	localcluster etcd-check --dir .demo --namespace NS --secret NAME
//	                       (reads the value that must be absent from stdin)
//	localcluster wait-http --timeout 2m URL                poll until 200 OK
//	localcluster kstatus   --timeout 3m -n NS KIND/NAME    wait until kstatus (as Flux reads it) says Current
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"

	"github.com/lightning-operator/lightning-operator/test/images"
	"github.com/lightning-operator/lightning-operator/test/localcluster"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "up":
		err = up(ctx, args)
	case "images":
		err = buildImages(ctx, args)
	case "down":
		err = down(args)
	case "operator":
		err = operator(args)
	case "stop":
		err = stopOne(args)
	case "running":
		err = running(args)
	case "etcd-check":
		err = etcdCheck(ctx, args)
	case "wait-http":
		err = waitHTTP(ctx, args)
	case "kstatus":
		err = waitCurrent(ctx, args)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: localcluster up|images|down|operator|stop|running|etcd-check|wait-http|kstatus [flags]")
	os.Exit(2)
}

func newFlags(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	dir := fs.String("dir", ".demo", "Directory of the cluster's state.")
	return fs, dir
}

func up(ctx context.Context, args []string) error {
	fs, dir := newFlags("up")
	binDir := fs.String("bin-dir", "bin/k8s", "Directory holding etcd, kube-apiserver and kube-controller-manager.")
	timeout := fs.Duration("timeout", 5*time.Minute, "How long the start may take.")
	withNode := fs.Bool("node", false, "Also start a node (containerd, kubelet, kube-scheduler) when this machine can run one.")
	imagesDir := fs.String("images", "bin/images", "With --node: the directory of the images (*.tar) to import.")
	_ = fs.Parse(args)
	var tarballs []string
	if *withNode {
		tarballs, _ = filepath.Glob(filepath.Join(*imagesDir, "*.tar"))
	}
	c, err := localcluster.Start(ctx, *dir, localcluster.Options{
		BinDir: *binDir, Detach: true, Timeout: *timeout, Progress: os.Stderr,
		Node: *withNode, Images: tarballs,
	})
	if err != nil {
		return err
	}
	fmt.Println(c.Kubeconfig)
	return nil
}

func buildImages(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("images", flag.ExitOnError)
	out := fs.String("out", "bin/images", "Directory to write the image tarballs to.")
	_ = fs.Parse(args)
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	tarballs, err := images.Build(ctx, root, *out)
	if err != nil {
		return err
	}
	for _, t := range tarballs {
		fmt.Fprintln(os.Stderr, "Wrote", t)
	}
	return nil
}

func down(args []string) error {
	fs, dir := newFlags("down")
	_ = fs.Parse(args)
	c, err := localcluster.Attach(*dir)
	if err != nil {
		return err
	}
	c.SetProgress(os.Stderr)
	if err := c.Stop(); err != nil {
		return err
	}
	if left := localcluster.NodeLeftovers(c.Dir); len(left) > 0 {
		return fmt.Errorf("the node left on the machine: %s", strings.Join(left, "; "))
	}
	fmt.Fprintln(os.Stderr, "Checked: no mounts, cgroups, bridge, nat chain, shims, log links or /run state left behind.")
	return nil
}

// operator starts the manager binary detached, as the operator's
// ServiceAccount, with the flags test/e2e uses too.
func operator(args []string) error {
	fs, dir := newFlags("operator")
	manager := fs.String("manager", "bin/manager", "The manager binary.")
	webhookPort := fs.Int("webhook-port", 9443, "Port of the webhook server.")
	probePort := fs.Int("probe-port", 18081, "Port of /healthz and /readyz.")
	metricsPort := fs.Int("metrics-port", 0, "Port of the metrics (HTTPS, a token allowed to get /metrics); 0 turns them off.")
	_ = fs.Parse(args)
	c, err := localcluster.Attach(*dir)
	if err != nil {
		return err
	}
	op := localcluster.Operator{
		Kubeconfig:  filepath.Join(c.Dir, "operator.kubeconfig"),
		WebhookPort: *webhookPort,
		ProbePort:   *probePort,
		MetricsPort: *metricsPort,
		CertDir:     filepath.Join(c.Dir, "webhook-certs"),
		PresetsFile: filepath.Join(c.Dir, "compute-presets.yaml"),
	}
	if err := c.WriteOperatorKubeconfig(op.Kubeconfig); err != nil {
		return err
	}
	if err := localcluster.WriteLocalPresets(op.PresetsFile); err != nil {
		return err
	}
	c.SetProgress(os.Stderr)
	c.SetDetach(true)
	_, err = c.Spawn("manager", *manager, op.Args(), nil)
	return err
}

func stopOne(args []string) error {
	fs, dir := newFlags("stop")
	name := fs.String("name", "", "Process name.")
	_ = fs.Parse(args)
	c, err := localcluster.Attach(*dir)
	if err != nil {
		return err
	}
	c.SetProgress(os.Stderr)
	return c.StopProcess(*name)
}

func running(args []string) error {
	fs, dir := newFlags("running")
	name := fs.String("name", "", "Process name.")
	_ = fs.Parse(args)
	c, err := localcluster.Attach(*dir)
	if err != nil {
		return err
	}
	if !c.Running(*name) {
		os.Exit(1)
	}
	return nil
}

// etcdCheck proves a Secret is encrypted at rest and that the value read
// from stdin is not in what etcd stores. It prints neither.
func etcdCheck(ctx context.Context, args []string) error {
	fs, dir := newFlags("etcd-check")
	ns := fs.String("namespace", "default", "The Secret's namespace.")
	name := fs.String("secret", "", "The Secret's name.")
	_ = fs.Parse(args)
	if *name == "" {
		return errors.New("--secret is required")
	}
	probe, err := io.ReadAll(os.Stdin)
	if err != nil {
		return err
	}
	if len(probe) == 0 {
		return errors.New("pass the value that must be absent on stdin")
	}
	c, err := localcluster.Attach(*dir)
	if err != nil {
		return err
	}
	r, err := c.InspectAtRest(ctx, localcluster.SecretKey(*ns, *name), probe)
	if err != nil {
		return err
	}
	fmt.Printf("etcd key:        %s\n", r.Key)
	fmt.Printf("stored bytes:    %d\n", r.Size)
	if r.Encrypted {
		fmt.Printf("starts with:     %s  (encrypted at rest)\n", r.Prefix)
	} else {
		fmt.Printf("starts with:     not %s: NOT encrypted at rest\n", localcluster.EncryptedPrefix)
	}
	if r.Contains {
		fmt.Println("secret value:    FOUND in the stored bytes")
	} else {
		fmt.Println("secret value:    not found in the stored bytes")
	}
	if !r.Encrypted || r.Contains {
		return errors.New("the Secret is not protected at rest")
	}
	return nil
}

func waitHTTP(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("wait-http", flag.ExitOnError)
	timeout := fs.Duration("timeout", 2*time.Minute, "How long to wait.")
	_ = fs.Parse(args)
	if fs.NArg() != 1 {
		return errors.New("usage: wait-http [--timeout D] URL")
	}
	url := fs.Arg(0)
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	for {
		err := localcluster.CheckHTTP(ctx, url)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %v", url, *timeout, err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// waitCurrent polls an object until kstatus computes Current, printing
// each status it passes through; it fails on Failed or at the timeout.
func waitCurrent(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("kstatus", flag.ExitOnError)
	timeout := fs.Duration("timeout", 3*time.Minute, "How long to wait.")
	ns := fs.String("n", "default", "The object's namespace.")
	_ = fs.Parse(args)
	kind, name, ok := strings.Cut(fs.Arg(0), "/")
	if fs.NArg() != 1 || !ok || name == "" {
		return errors.New("usage: kstatus [--timeout D] [-n NS] KIND/NAME")
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(clientcmd.NewDefaultClientConfigLoadingRules(), nil).ClientConfig()
	if err != nil {
		return err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	gvr, err := mapper.ResourceFor(schema.GroupVersionResource{Resource: kind})
	if err != nil {
		return fmt.Errorf("unknown kind %q: %w", kind, err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	last := ""
	for {
		u, err := dyn.Resource(gvr).Namespace(*ns).Get(ctx, name, metav1.GetOptions{})
		line := ""
		var res *kstatus.Result
		if err == nil {
			if res, err = kstatus.Compute(u); err == nil {
				line = fmt.Sprintf("%s/%s: %s (%s)", kind, name, res.Status, res.Message)
			}
		}
		if err != nil {
			line = fmt.Sprintf("%s/%s: %v", kind, name, err)
		}
		if line != last {
			fmt.Println(line)
			last = line
		}
		switch {
		case res != nil && res.Status == kstatus.CurrentStatus:
			return nil
		case res != nil && res.Status == kstatus.FailedStatus:
			return fmt.Errorf("%s/%s failed: %s", kind, name, res.Message)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s/%s not Current after %s", kind, name, *timeout)
		case <-time.After(time.Second):
		}
	}
}

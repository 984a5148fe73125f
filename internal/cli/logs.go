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

package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/app"
)

// flowAlias is Lightning's name for the root Flow in `show logs APP flow`.
const flowAlias = "flow"

// maxLogLine bounds one log line in memory; a longer one is cut into lines.
const maxLogLine = 1 << 20

// LogOptions are the options of show logs.
type LogOptions struct {
	// Follow streams new lines until the pods end or ctx is done.
	Follow bool
	// TailLines shows only the last lines of each component; nil shows all.
	TailLines *int64
	// Timestamps prefixes each line with the kubelet's RFC 3339 timestamp.
	Timestamps bool
}

// LogStreamer opens the log of one container of a pod. ClientsetLogs is
// the real one; tests give a fake.
type LogStreamer interface {
	Stream(ctx context.Context, namespace, pod, container string, opts LogOptions) (io.ReadCloser, error)
}

// ClientsetLogs reads logs with client-go: CoreV1().Pods().GetLogs().Stream.
func ClientsetLogs(cs kubernetes.Interface) LogStreamer { return clientsetLogs{cs} }

type clientsetLogs struct{ cs kubernetes.Interface }

func (l clientsetLogs) Stream(ctx context.Context, namespace, pod, container string, opts LogOptions) (io.ReadCloser, error) {
	return l.cs.CoreV1().Pods(namespace).GetLogs(pod, &corev1.PodLogOptions{
		Container:  container,
		Follow:     opts.Follow,
		TailLines:  opts.TailLines,
		Timestamps: opts.Timestamps,
	}).Stream(ctx)
}

// LogTarget is one component of an app and the pod that shows its logs.
type LogTarget struct {
	// Component is the Lightning component path: root, root.train, ...
	Component string
	// Pod and Container are where its logs are read; Pod is "" when no pod
	// of the component is Running.
	Pod, Container string
	// Note says, in one line, why there is no Pod.
	Note string
}

// LogsRequest is what ShowLogs shows.
type LogsRequest struct {
	Namespace, App string
	// Components are paths (or "flow" for root); none means every component
	// of the app: the Flow, its declared Works, and Works launched at run
	// time that have a pod.
	Components []string
	LogOptions
}

// ShowLogs writes the logs of an app's components to out, each line
// prefixed "[<component path>] ". apps reads the LightningApp; cs lists its
// pods and streams their logs. A component without a Running pod gets one
// line saying so on errOut.
func ShowLogs(ctx context.Context, apps client.Client, cs kubernetes.Interface, out, errOut io.Writer, req LogsRequest) error {
	return showLogs(ctx, apps, cs, ClientsetLogs(cs), out, errOut, req)
}

func showLogs(ctx context.Context, apps client.Client, cs kubernetes.Interface, src LogStreamer, out, errOut io.Writer, req LogsRequest) error {
	a, err := getApp(ctx, apps, req.Namespace, req.App)
	if err != nil {
		return err
	}
	targets, err := SelectPods(ctx, cs, a, req.Components)
	if err != nil {
		return err
	}
	return StreamLogs(ctx, out, errOut, src, a.Namespace, targets, req.LogOptions)
}

// SelectPods picks, for each component of app a (the given paths, or all),
// the pod to read its logs from: one Running pod, among the pods labelled
// lightning.ai/app=<app> and lightning.ai/component=app.ComponentLabel(path).
// Of several (a rollout), it is a pod not being deleted, Ready, and newest.
func SelectPods(ctx context.Context, cs kubernetes.Interface, a *lightningv1alpha1.LightningApp, components []string) ([]LogTarget, error) {
	sel := labels.SelectorFromSet(labels.Set{lightningv1alpha1.LabelApp: a.Name}).String()
	list, err := cs.CoreV1().Pods(a.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, apiError(err)
	}
	byLabel := map[string][]corev1.Pod{}
	for _, p := range list.Items {
		if l, ok := p.Labels[lightningv1alpha1.LabelComponent]; ok {
			byLabel[l] = append(byLabel[l], p)
		}
	}

	declared := []string{}
	for _, c := range app.Components(a) {
		declared = append(declared, c.Path)
	}
	// Works the Flow launched at run time: their label is their path.
	var launched []string
	for l := range byLabel {
		if path, isDeclared, ok := app.PodComponent(a, l); ok && !isDeclared {
			launched = append(launched, path)
		}
	}
	sort.Strings(launched)
	known := append(slices.Clone(declared), launched...)

	paths := known
	if len(components) > 0 {
		paths = nil
		for _, c := range components {
			if c == flowAlias {
				c = app.RootComponent
			}
			if !slices.Contains(known, c) {
				return nil, fmt.Errorf("Component '%s' does not exist in app '%s'; its components are: %s", show(c), a.Name, strings.Join(known, ", "))
			}
			if !slices.Contains(paths, c) {
				paths = append(paths, c)
			}
		}
	}

	targets := make([]LogTarget, 0, len(paths))
	for _, path := range paths {
		t := LogTarget{Component: path}
		pods := byLabel[app.ComponentLabel(path)]
		if pod := pickPod(pods); pod != nil {
			t.Pod, t.Container = pod.Name, logContainer(pod)
		} else {
			t.Note = noPodNote(a, path, pods)
		}
		targets = append(targets, t)
	}
	return targets, nil
}

// pickPod is the Running pod to read: not being deleted, Ready, newest,
// in that order of preference; nil if none is Running.
func pickPod(pods []corev1.Pod) *corev1.Pod {
	var best *corev1.Pod
	score := func(p *corev1.Pod) (int, int64, string) {
		s := 0
		if p.DeletionTimestamp == nil {
			s += 2
		}
		if podReady(p) {
			s++
		}
		return s, p.CreationTimestamp.Unix(), p.Name
	}
	for i := range pods {
		p := &pods[i]
		if p.Status.Phase != corev1.PodRunning {
			continue
		}
		if best == nil {
			best = p
			continue
		}
		s1, t1, n1 := score(p)
		s2, t2, n2 := score(best)
		if s1 > s2 || s1 == s2 && (t1 > t2 || t1 == t2 && n1 > n2) {
			best = p
		}
	}
	return best
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// logContainer is the app's container, else the pod's first (a Work
// launched at run time names its own).
func logContainer(p *corev1.Pod) string {
	for _, c := range p.Spec.Containers {
		if c.Name == app.ContainerName {
			return c.Name
		}
	}
	if len(p.Spec.Containers) > 0 {
		return p.Spec.Containers[0].Name
	}
	return ""
}

// noPodNote says why a component has no Running pod.
func noPodNote(a *lightningv1alpha1.LightningApp, path string, pods []corev1.Pod) string {
	if a.Spec.Stopped && len(pods) == 0 {
		return fmt.Sprintf("no pod: the app is stopped (start it with 'kubectl lightning start app %s')", a.Name)
	}
	note := "no running pod yet"
	if len(pods) > 0 {
		newest := &pods[0]
		for i := range pods {
			if pods[i].CreationTimestamp.After(newest.CreationTimestamp.Time) {
				newest = &pods[i]
			}
		}
		note += fmt.Sprintf(": pod %s is %s", newest.Name, orUnknown(string(newest.Status.Phase)))
		if r := waitingReason(newest); r != "" {
			note += " (" + r + ")"
		}
		return note
	}
	for _, c := range a.Status.Components {
		if c.Name == path && c.Reason != "" {
			note += ": " + c.Reason
			if c.Message != "" {
				note += ": " + show(c.Message)
			}
			return note
		}
	}
	return note
}

func orUnknown(s string) string {
	if s == "" {
		return "Unknown"
	}
	return s
}

// waitingReason is why a pod's first waiting container waits.
func waitingReason(p *corev1.Pod) string {
	for _, s := range slices.Concat(p.Status.InitContainerStatuses, p.Status.ContainerStatuses) {
		if s.State.Waiting != nil && s.State.Waiting.Reason != "" {
			return s.State.Waiting.Reason
		}
	}
	return ""
}

// StreamLogs writes the logs of targets to out, each line prefixed with
// "[<component path>] ". Targets without a pod get their note on errOut.
// With opts.Follow and several pods the logs are read concurrently, each
// line written whole; otherwise one component after the other. A component
// whose log cannot be read gets a line on errOut; the error is returned when
// no log could be read at all. With Follow, ctx ending is a normal end.
func StreamLogs(ctx context.Context, out, errOut io.Writer, src LogStreamer, namespace string, targets []LogTarget, opts LogOptions) error {
	w := &lineWriter{w: out}
	var withPod []LogTarget
	for _, t := range targets {
		if t.Pod == "" {
			w.line(errOut, t.Component, t.Note)
			continue
		}
		withPod = append(withPod, t)
	}
	if len(withPod) == 0 {
		return fmt.Errorf("no component has a running pod, so there are no logs to show")
	}

	read := func(t LogTarget) bool {
		s, err := src.Stream(ctx, namespace, t.Pod, t.Container, opts)
		if err == nil {
			err = copyLines(w, t.Component, s)
			s.Close()
		}
		switch {
		case err == nil:
			return true
		case ctx.Err() != nil:
			return false
		}
		w.line(errOut, t.Component, fmt.Sprintf("cannot read the logs of pod %s: %s", t.Pod, show(err.Error())))
		return false
	}
	okCount := 0
	if opts.Follow && len(withPod) > 1 {
		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, t := range withPod {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if read(t) {
					mu.Lock()
					okCount++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	} else {
		for _, t := range withPod {
			if ctx.Err() != nil {
				break
			}
			if read(t) {
				okCount++
			}
		}
	}
	switch {
	case ctx.Err() != nil && opts.Follow:
		return nil // Ctrl-C ends --follow
	case ctx.Err() != nil:
		return ctx.Err()
	case okCount == 0:
		return fmt.Errorf("no log could be read")
	}
	return nil
}

// lineWriter writes whole prefixed lines, one at a time.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) line(w io.Writer, component, text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(w, "[%s] %s\n", component, text)
}

func (l *lineWriter) write(b []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := l.w.Write(b)
	return err
}

// copyLines copies r to w line by line, each prefixed "[component] ". A
// last line without a newline gets one; a line longer than maxLogLine is
// cut into several.
func copyLines(w *lineWriter, component string, r io.Reader) error {
	prefix := "[" + component + "] "
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		full := len(chunk) > 0 && chunk[len(chunk)-1] == '\n'
		if full || len(line) >= maxLogLine || (err != nil && len(line) > 0 && !errors.Is(err, bufio.ErrBufferFull)) {
			out := make([]byte, 0, len(prefix)+len(line)+1)
			out = append(append(out, prefix...), line...)
			if !full {
				out = append(out, '\n')
			}
			if werr := w.write(out); werr != nil {
				return werr
			}
			line = line[:0]
		}
		switch {
		case err == nil, errors.Is(err, bufio.ErrBufferFull):
		case errors.Is(err, io.EOF):
			return nil
		default:
			return err
		}
	}
}

type showLogsOptions struct {
	*env
	LogOptions
	tail int64
}

func newShowCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Show the logs of a Lightning App",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(newShowLogsCommand(e))
	return cmd
}

func newShowLogsCommand(e *env) *cobra.Command {
	o := &showLogsOptions{env: e}
	cmd := &cobra.Command{
		Use:   "logs APP [COMPONENT...] [--follow] [--tail N]",
		Short: "Show the logs of an app's Flow and Works, each line prefixed with its component",
		Long: `Show the logs of an app's components, as 'lightning show logs' does: by default the
Flow (root), every declared Work and every Work the Flow launched that has a pod; or
just the COMPONENTs named (component paths such as root.train; 'flow' is root).

Each line is prefixed with its component path: "[root.train] ...". The logs are read
from one Running pod per component (the pods labelled lightning.ai/app=APP and
lightning.ai/component=PATH). A component without one gets a line saying so on
stderr. With --follow the logs of every component are streamed together until the
pods end or Ctrl-C.`,
		Example: `  # The logs of every component
  kubectl lightning show logs my-app -n alice

  # The last 20 lines of the Flow and one Work, then follow them
  kubectl lightning show logs my-app flow root.train --tail 20 -f`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("the APP is required: %s", cmd.UseLine())
			}
			return nil
		},
		ValidArgsFunction: completeLogsArgs(e),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, args[0], args[1:])
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.Follow, "follow", "f", false, "Wait for new logs and stream them; Ctrl-C ends.")
	f.Int64Var(&o.tail, "tail", -1, "Show only the last N lines of each component; -1 shows all.")
	f.BoolVar(&o.Timestamps, "timestamps", false, "Start each line, after its prefix, with its timestamp.")
	return cmd
}

func (o *showLogsOptions) run(cmd *cobra.Command, name string, components []string) error {
	if o.tail < -1 {
		return fmt.Errorf("--tail must be -1 (every line) or a number of lines, not %d", o.tail)
	}
	if o.tail >= 0 {
		o.TailLines = &o.tail
	}
	ns, err := o.appArg(name)
	if err != nil {
		return err
	}
	c, err := o.client()
	if err != nil {
		return err
	}
	cs, err := o.clientset()
	if err != nil {
		return err
	}
	src := o.Logs
	if src == nil {
		src = ClientsetLogs(cs)
	}
	return showLogs(cmd.Context(), c, cs, src, o.out(), o.errOut(), LogsRequest{
		Namespace: ns, App: name, Components: components, LogOptions: o.LogOptions,
	})
}

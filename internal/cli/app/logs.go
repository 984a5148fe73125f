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

package app

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	operatorapp "github.com/lightning-operator/lightning-operator/internal/app"
	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
)

// flowAlias is Lightning's name for the root Flow in `show logs APP flow`.
const flowAlias = "flow"

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
	byLabel, err := podsByComponent(ctx, cs, a)
	if err != nil {
		return nil, err
	}
	paths, err := componentPaths(a, byLabel, components)
	if err != nil {
		return nil, err
	}
	targets := make([]LogTarget, 0, len(paths))
	for _, path := range paths {
		t := LogTarget{Component: path}
		pods := byLabel[operatorapp.ComponentLabel(path)]
		if pod := pickPod(pods); pod != nil {
			t.Pod, t.Container = pod.Name, logContainer(pod)
		} else {
			t.Note = noPodNote(a, path, pods)
		}
		targets = append(targets, t)
	}
	return targets, nil
}

// podsByComponent lists a's pods by their component label.
func podsByComponent(ctx context.Context, cs kubernetes.Interface, a *lightningv1alpha1.LightningApp) (map[string][]corev1.Pod, error) {
	sel := labels.SelectorFromSet(labels.Set{lightningv1alpha1.LabelApp: a.Name}).String()
	list, err := cs.CoreV1().Pods(a.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, cmdutil.APIError(err)
	}
	byLabel := map[string][]corev1.Pod{}
	for _, p := range list.Items {
		if l, ok := p.Labels[lightningv1alpha1.LabelComponent]; ok {
			byLabel[l] = append(byLabel[l], p)
		}
	}
	return byLabel, nil
}

// componentPaths are the components asked for (flow is root), each once;
// none asks for every known one: the declared ones, then the Works the
// Flow launched at run time (their label is their path).
func componentPaths(a *lightningv1alpha1.LightningApp, byLabel map[string][]corev1.Pod, components []string) ([]string, error) {
	known := []string{}
	for _, c := range operatorapp.Components(a) {
		known = append(known, c.Path)
	}
	var launched []string
	for l := range byLabel {
		if path, isDeclared, ok := operatorapp.PodComponent(a, l); ok && !isDeclared {
			launched = append(launched, path)
		}
	}
	sort.Strings(launched)
	known = append(known, launched...)
	if len(components) == 0 {
		return known, nil
	}
	var paths []string
	for _, c := range components {
		if c == flowAlias {
			c = operatorapp.RootComponent
		}
		if !slices.Contains(known, c) {
			return nil, fmt.Errorf("Component '%s' does not exist in app '%s'; its components are: %s", cmdutil.Show(c), a.Name, strings.Join(known, ", "))
		}
		if !slices.Contains(paths, c) {
			paths = append(paths, c)
		}
	}
	return paths, nil
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
		if c.Name == operatorapp.ContainerName {
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
				note += ": " + cmdutil.Show(c.Message)
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

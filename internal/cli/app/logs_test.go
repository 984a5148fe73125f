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

package app_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lightning-operator/lightning-operator/internal/cli/app"
	"github.com/lightning-operator/lightning-operator/internal/testenv"
)

// fakeLogs serves each pod's log from a string, or from a reader the test
// writes to; it records what was asked.
type fakeLogs struct {
	mu      sync.Mutex
	logs    map[string]string
	readers map[string]io.ReadCloser
	fail    map[string]error
	asked   []string
	opts    []app.LogOptions
}

func (f *fakeLogs) Stream(_ context.Context, namespace, pod, container string, opts app.LogOptions) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, namespace+"/"+pod+"/"+container)
	f.opts = append(f.opts, opts)
	if err := f.fail[pod]; err != nil {
		return nil, err
	}
	if r, ok := f.readers[pod]; ok {
		return r, nil
	}
	return io.NopCloser(strings.NewReader(f.logs[pod])), nil
}

func target(component, pod string) app.LogTarget {
	return app.LogTarget{Component: component, Pod: pod, Container: "component"}
}

func TestStreamLogs(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	tests := []struct {
		name       string
		logs       map[string]string
		fail       map[string]error
		targets    []app.LogTarget
		opts       app.LogOptions
		wantOut    string
		wantErrOut string
		wantErr    string
	}{
		{
			name:    "one component after the other, each line prefixed",
			logs:    map[string]string{"p-root": "starting\nready\n", "p-train": "epoch 1\n\nepoch 2\n"},
			targets: []app.LogTarget{target("root", "p-root"), target("root.train", "p-train")},
			wantOut: "[root] starting\n[root] ready\n[root.train] epoch 1\n[root.train] \n[root.train] epoch 2\n",
		},
		{
			name:    "a last line without a newline gets one; CRLF is kept",
			logs:    map[string]string{"p": "a\r\nno newline"},
			targets: []app.LogTarget{target("root", "p")},
			wantOut: "[root] a\r\n[root] no newline\n",
		},
		{
			name:    "an empty log prints nothing",
			logs:    map[string]string{"p": ""},
			targets: []app.LogTarget{target("root", "p")},
			wantOut: "",
		},
		{
			name:    "a line longer than 1 MiB is cut",
			logs:    map[string]string{"p": long + "tail\n"},
			targets: []app.LogTarget{target("root", "p")},
			wantOut: "[root] " + long + "\n[root] tail\n",
		},
		{
			name: "a component without a pod gets one line on stderr",
			logs: map[string]string{"p": "hello\n"},
			targets: []app.LogTarget{
				target("root", "p"),
				{Component: "root.serve", Note: "no running pod yet: pod my-app-root-serve-x is Pending (ImagePullBackOff)"},
			},
			wantOut:    "[root] hello\n",
			wantErrOut: "[root.serve] no running pod yet: pod my-app-root-serve-x is Pending (ImagePullBackOff)\n",
		},
		{
			name:       "no component has a pod",
			targets:    []app.LogTarget{{Component: "root", Note: "no running pod yet"}},
			wantErrOut: "[root] no running pod yet\n",
			wantErr:    "no component has a running pod, so there are no logs to show",
		},
		{
			name:       "a log that cannot be read is named, and the others are shown",
			logs:       map[string]string{"p-root": "ok\n"},
			fail:       map[string]error{"p-train": errors.New("container \"component\" in pod \"p-train\" is waiting to start: ContainerCreating")},
			targets:    []app.LogTarget{target("root", "p-root"), target("root.train", "p-train")},
			wantOut:    "[root] ok\n",
			wantErrOut: "[root.train] cannot read the logs of pod p-train: container \"component\" in pod \"p-train\" is waiting to start: ContainerCreating\n",
		},
		{
			name:       "no log can be read",
			fail:       map[string]error{"p": errors.New("boom\nsecond line")},
			targets:    []app.LogTarget{target("root", "p")},
			wantErrOut: "[root] cannot read the logs of pod p: boom\\nsecond line\n",
			wantErr:    "no log could be read",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := &fakeLogs{logs: tc.logs, fail: tc.fail}
			var out, errOut bytes.Buffer
			err := app.StreamLogs(context.Background(), &out, &errOut, src, "alice", tc.targets, tc.opts)
			if got := errString(err); got != tc.wantErr {
				t.Errorf("err = %q, want %q", got, tc.wantErr)
			}
			if diff := cmp.Diff(tc.wantOut, out.String()); diff != "" {
				t.Errorf("stdout (-want +got):\n%.2000s", diff)
			}
			if diff := cmp.Diff(tc.wantErrOut, errOut.String()); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestStreamLogsPassesOptions(t *testing.T) {
	tail := int64(20)
	opts := app.LogOptions{TailLines: &tail, Timestamps: true}
	src := &fakeLogs{logs: map[string]string{}}
	targets := []app.LogTarget{target("root", "p-root"), {Component: "root.w", Pod: "p-w", Container: "worker"}}
	if err := app.StreamLogs(context.Background(), io.Discard, io.Discard, src, "alice", targets, opts); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"alice/p-root/component", "alice/p-w/worker"}, src.asked); diff != "" {
		t.Errorf("streams opened (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]app.LogOptions{opts, opts}, src.opts); diff != "" {
		t.Errorf("options (-want +got):\n%s", diff)
	}
}

// TestStreamLogsFollowsConcurrently: with --follow, a component's lines show
// while another's stream is still open, and lines are never mixed, even
// when a line reaches the stream in pieces.
func TestStreamLogsFollowsConcurrently(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rRoot, wRoot := io.Pipe()
	rTrain, wTrain := io.Pipe()
	src := &fakeLogs{readers: map[string]io.ReadCloser{"p-root": rRoot, "p-train": rTrain}}
	out := &testenv.SyncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- app.StreamLogs(ctx, out, io.Discard, src, "alice",
			[]app.LogTarget{target("root", "p-root"), target("root.train", "p-train")}, app.LogOptions{Follow: true})
	}()
	waitFor := func(s string) {
		t.Helper()
		for !strings.Contains(out.String(), s) {
			if ctx.Err() != nil {
				t.Fatalf("timed out waiting for %q; output so far: %q", s, out.String())
			}
			time.Sleep(time.Millisecond)
		}
	}
	// A pipe's write waits for its reader: a stream nobody reads fails the
	// test instead of hanging it.
	write := func(w io.Writer, s string) {
		t.Helper()
		errc := make(chan error, 1)
		go func() {
			_, err := io.WriteString(w, s)
			errc <- err
		}()
		select {
		case err := <-errc:
			if err != nil {
				t.Fatal(err)
			}
		case <-ctx.Done():
			t.Fatalf("timed out writing %q: nobody reads its stream; output so far: %q", s, out.String())
		}
	}
	write(wRoot, "flow 1\n")
	waitFor("[root] flow 1\n")
	write(wTrain, "train 1\n") // the root stream is still open
	waitFor("[root.train] train 1\n")
	write(wRoot, "flow 2 in ")
	write(wTrain, "train 2\n")
	waitFor("[root.train] train 2\n")
	write(wRoot, "two pieces\n")
	waitFor("[root] flow 2 in two pieces\n")
	wTrain.Close()
	write(wRoot, "flow 3\n")
	wRoot.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := "[root] flow 1\n[root.train] train 1\n[root.train] train 2\n[root] flow 2 in two pieces\n[root] flow 3\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
}

// TestStreamLogsFollowEndsOnCancel: Ctrl-C ends --follow without an error.
func TestStreamLogsFollowEndsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	src := &fakeLogs{readers: map[string]io.ReadCloser{"p": r}}
	out := &testenv.SyncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- app.StreamLogs(ctx, out, io.Discard, src, "alice", []app.LogTarget{target("root", "p")}, app.LogOptions{Follow: true})
	}()
	if _, err := io.WriteString(w, "line\n"); err != nil {
		t.Fatal(err)
	}
	cancel()
	// A real stream ends when its request's context does; the pipe does not.
	w.CloseWithError(context.Canceled)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("err = %v, want nil", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("StreamLogs did not return after cancel")
	}
	if out.String() != "[root] line\n" {
		t.Errorf("stdout = %q", out.String())
	}
}

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
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
)

// maxLogLine bounds one log line in memory; a longer one is cut into lines.
const maxLogLine = 1 << 20

// StreamLogs writes the logs of targets to out, each line prefixed with
// "[<component path>] ". Targets without a pod get their note on errOut.
// With opts.Follow and several pods the logs are read concurrently, each
// line written whole; otherwise one component after the other. A component
// whose log cannot be read gets a line on errOut; the error is returned when
// no log could be read at all. With Follow, ctx ending is a normal end.
func StreamLogs(ctx context.Context, out, errOut io.Writer, src LogStreamer, namespace string, targets []LogTarget, opts LogOptions) error {
	r := &logReader{src: src, namespace: namespace, opts: opts, w: &lineWriter{w: out}, errOut: errOut}
	var withPod []LogTarget
	for _, t := range targets {
		if t.Pod == "" {
			r.w.line(errOut, t.Component, t.Note)
			continue
		}
		withPod = append(withPod, t)
	}
	if len(withPod) == 0 {
		return fmt.Errorf("no component has a running pod, so there are no logs to show")
	}
	var read int
	if opts.Follow && len(withPod) > 1 {
		read = r.together(ctx, withPod)
	} else {
		read = r.inTurn(ctx, withPod)
	}
	switch {
	case ctx.Err() != nil && opts.Follow:
		return nil // Ctrl-C ends --follow
	case ctx.Err() != nil:
		return ctx.Err()
	case read == 0:
		return fmt.Errorf("no log could be read")
	}
	return nil
}

// logReader copies the logs of pods to a lineWriter.
type logReader struct {
	src       LogStreamer
	namespace string
	opts      LogOptions
	w         *lineWriter
	errOut    io.Writer
}

// read copies t's log, and says on errOut why it cannot (unless ctx ended).
func (r *logReader) read(ctx context.Context, t LogTarget) bool {
	s, err := r.src.Stream(ctx, r.namespace, t.Pod, t.Container, r.opts)
	if err == nil {
		err = copyLines(r.w, t.Component, s)
		s.Close()
	}
	switch {
	case err == nil:
		return true
	case ctx.Err() != nil:
		return false
	}
	r.w.line(r.errOut, t.Component, fmt.Sprintf("cannot read the logs of pod %s: %s", t.Pod, cmdutil.Show(err.Error())))
	return false
}

// together reads every target's log at once; it returns how many were read.
func (r *logReader) together(ctx context.Context, targets []LogTarget) int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	read := 0
	for _, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r.read(ctx, t) {
				mu.Lock()
				read++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return read
}

// inTurn reads one target's log after the other, until ctx ends; it
// returns how many were read.
func (r *logReader) inTurn(ctx context.Context, targets []LogTarget) int {
	read := 0
	for _, t := range targets {
		if ctx.Err() != nil {
			break
		}
		if r.read(ctx, t) {
			read++
		}
	}
	return read
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

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

package localcluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is one process of the cluster. Its pid file, pids/<name>.pid, holds
// the pid and the binary's path, so a later command (demo-down, a second
// demo) finds it and does not mistake a reused pid for it.
type proc struct {
	name string
	pid  int
	path string
	// done is closed when a child of this process exits; nil for a process
	// found through its pid file.
	done chan struct{}
}

func pidFile(dir, name string) string { return filepath.Join(dir, "pids", name+".pid") }

// spawn starts a process, logging to logs/<name>.log. A detached process
// has its own session and outlives the caller; an attached one is killed
// when the caller's thread dies (and by stop).
func spawn(dir, name, path string, args, env []string, detach bool) (*proc, error) {
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o700); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "pids"), 0o700); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "logs", name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	fmt.Fprintf(logFile, "\n=== %s %s %s\n", time.Now().Format(time.RFC3339), path, strings.Join(args, " "))

	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(abs, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), env...)
	if detach {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	} else {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	}
	closeInheritedFDs()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, pid: cmd.Process.Pid, path: abs}
	if err := writeFile(pidFile(dir, name), []byte(fmt.Sprintf("%d\n%s\n", p.pid, abs)), 0o600); err != nil {
		_ = cmd.Process.Kill()
		return nil, err
	}
	p.done = make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// findProc reads a pid file; it returns nil when there is none or its
// process is gone.
func findProc(dir, name string) *proc {
	data, err := os.ReadFile(pidFile(dir, name))
	if err != nil {
		return nil
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil || pid <= 0 {
		return nil
	}
	p := &proc{name: name, pid: pid}
	if len(lines) > 1 {
		p.path = strings.TrimSpace(lines[1])
	}
	if !p.alive() {
		return nil
	}
	return p
}

// alive says whether the process runs: it exists, is no zombie, and runs
// the binary its pid file names (a pid may have been reused).
func (p *proc) alive() bool {
	if p.done != nil {
		select {
		case <-p.done:
			return false
		default:
			return true
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
	if err != nil {
		return syscall.Kill(p.pid, 0) == nil // no /proc: trust the pid
	}
	if i := strings.LastIndexByte(string(stat), ')'); i > 0 && i+2 < len(stat) && (stat[i+2] == 'Z' || stat[i+2] == 'X') {
		return false
	}
	if p.path == "" {
		return true
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", p.pid))
	if err != nil {
		return true // not ours to inspect; the pid exists
	}
	exe = strings.TrimSuffix(exe, " (deleted)")
	if exe == p.path {
		return true
	}
	// The kernel names the binary by its real path; the pid file may hold
	// one through a symlink (a bin/ linked from another checkout).
	real, err := filepath.EvalSymlinks(p.path)
	return err == nil && exe == real
}

// stop sends SIGTERM, and SIGKILL after grace.
func (p *proc) stop(grace time.Duration) error {
	if !p.alive() {
		return nil
	}
	if err := syscall.Kill(p.pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stopping %s (pid %d): %w", p.name, p.pid, err)
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if !p.alive() {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = syscall.Kill(p.pid, syscall.SIGKILL)
	for i := 0; i < 50 && p.alive(); i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if p.alive() {
		return fmt.Errorf("%s (pid %d) did not exit after SIGKILL", p.name, p.pid)
	}
	return nil
}

// closeInheritedFDs marks every descriptor above stderr close-on-exec. Go
// opens its own files that way, but descriptors this process inherited
// (a shell's pipe) would pass on to the children; a detached child holding
// the write end of `make demo | tee log`'s pipe would keep tee waiting.
func closeInheritedFDs() {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}

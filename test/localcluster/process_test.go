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
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// A process started through a symlinked binary is still recognised as
// running: /proc/<pid>/exe names the real path.
func TestAliveThroughASymlink(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	real, err := filepath.EvalSymlinks(sleep)
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "linked-sleep")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(link, "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for _, path := range []string{link, real} {
		if p := (&proc{name: "sleep", pid: cmd.Process.Pid, path: path}); !p.alive() {
			t.Errorf("a process of %s is not alive by the path %s", real, path)
		}
	}
	if p := (&proc{name: "sleep", pid: cmd.Process.Pid, path: "/bin/another-binary"}); p.alive() {
		t.Error("a process of another binary counts as alive: a reused pid would be taken for ours")
	}
}

func TestStillStarting(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{errors.New(`rpc error: code = Unknown desc = failed to remove container "b9e5": failed to set removing state for container "b9e5": container is in starting state, can't be removed`), true},
		{errors.New(`rpc error: code = NotFound desc = sandbox not found`), false},
		{errors.New(`removing: context deadline exceeded`), false},
	}
	for _, tt := range tests {
		if got := stillStarting(tt.err); got != tt.want {
			t.Errorf("stillStarting(%q) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

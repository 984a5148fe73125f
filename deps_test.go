package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The manager leaves out k8s.io/apiserver: with it (through
// controller-runtime's metrics filter) came CEL, gRPC and OpenTelemetry,
// 29 MB of binary and 15 MiB of peak RSS at 2,000 pairs
// (docs/performance.md#memory).
func TestManagerLeavesOutHeavyModules(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	var found []string
	for _, pkg := range strings.Fields(string(out)) {
		for _, heavy := range []string{"k8s.io/apiserver/", "github.com/google/cel-go/", "google.golang.org/grpc", "go.opentelemetry.io/"} {
			if strings.HasPrefix(pkg, heavy) {
				found = append(found, pkg)
			}
		}
	}
	if len(found) > 0 {
		t.Errorf("the manager imports %d packages it should leave out, the first %s", len(found), found[0])
	}
}

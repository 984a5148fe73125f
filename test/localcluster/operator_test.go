package localcluster

import (
	"slices"
	"testing"
)

// The metrics are off unless a port is given, and then only on 127.0.0.1,
// served as the bundle serves them (no --metrics-secure=false).
func TestOperatorMetricsArgs(t *testing.T) {
	for _, tt := range []struct {
		port int
		want string
	}{
		{0, "--metrics-bind-address=0"},
		{18443, "--metrics-bind-address=127.0.0.1:18443"},
	} {
		args := Operator{MetricsPort: tt.port}.Args()
		if !slices.Contains(args, tt.want) {
			t.Errorf("port %d: %v, want %s", tt.port, args, tt.want)
		}
		if slices.Contains(args, "--metrics-secure=false") {
			t.Errorf("port %d: the metrics are served insecure: %v", tt.port, args)
		}
	}
}

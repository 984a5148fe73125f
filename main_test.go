package main

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// logError logs one error with the options the flags give, and returns the
// output.
func logError(t *testing.T, args ...string) string {
	t.Helper()
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	o := bindLogFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	o.DestWriter = &out
	zap.New(zap.UseFlagOptions(o)).Error(errors.New("configmaps is forbidden"), "Keyring is unavailable")
	return out.String()
}

func TestErrorLogsCarryNoStackTrace(t *testing.T) {
	out := logError(t)
	if !strings.Contains(out, "configmaps is forbidden") {
		t.Fatalf("the error is missing from the log line: %s", out)
	}
	if strings.Contains(out, "stacktrace") {
		t.Errorf("an error log line carries a stack trace: %s", out)
	}
	if strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Errorf("an error log is more than one line: %s", out)
	}
}

func TestStackTracesOnRequest(t *testing.T) {
	if out := logError(t, "--zap-stacktrace-level=error"); !strings.Contains(out, "stacktrace") {
		t.Errorf("--zap-stacktrace-level=error gave no stack trace: %s", out)
	}
}

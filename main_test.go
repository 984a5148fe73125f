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

func TestKMSFlags(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantClient bool
		wantErr    string
	}{
		{name: "no KMS: a plain keyring", args: nil},
		{name: "a plugin", args: []string{"--kms-endpoint", "unix:///run/kms/socket"}, wantClient: true},
		{name: "a plugin, migrating", args: []string{"--kms-endpoint=unix:///run/kms/socket", "--kms-migrate"}, wantClient: true},
		{name: "migrating without a plugin", args: []string{"--kms-migrate"}, wantErr: "--kms-migrate needs --kms-endpoint"},
		{name: "not a unix socket", args: []string{"--kms-endpoint", "tcp://10.0.0.1:80"}, wantErr: `--kms-endpoint: KMS endpoint "tcp://10.0.0.1:80" is not unix:///<absolute socket path>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("manager", flag.ContinueOnError)
			var o options
			o.bind(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			c, err := newKMS(o.kmsEndpoint, o.kmsMigrate)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c != nil; got != tc.wantClient {
				t.Fatalf("a KMS client: %v, want %v", got, tc.wantClient)
			}
			if c != nil {
				defer func() { _ = c.Close() }()
				if c.Endpoint() != o.kmsEndpoint {
					t.Errorf("the client's endpoint is %s, want %s", c.Endpoint(), o.kmsEndpoint)
				}
			}
		})
	}
}

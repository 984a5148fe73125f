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

// Command lightning-demo-app is the process of the demo's and the e2e
// suite's Flow and Work pods. It reports what the operator gave it, then
// runs until it is stopped:
//
//	lightning-demo-app --secret MY_APP_SECRET --env FOO
//
//	component=root pod=my-app-root-6d5f9c7b8-abcde
//	secret MY_APP_SECRET sha256=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
//	env FOO=bar
//	ready: 1 secret, 1 env; running until stopped
//
// A secret's value is never printed, only its sha256, which tests compare
// with the sealed value's. A variable it was told to expect that is missing
// makes it exit 1 (the pod crash-loops, and its logs say which).
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

type names []string

func (n *names) String() string     { return strings.Join(*n, ",") }
func (n *names) Set(v string) error { *n = append(*n, v); return nil }

func main() {
	var secrets, plain names
	flag.Var(&secrets, "secret", "An env var that holds a secret: its sha256 is printed. Repeat for each.")
	flag.Var(&plain, "env", "A plain env var: its value is printed. Repeat for each.")
	flag.Parse()
	if err := report(os.Stdout, os.LookupEnv, secrets, plain); err != nil {
		fmt.Fprintln(os.Stderr, "lightning-demo-app:", err)
		os.Exit(1)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	fmt.Fprintln(os.Stdout, "stopping")
}

// report prints the component, each secret's sha256 and each plain value.
// It fails, naming every one, when an expected variable is missing.
func report(w io.Writer, lookup func(string) (string, bool), secrets, plain []string) error {
	component := "root"
	if work, ok := lookup("LIGHTNING_CLOUD_WORK_NAME"); ok && work != "" {
		component = "root." + work
	} else if _, ok := lookup("LIGHTNING_CLOUD_APP_ID"); !ok {
		component = "unknown (no LIGHTNING_CLOUD_* identity in the env)"
	}
	pod, _ := lookup("HOSTNAME")
	fmt.Fprintf(w, "component=%s pod=%s\n", component, pod)

	var missing []string
	for _, name := range secrets {
		value, ok := lookup(name)
		if !ok {
			missing = append(missing, name)
			continue
		}
		sum := sha256.Sum256([]byte(value))
		fmt.Fprintf(w, "secret %s sha256=%s\n", name, hex.EncodeToString(sum[:]))
	}
	for _, name := range plain {
		value, ok := lookup(name)
		if !ok {
			missing = append(missing, name)
			continue
		}
		fmt.Fprintf(w, "env %s=%s\n", name, value)
	}
	if len(missing) > 0 {
		return errors.New("missing env " + strings.Join(missing, ", "))
	}
	fmt.Fprintf(w, "ready: %d secret, %d env; running until stopped\n", len(secrets), len(plain))
	return nil
}

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
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"time"
)

// The operator as it runs on the host next to a local cluster, installed
// through config/local: `make demo` and test/e2e start it the same way.
const (
	OperatorNamespace      = "lightning-system"
	OperatorServiceAccount = "lightning-operator-controller-manager"
	WebhookConfigName      = "lightning-operator-mutating-webhook-configuration"
	WebhookServiceName     = "lightning-operator-webhook-service"
)

// Operator is how the operator process is started.
type Operator struct {
	// Kubeconfig is written by WriteOperatorKubeconfig.
	Kubeconfig string
	// WebhookPort is where the webhook is served. config/local's URL names
	// 9443; a caller using another port rewrites the URL.
	WebhookPort int
	// ProbePort serves /healthz and /readyz on 127.0.0.1.
	ProbePort int
	// MetricsPort, when set, serves the metrics on 127.0.0.1 as the bundle
	// does: HTTPS, answering only tokens allowed to get /metrics. 0 turns
	// them off.
	MetricsPort int
	// CertDir holds the self-managed serving certificate.
	CertDir string
	// PresetsFile, when set, is the --compute-presets-file; WriteLocalPresets
	// writes one that fits the local node.
	PresetsFile string
}

// localPresets scales the CPU presets down so an app with a few Works fits
// the local node's two cores; the GPU presets stay as they are, and their
// pods stay Pending, as on any cluster without GPUs.
const localPresets = `# cloudCompute presets for the local node (2 cores): see docs/operations.md.
default:    {cpu: 50m,  memory: 64Mi}
flow-lite:  {cpu: 25m,  memory: 32Mi}
cpu-small:  {cpu: 100m, memory: 128Mi}
cpu-medium: {cpu: 200m, memory: 256Mi}
`

// WriteLocalPresets writes the presets file of the local node at path.
func WriteLocalPresets(path string) error {
	return writeFile(path, []byte(localPresets), 0o644)
}

// Args are the manager's flags: its ServiceAccount's kubeconfig, the
// webhook on 127.0.0.1 with a certificate that names it, and the metrics on
// 127.0.0.1 when MetricsPort is set.
func (o Operator) Args() []string {
	metrics := "0"
	if o.MetricsPort != 0 {
		// Secure by default: a self-signed certificate, TokenReview and SubjectAccessReview.
		metrics = fmt.Sprintf("127.0.0.1:%d", o.MetricsPort)
	}
	args := []string{
		"--kubeconfig=" + o.Kubeconfig,
		"--operator-namespace=" + OperatorNamespace,
		"--metrics-bind-address=" + metrics,
		fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", o.ProbePort),
		fmt.Sprintf("--webhook-port=%d", o.WebhookPort),
		"--webhook-cert-dir=" + o.CertDir,
		"--webhook-config-name=" + WebhookConfigName,
		"--webhook-service-name=" + WebhookServiceName,
		"--webhook-cert-hosts=127.0.0.1,localhost",
	}
	if o.PresetsFile != "" {
		args = append(args, "--compute-presets-file="+o.PresetsFile)
	}
	return args
}

// ReadyzURL is the operator's readiness endpoint.
func (o Operator) ReadyzURL() string { return fmt.Sprintf("http://127.0.0.1:%d/readyz", o.ProbePort) }

// WriteOperatorKubeconfig writes, at path, a kubeconfig for the operator's
// ServiceAccount identity, so the RBAC of config/rbac applies to it.
func (c *Cluster) WriteOperatorKubeconfig(path string) error {
	return c.WriteKubeconfig(filepath.Clean(path), "system:serviceaccount:"+OperatorNamespace+":"+OperatorServiceAccount,
		[]string{"system:serviceaccounts", "system:serviceaccounts:" + OperatorNamespace})
}

// CheckHTTP GETs url once, without a proxy, and wants 200 OK.
func CheckHTTP(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil}}).Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

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

package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/testenv"
)

// TestMain keeps every test away from the developer's kubeconfig: commands
// that are not pointed at envtest find no cluster.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kubectl-lightning-test-")
	if err != nil {
		panic(err)
	}
	os.Setenv("KUBECONFIG", filepath.Join(dir, "no-kubeconfig"))
	os.Setenv("HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	testEnv    *envtest.Environment
	restConfig *rest.Config
	k8sClient  client.Client
	ctx        context.Context
	cancel     context.CancelFunc
	// kubeconfig is an admin kubeconfig file for envtest's apiserver; the
	// CLI reads it through --kubeconfig, as a user's kubectl would.
	kubeconfig string
	// ring is the operator's keyring in this suite; its public keys are
	// published in ConfigMap lightning-system/lightning-operator-public-keys.
	ring *keyring.Keyring
)

func TestCLIOnEnvtest(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "kubectl-lightning envtest suite")
}

var _ = BeforeSuite(func() {
	ctx, cancel = context.WithCancel(context.Background())
	var err error
	testEnv, err = testenv.New(testenv.Options{})
	Expect(err).NotTo(HaveOccurred())
	restConfig, err = testEnv.Start()
	Expect(err).NotTo(HaveOccurred())

	scheme := runtime.NewScheme()
	Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	Expect(lightningv1alpha1.AddToScheme(scheme)).To(Succeed())
	// A live client: every read reaches the apiserver.
	k8sClient, err = client.New(restConfig, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())

	kubeconfig, err = testenv.AdminKubeconfig(testEnv, "cli-admin", GinkgoT().TempDir())
	Expect(err).NotTo(HaveOccurred())

	// The operator's side, as internal/keysecret publishes it.
	ring, err = keyring.New(time.Now())
	Expect(err).NotTo(HaveOccurred())
	publishKeys(cmdutil.DefaultOperatorNamespace, ring)
})

var _ = AfterSuite(func() {
	if cancel != nil {
		cancel()
	}
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})

// publishKeys writes kr's public keys where the operator publishes them,
// creating the namespace if needed.
func publishKeys(namespace string, kr *keyring.Keyring) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	if err := k8sClient.Create(ctx, ns); err != nil {
		Expect(client.IgnoreAlreadyExists(err)).To(Succeed())
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: cmdutil.PublicKeysConfigMap}}
	cm.Data = kr.PublicData()
	if err := k8sClient.Create(ctx, cm); err != nil {
		Expect(client.IgnoreAlreadyExists(err)).To(Succeed())
		Expect(k8sClient.Update(ctx, cm)).To(Succeed())
	}
}

// newNamespace creates a fresh namespace for one spec.
func newNamespace() string {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "cli-"}}
	Expect(k8sClient.Create(ctx, ns)).To(Succeed())
	return ns.Name
}

// kl runs kubectl-lightning against envtest through --kubeconfig.
func kl(stdin string, args ...string) result {
	return klWith(invocation{stdin: stdin}, args...)
}

// klWith is kl with more settings.
func klWith(inv invocation, args ...string) result {
	inv.kubeconfigFlags = true
	return runCLI(inv, append(args, "--kubeconfig", kubeconfig)...)
}

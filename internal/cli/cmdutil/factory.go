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

// Package cmdutil is what the commands of kubectl-lightning share, as
// kubectl's cmdutil is for kubectl: the Factory (streams, clock, terminal and
// the cluster of the kubeconfig flags), kubectl's print flags and dry runs,
// the checks of names and arguments, completion, and the reading and
// writing of files that must never echo or lose what they hold.
package cmdutil

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

// Scheme knows the kinds the CLI reads and writes: Kubernetes' own and
// lightning.ai/v1alpha1.
var Scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := lightningv1alpha1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}()

// Factory is what every command shares: the streams, the clock, the
// terminal, and the cluster that the kubeconfig flags (or a test) name.
type Factory struct {
	genericiooptions.IOStreams
	// Terminal reads a secret value without echo.
	Terminal Terminal
	// Now is the clock of ages and timestamps.
	Now func() time.Time
	// UserAgent is sent with every request.
	UserAgent string
	// ConfigFlags are kubectl's connection flags: --kubeconfig, -n, ...
	ConfigFlags *genericclioptions.ConfigFlags
	// RESTConfigFunc, when set, replaces ConfigFlags as the source of the
	// client configuration (tests inject envtest's config here).
	RESTConfigFunc func() (*rest.Config, error)
	// OperatorNamespace is --operator-namespace: where the operator
	// publishes its public keys and keeps its keyring.
	OperatorNamespace string
}

// Namespace is -n, else the kubeconfig context's namespace, else "default".
func (f *Factory) Namespace() (string, error) {
	ns := ""
	if f.ConfigFlags.Namespace != nil {
		ns = *f.ConfigFlags.Namespace
	}
	if ns == "" {
		var err error
		ns, _, err = f.ConfigFlags.ToRawKubeConfigLoader().Namespace()
		if err != nil {
			return "", fmt.Errorf("reading the namespace from the kubeconfig: %w", err)
		}
	}
	if err := ValidateNamespace(ns); err != nil {
		return "", err
	}
	return ns, nil
}

// RESTConfig is the client configuration of the kubeconfig flags (or the
// injected config), with the CLI's user agent and a warning writer.
func (f *Factory) RESTConfig() (*rest.Config, error) {
	var cfg *rest.Config
	var err error
	if f.RESTConfigFunc != nil {
		cfg, err = f.RESTConfigFunc()
	} else {
		cfg, err = f.ConfigFlags.ToRESTConfig()
	}
	if err != nil {
		return nil, fmt.Errorf("reading the kubeconfig: %w", err)
	}
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = f.UserAgent
	cfg.WarningHandler = rest.NewWarningWriter(f.ErrOut, rest.WarningWriterOptions{Deduplicate: true})
	cfg.WarningHandlerWithContext = nil
	return cfg, nil
}

// Client connects to the cluster with a live, uncached client.
func (f *Factory) Client() (client.Client, error) {
	cfg, err := f.RESTConfig()
	if err != nil {
		return nil, err
	}
	c, err := client.New(cfg, client.Options{Scheme: Scheme})
	if err != nil {
		return nil, fmt.Errorf("connecting to the cluster: %w", err)
	}
	return c, nil
}

// Clientset is client-go's typed clientset, for what controller-runtime's
// client does not do (pod logs).
func (f *Factory) Clientset() (kubernetes.Interface, error) {
	cfg, err := f.RESTConfig()
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to the cluster: %w", err)
	}
	return cs, nil
}

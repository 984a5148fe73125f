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

package controllers_test

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/controllers"
	"github.com/lightning-operator/lightning-operator/internal/operator"
	"github.com/lightning-operator/lightning-operator/internal/testenv"
)

const operatorNamespace = "lightning-system"

var (
	env       *envtest.Environment
	cfg       *rest.Config
	k8sClient client.Client // live: reads what is stored, not a cache
	scheme    = runtime.NewScheme()
	logBuffer = &testenv.SyncBuffer{}
)

func TestControllers(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Controllers suite")
}

var _ = BeforeSuite(func() {
	SetDefaultEventuallyTimeout(15 * time.Second)
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	// Everything the manager logs is kept, so tests can grep it for values.
	logf.SetLogger(zap.New(zap.WriteTo(logBuffer), zap.UseDevMode(true)))
	Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	Expect(lightningv1alpha1.AddToScheme(scheme)).To(Succeed())
	var err error
	env, err = testenv.New(testenv.Options{})
	Expect(err).NotTo(HaveOccurred())
	cfg, err = env.Start()
	Expect(err).NotTo(HaveOccurred())
	k8sClient, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	Expect(k8sClient.Create(context.Background(), &corev1.Namespace{ObjectMeta: ctrlObjectMeta(operatorNamespace)})).To(Succeed())
})

var _ = AfterSuite(func() {
	if env != nil {
		Expect(env.Stop()).To(Succeed())
	}
})

// runningManager is the operator's manager as main.go builds it, with a
// counter of the write requests it sends to the apiserver.
type runningManager struct {
	cancel context.CancelFunc
	done   chan struct{}
	writes *atomic.Int64
	log    *writeLog
}

// writeLog is every write request the manager sent, "METHOD path", in order.
type writeLog struct {
	mu      sync.Mutex
	entries []string
}

func (l *writeLog) add(entry string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, entry)
}

func (l *writeLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.entries)
}

func (m *runningManager) Stop() {
	m.cancel()
	Eventually(m.done, 30*time.Second).Should(BeClosed())
}

// webhookConfigName is the pod webhook registration the controller reads;
// the suite serves no webhook, so a spec that needs one registers it.
const webhookConfigName = "lightning-operator-mutating-webhook-configuration"

type managerOptions struct {
	rotation    time.Duration
	minInterval time.Duration
	now         func() time.Time
}

func startManager(o managerOptions) *runningManager {
	writes, log := &atomic.Int64{}, &writeLog{}
	mgrCfg := rest.CopyConfig(cfg)
	mgrCfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			switch req.Method {
			case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
				log.add(req.Method + " " + req.URL.Path)
				// Events and leases are bookkeeping, not writes to user objects.
				if !containsAny(req.URL.Path, "/events", "/leases") {
					writes.Add(1)
				}
			}
			return rt.RoundTrip(req)
		})
	}
	mgr, err := ctrl.NewManager(mgrCfg, ctrl.Options{
		Scheme:     scheme,
		Metrics:    metricsserver.Options{BindAddress: "0"},
		Cache:      operator.CacheOptions(webhookConfigName),
		Controller: ctrlConfigSkipNameValidation(),
	})
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	rotation := o.rotation
	if rotation == 0 {
		rotation = 720 * time.Hour
	}
	Expect(operator.Setup(ctx, mgr, operator.Options{
		Namespace:         operatorNamespace,
		KeyRotationPeriod: rotation,
		KeyCheckInterval:  500 * time.Millisecond,
		Workers:           2,
		App:               controllers.AppOptions{MinRolloutInterval: o.minInterval},
		WebhookConfigName: webhookConfigName,
		Now:               o.now,
	})).To(Succeed())
	done := make(chan struct{})
	go func() {
		defer GinkgoRecover()
		defer close(done)
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
	return &runningManager{cancel: cancel, done: done, writes: writes, log: log}
}

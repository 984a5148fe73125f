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

package statemetrics

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
)

// scrapeTimeout bounds the cache reads of one scrape (Prometheus' own
// default scrape timeout is 10s).
const scrapeTimeout = 5 * time.Second

// KeyringSource hands out the current keyring (keysecret.Source).
type KeyringSource interface {
	Keyring(ctx context.Context) (*keyring.Keyring, error)
}

// Runnable reads the cache for the gauges while its manager leads.
type Runnable struct {
	reader client.Reader
	keys   KeyringSource
	log    logr.Logger
}

// New returns the manager runnable that serves the gauges from reader (the
// manager's cache) and keys. Add it with mgr.Add.
func New(reader client.Reader, keys KeyringSource) *Runnable {
	return &Runnable{reader: reader, keys: keys}
}

// NeedLeaderElection: only the leader's controllers watch both kinds, so a
// standby would start informers of its own to answer; and one replica
// exporting each object's series keeps alerts from firing twice.
func (r *Runnable) NeedLeaderElection() bool { return true }

// active is the runnable the registered collector reads: the last started
// manager's, until it stops. The registry is process-wide, while tests run
// managers one after another.
var active atomic.Pointer[Runnable]

// Start serves the gauges until ctx ends.
func (r *Runnable) Start(ctx context.Context) error {
	r.log = logf.FromContext(ctx).WithName("state-metrics")
	active.Store(r)
	<-ctx.Done()
	active.CompareAndSwap(r, nil)
	return nil
}

var descs = func() map[string]*prometheus.Desc {
	d := map[string]*prometheus.Desc{}
	for name, labels := range labelNames {
		d[name] = prometheus.NewDesc(name, help[name], labels, nil)
	}
	return d
}()

type collector struct{}

func init() {
	metrics.Registry.MustRegister(collector{})
}

func (collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range descs {
		ch <- d
	}
}

func (collector) Collect(ch chan<- prometheus.Metric) {
	r := active.Load()
	if r == nil {
		return
	}
	for _, s := range r.samples() {
		ch <- prometheus.MustNewConstMetric(descs[s.Metric], prometheus.GaugeValue, s.Value, s.Labels...)
	}
}

// samples reads the cache. A failed read leaves its series out of this
// scrape and is logged: an error would fail the whole scrape.
func (r *Runnable) samples() []Sample {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	// Read only: the cached objects are not copied.
	noCopy := client.UnsafeDisableDeepCopy
	apps := &lightningv1alpha1.LightningAppList{}
	if err := r.reader.List(ctx, apps, noCopy); err != nil {
		r.log.Error(err, "Listing LightningApps for the metrics")
	}
	secrets := &lightningv1alpha1.LightningSecretList{}
	if err := r.reader.List(ctx, secrets, noCopy); err != nil {
		r.log.Error(err, "Listing LightningSecrets for the metrics")
	}
	var keys []Key
	ring, err := r.keys.Keyring(ctx)
	if err != nil {
		// Missing or corrupt: lightning_keyring_available says so.
		r.log.V(1).Info("No keyring for the metrics", "reason", err.Error())
	} else {
		for _, k := range ring.Keys() {
			keys = append(keys, Key{ID: k.Private.ID(), Created: k.Created})
		}
	}
	return Samples(apps.Items, secrets.Items, keys)
}

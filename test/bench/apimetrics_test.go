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

package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/rest"
)

// request is one kind of apiserver request: the verb as
// apiserver_request_total has it (POST, PUT, PATCH, LIST, ...) and the
// resource with its subresource ("lightningapps/status").
type request struct{ verb, resource string }

// writeVerbs are the verbs that change what the apiserver stores.
var writeVerbs = map[string]bool{"POST": true, "PUT": true, "PATCH": true, "APPLY": true, "DELETE": true, "DELETECOLLECTION": true}

func (r request) String() string { return r.verb + " " + r.resource }

// apiSnapshot is the apiserver's request counts and CPU seconds at one moment.
type apiSnapshot struct {
	requests map[request]float64
	// seconds is the apiserver's time spent serving each kind of request.
	seconds map[request]float64
	cpu     float64
}

// minus is what happened between before and s.
func (s apiSnapshot) minus(before apiSnapshot) apiSnapshot {
	out := apiSnapshot{requests: map[request]float64{}, seconds: map[request]float64{}, cpu: s.cpu - before.cpu}
	for k, v := range s.requests {
		if d := v - before.requests[k]; d > 0 {
			out.requests[k] = d
		}
	}
	for k, v := range s.seconds {
		if d := v - before.seconds[k]; d > 0 {
			out.seconds[k] = d
		}
	}
	return out
}

// writes counts the requests that changed something, leaving out the
// resources in skip ("leases": leader election is not the work measured).
func (s apiSnapshot) writes(skip ...string) float64 {
	var n float64
	for k, v := range s.requests {
		if writeVerbs[k.verb] && !slices.Contains(skip, k.resource) {
			n += v
		}
	}
	return n
}

// perObject formats the requests whose verb the filter accepts, each divided
// by objects, largest first: "POST secrets 1.00, PATCH lightningapps/status 2.00".
func (s apiSnapshot) perObject(objects int, accept func(request) bool) string {
	type row struct {
		r request
		v float64
	}
	var rows []row
	for k, v := range s.requests {
		if accept(k) {
			rows = append(rows, row{k, v})
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].v != rows[j].v {
			return rows[i].v > rows[j].v
		}
		return rows[i].r.String() < rows[j].r.String()
	})
	var parts []string
	for _, r := range rows {
		per := r.v / float64(objects)
		if per < 0.005 {
			parts = append(parts, fmt.Sprintf("%s %.0f in all", r.r, r.v))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %.2f", r.r, per))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// scrapeAPIServer reads apiserver_request_total and process_cpu_seconds_total
// from the apiserver's /metrics.
func scrapeAPIServer(ctx context.Context, rc rest.Interface) (apiSnapshot, error) {
	raw, err := rc.Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return apiSnapshot{}, fmt.Errorf("reading the apiserver's metrics: %w", err)
	}
	families, err := parseMetrics(bytes.NewReader(raw))
	if err != nil {
		return apiSnapshot{}, err
	}
	return apiSnapshotOf(families), nil
}

func apiSnapshotOf(families map[string]*dto.MetricFamily) apiSnapshot {
	s := apiSnapshot{requests: map[request]float64{}, seconds: map[request]float64{}, cpu: sum(families["process_cpu_seconds_total"], nil)}
	for _, m := range families["apiserver_request_total"].GetMetric() {
		s.requests[requestOf(m)] += value(m)
	}
	for _, m := range families["apiserver_request_duration_seconds"].GetMetric() {
		s.seconds[requestOf(m)] += m.GetHistogram().GetSampleSum()
	}
	return s
}

func requestOf(m *dto.Metric) request {
	l := labelsOf(m)
	resource := l["resource"]
	if sub := l["subresource"]; sub != "" {
		resource += "/" + sub
	}
	return request{verb: l["verb"], resource: resource}
}

// latencies formats the mean time the apiserver took for each kind of write.
func (s apiSnapshot) latencies() string {
	var parts []string
	for k, n := range s.requests {
		if writeVerbs[k.verb] && n >= 10 {
			parts = append(parts, fmt.Sprintf("%s %.1f ms", k, 1000*s.seconds[k]/n))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func parseMetrics(r io.Reader) (map[string]*dto.MetricFamily, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parsing metrics: %w", err)
	}
	return families, nil
}

func labelsOf(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Untyped != nil:
		return m.GetUntyped().GetValue()
	}
	return 0
}

// sum adds the family's samples whose labels include every pair in match.
func sum(f *dto.MetricFamily, match map[string]string) float64 {
	var total float64
	for _, m := range f.GetMetric() {
		l := labelsOf(m)
		ok := true
		for k, v := range match {
			if l[k] != v {
				ok = false
			}
		}
		if ok {
			total += value(m)
		}
	}
	return total
}

// managerProgress is what the manager's own metrics say about its queues.
type managerProgress struct {
	// reconciles and depth are per controller name.
	reconciles, depth map[string]float64
}

// fetchMetrics reads a plain-HTTP metrics endpoint.
func fetchMetrics(ctx context.Context, url string) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return parseMetrics(resp.Body)
}

// scrapeManager reads the manager's plain-HTTP metrics endpoint.
func scrapeManager(ctx context.Context, url string) (managerProgress, error) {
	families, err := fetchMetrics(ctx, url)
	if err != nil {
		return managerProgress{}, err
	}
	p := managerProgress{reconciles: map[string]float64{}, depth: map[string]float64{}}
	for _, c := range []string{"lightningapp", "lightningsecret"} {
		p.reconciles[c] = sum(families["controller_runtime_reconcile_total"], map[string]string{"controller": c})
		p.depth[c] = sum(families["workqueue_depth"], map[string]string{"name": c})
	}
	return p, nil
}

func (p managerProgress) idle() bool {
	for _, d := range p.depth {
		if d > 0 {
			return false
		}
	}
	return true
}

func (p managerProgress) equal(o managerProgress) bool {
	for c, v := range p.reconciles {
		if o.reconciles[c] != v {
			return false
		}
	}
	return true
}

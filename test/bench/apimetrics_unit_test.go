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
	"os"
	"strings"
	"testing"
)

const metricsBefore = `# TYPE apiserver_request_total counter
apiserver_request_total{code="201",component="apiserver",group="",resource="secrets",scope="resource",subresource="",verb="POST",version="v1"} 10
apiserver_request_total{code="200",component="apiserver",group="lightning.ai",resource="lightningapps",scope="resource",subresource="status",verb="PATCH",version="v1alpha1"} 4
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 100
`

const metricsAfter = `# TYPE apiserver_request_total counter
apiserver_request_total{code="201",component="apiserver",group="",resource="secrets",scope="resource",subresource="",verb="POST",version="v1"} 30
apiserver_request_total{code="409",component="apiserver",group="",resource="secrets",scope="resource",subresource="",verb="POST",version="v1"} 2
apiserver_request_total{code="200",component="apiserver",group="lightning.ai",resource="lightningapps",scope="resource",subresource="status",verb="PATCH",version="v1alpha1"} 44
apiserver_request_total{code="200",component="apiserver",group="coordination.k8s.io",resource="leases",scope="resource",subresource="",verb="PUT",version="v1"} 5
apiserver_request_total{code="200",component="apiserver",group="",resource="secrets",scope="cluster",subresource="",verb="LIST",version="v1"} 1
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 112.5
`

func TestAPISnapshotDifference(t *testing.T) {
	snapshot := func(text string) apiSnapshot {
		t.Helper()
		f, err := parseMetrics(strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		return apiSnapshotOf(f)
	}
	d := snapshot(metricsAfter).minus(snapshot(metricsBefore))
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"CPU seconds between the scrapes", d.cpu, 12.5},
		{"creates, refused ones too", d.requests[request{"POST", "secrets"}], 22.0},
		{"a subresource is its own kind", d.requests[request{"PATCH", "lightningapps/status"}], 40.0},
		{"writes but leader election", d.writes("leases"), 62.0},
		{"every write", d.writes(), 67.0},
		{"per object, largest first, reads left out", d.perObject(20, func(r request) bool { return writeVerbs[r.verb] }),
			"PATCH lightningapps/status 2.00, POST secrets 1.10, PUT leases 0.25"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

// The harness reads a live process's resident set and its two parts.
func TestReadMemory(t *testing.T) {
	m := readMemory(os.Getpid())
	if m.hwm <= 0 || m.rss <= 0 || m.anon <= 0 || m.file <= 0 || m.rss > m.hwm || m.anon+m.file > m.rss+(1<<20) {
		t.Errorf("this process's memory: %+v", m)
	}
	if m := readMemory(-1); m != (memory{}) {
		t.Errorf("no such process: %+v", m)
	}
}

func TestMemoryHigher(t *testing.T) {
	early := memory{hwm: 90, rss: 90, anon: 50, file: 40}
	late := memory{hwm: 100, rss: 80, anon: 45, file: 35} // the peak fell between two samples
	if got := early.higher(late); got != (memory{hwm: 100, rss: 90, anon: 50, file: 40}) {
		t.Errorf("early.higher(late) = %+v", got)
	}
	if got := late.higher(early); got != (memory{hwm: 100, rss: 90, anon: 50, file: 40}) {
		t.Errorf("late.higher(early) = %+v", got)
	}
}

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

package certs

import (
	"crypto/x509"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func testConfig() *pkiConfig {
	o := &Options{
		Namespace: "lightning-system", ServiceName: "lightning-operator-webhook-service",
		ExtraHosts:   []string{"127.0.0.1", "localhost"},
		CALifetime:   10 * 365 * 24 * time.Hour,
		CertLifetime: 365 * 24 * time.Hour, CAPropagation: 10 * time.Minute,
	}
	return o.pkiConfig()
}

func mustPlan(t *testing.T, b *bundle, now time.Time, cfg *pkiConfig, renew bool) (*bundle, []string) {
	t.Helper()
	out, changes, err := plan(b, now, cfg, renew)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return out, changes
}

// roundTrip passes the bundle through Secret data, as the store does.
func roundTrip(t *testing.T, b *bundle) *bundle {
	t.Helper()
	data, err := b.data()
	if err != nil {
		t.Fatal(err)
	}
	return parseBundle(data)
}

func serials(b *bundle) []string {
	var out []string
	for _, ca := range b.cas {
		out = append(out, ca.cert.SerialNumber.Text(16))
	}
	return out
}

func signerOf(t *testing.T, b *bundle) string {
	t.Helper()
	for _, ca := range b.cas {
		if b.serving.CheckSignatureFrom(ca.cert) == nil {
			return ca.cert.SerialNumber.Text(16)
		}
	}
	t.Fatalf("the serving certificate is signed by no CA of the bundle")
	return ""
}

func TestPlanGeneratesCAAndServingCertificate(t *testing.T) {
	cfg := testConfig()
	b, changes := mustPlan(t, &bundle{}, t0, cfg, true)
	if diff := cmp.Diff([]string{"created a CA", "issued a serving certificate (no valid serving certificate)"}, changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	b = roundTrip(t, b)
	if len(b.cas) != 1 || b.cas[0].key == nil || !b.cas[0].cert.IsCA {
		t.Fatalf("want one CA with its key, got %+v", b.cas)
	}
	ca := b.cas[0].cert
	if got, want := ca.NotAfter, t0.Add(cfg.caLifetime); !got.Equal(want) {
		t.Errorf("CA NotAfter = %v, want %v", got, want)
	}
	s := b.serving
	if s == nil {
		t.Fatal("no serving certificate after the round trip")
	}
	wantNames := []string{"lightning-operator-webhook-service.lightning-system.svc",
		"lightning-operator-webhook-service.lightning-system.svc.cluster.local", "localhost"}
	if diff := cmp.Diff(wantNames, s.DNSNames); diff != "" {
		t.Errorf("DNS names (-want +got):\n%s", diff)
	}
	if len(s.IPAddresses) != 1 || !s.IPAddresses[0].Equal(net.ParseIP("127.0.0.1")) {
		t.Errorf("IP addresses = %v", s.IPAddresses)
	}
	if s.IsCA || s.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth {
		t.Errorf("serving certificate: IsCA=%v EKU=%v", s.IsCA, s.ExtKeyUsage)
	}
	if got, want := s.NotAfter, t0.Add(cfg.certLifetime); !got.Equal(want) {
		t.Errorf("serving NotAfter = %v, want %v", got, want)
	}
	if !s.NotBefore.Before(t0) {
		t.Errorf("serving NotBefore %v is not backdated against clock skew", s.NotBefore)
	}
	for _, name := range append(wantNames, "127.0.0.1") {
		if _, err := s.Verify(x509.VerifyOptions{Roots: b.pool(), DNSName: name, CurrentTime: t0}); err != nil {
			t.Errorf("the serving certificate does not verify for %s: %v", name, err)
		}
	}
	if got := renewAt(s); got.Sub(t0) < 243*24*time.Hour || got.Sub(t0) > 244*24*time.Hour {
		t.Errorf("serving renewal at %v after issuance, want two thirds of a year", got.Sub(t0))
	}

	// Nothing to do right after, with or without renewals.
	for _, renew := range []bool{false, true} {
		again, changes := mustPlan(t, b, t0.Add(time.Hour), cfg, renew)
		if len(changes) != 0 || again != b {
			t.Errorf("plan(renew=%v) of a fresh bundle changed %v", renew, changes)
		}
	}
}

func TestPlanRenewsServingCertificateAtTwoThirds(t *testing.T) {
	cfg := testConfig()
	b, _ := mustPlan(t, &bundle{}, t0, cfg, true)

	before := renewAt(b.serving).Add(-time.Minute)
	if _, changes := mustPlan(t, b, before, cfg, true); len(changes) != 0 {
		t.Errorf("renewed before two thirds: %v", changes)
	}
	due := renewAt(b.serving)
	if _, changes := mustPlan(t, b, due, cfg, false); len(changes) != 0 {
		t.Errorf("a repair-only plan renewed a valid certificate: %v", changes)
	}
	nb, changes := mustPlan(t, b, due, cfg, true)
	if diff := cmp.Diff([]string{"issued a serving certificate (serving certificate due for renewal)"}, changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(serials(b), serials(nb)); diff != "" {
		t.Errorf("the CA changed (-before +after):\n%s", diff)
	}
	if nb.serving.SerialNumber.Cmp(b.serving.SerialNumber) == 0 {
		t.Error("the serving certificate was not replaced")
	}
}

func TestPlanRotatesCAKeepingTheOldOneTrusted(t *testing.T) {
	cfg := testConfig()
	// Not a multiple of the serving lifetime, so the CA's renewal does not
	// coincide with a serving renewal.
	cfg.caLifetime += 30 * 24 * time.Hour
	b, _ := mustPlan(t, &bundle{}, t0, cfg, true)
	oldCA := serials(b)[0]

	// Two thirds into the CA's life: a new CA joins, the old one stays, and
	// the serving certificate (still valid) is left alone.
	caDue := renewAt(b.cas[0].cert)
	// Keep the serving certificate fresh up to then, as the rotator would.
	for now := renewAt(b.serving); now.Before(caDue); now = renewAt(b.serving) {
		b, _ = mustPlan(t, b, now, cfg, true)
	}
	rotated, changes := mustPlan(t, b, caDue, cfg, true)
	if diff := cmp.Diff([]string{"rotated the CA, keeping the old one trusted until it expires"}, changes); diff != "" {
		t.Fatalf("changes (-want +got):\n%s", diff)
	}
	rotated = roundTrip(t, rotated)
	if got := serials(rotated); len(got) != 2 || got[1] != oldCA {
		t.Fatalf("CAs after rotation = %v, want [new %s]", got, oldCA)
	}
	if rotated.cas[1].key == nil {
		t.Error("the old CA lost its key; it must still sign during the propagation delay")
	}
	if signerOf(t, rotated) != oldCA {
		t.Error("the serving certificate changed with the CA")
	}

	// A serving renewal within the propagation delay is signed by the old CA,
	// which every apiserver already trusts.
	early, changes := mustPlan(t, rotated, caDue.Add(cfg.caPropagation/2), cfg, false)
	if len(changes) != 0 {
		t.Fatalf("unexpected changes: %v", changes)
	}
	early.serving = nil
	early, _ = mustPlan(t, early, caDue.Add(cfg.caPropagation/2), cfg, false)
	if got := signerOf(t, early); got != oldCA {
		t.Errorf("within the propagation delay the signer is %s, want the old CA %s", got, oldCA)
	}

	// After it, the new CA signs.
	late := rotated
	late.serving = nil
	late, _ = mustPlan(t, late, caDue.Add(cfg.caPropagation), cfg, false)
	if got, newCA := signerOf(t, late), serials(rotated)[0]; got != newCA {
		t.Errorf("after the propagation delay the signer is %s, want the new CA %s", got, newCA)
	}

	// The old CA leaves the bundle when it expires.
	expired, changes := mustPlan(t, late, b.cas[0].cert.NotAfter, cfg, true)
	if got := serials(expired); len(got) != 1 || got[0] == oldCA {
		t.Errorf("CAs after the old one expired = %v (changes %v)", got, changes)
	}
}

func TestPlanRepairs(t *testing.T) {
	cfg := testConfig()
	good, _ := mustPlan(t, &bundle{}, t0, cfg, true)
	goodData, err := good.data()
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(map[string][]byte)) *bundle {
		d := map[string][]byte{}
		for k, v := range goodData {
			d[k] = v
		}
		f(d)
		return parseBundle(d)
	}
	tests := []struct {
		name       string
		in         *bundle
		cfg        *pkiConfig
		wantChange string
		sameSigner bool
		caCount    int
	}{
		{"garbage serving certificate", edit(func(d map[string][]byte) { d[KeyTLSCert] = []byte("garbage") }),
			cfg, "issued a serving certificate (no valid serving certificate)", true, 1},
		{"mismatched serving key", edit(func(d map[string][]byte) {
			other, _ := mustPlan(t, &bundle{}, t0, cfg, true)
			d[KeyTLSKey] = other.keyPEM
		}), cfg, "issued a serving certificate (no valid serving certificate)", true, 1},
		{"lost CA key: a new CA signs, the old one stays trusted", edit(func(d map[string][]byte) { delete(d, KeyCAKey) }),
			cfg, "created a CA: the newest CA has no key", true, 2},
		{"new Service name", good, func() *pkiConfig {
			c := *cfg
			c.dnsNames = []string{"other.lightning-system.svc", "other.lightning-system.svc.cluster.local"}
			return &c
		}(), "issued a serving certificate (serving certificate names changed)", true, 1},
		{"no CA at all", edit(func(d map[string][]byte) { delete(d, KeyCACert) }),
			cfg, "created a CA", false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, changes := mustPlan(t, tt.in, t0.Add(time.Hour), tt.cfg, false)
			if !strings.Contains(strings.Join(changes, "; "), tt.wantChange) {
				t.Errorf("changes = %v, want %q", changes, tt.wantChange)
			}
			out = roundTrip(t, out)
			if p := out.servingProblem(t0.Add(time.Hour), tt.cfg); p != "" {
				t.Errorf("after repair the serving certificate has a problem: %s", p)
			}
			if got := len(out.cas); got != tt.caCount {
				t.Errorf("CAs = %d, want %d", got, tt.caCount)
			}
			if got := signerOf(t, out) == serials(good)[0]; got != tt.sameSigner {
				t.Errorf("signed by the original CA = %v, want %v", got, tt.sameSigner)
			}
			if again, changes := mustPlan(t, out, t0.Add(time.Hour), tt.cfg, false); len(changes) != 0 || again != out {
				t.Errorf("the repaired bundle is not stable: %v", changes)
			}
		})
	}
}

func TestParseBundleBoundsTheTrustBundle(t *testing.T) {
	cfg := testConfig()
	var caPEM []byte
	for range maxCAs + 2 {
		b, _ := mustPlan(t, &bundle{}, t0, cfg, true)
		caPEM = append(caPEM, b.caBundle()...)
	}
	if got := len(parseBundle(map[string][]byte{KeyCACert: caPEM}).cas); got != maxCAs {
		t.Errorf("parsed %d CAs, want at most %d", got, maxCAs)
	}
}

func TestNextEvent(t *testing.T) {
	cfg := testConfig()
	fresh, _ := mustPlan(t, &bundle{}, t0, cfg, true)
	afterPropagation := t0.Add(cfg.caPropagation + time.Minute)
	for _, tc := range []struct {
		name string
		b    *bundle
		now  time.Time
		want time.Time
	}{
		{"a fresh install: the end of the CA's propagation delay", fresh, t0, issuedAt(fresh.cas[0].cert).Add(cfg.caPropagation)},
		{"after the propagation delay: the serving renewal, not the past delay", fresh, afterPropagation, renewAt(fresh.serving)},
		{"just before the serving renewal: it", fresh, renewAt(fresh.serving).Add(-time.Second), renewAt(fresh.serving)},
		{"after the serving renewal (renewed since): the CA's renewal", fresh, renewAt(fresh.serving).Add(time.Second), renewAt(fresh.cas[0].cert)},
		{"after every event: nothing", fresh, fresh.cas[0].cert.NotAfter, time.Time{}},
		{"an empty bundle: nothing", &bundle{}, t0, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.b.nextEvent(tc.now, cfg); !got.Equal(tc.want) {
				t.Errorf("nextEvent = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRequeueAfter(t *testing.T) {
	for _, tc := range []struct {
		name string
		due  time.Time
		want time.Duration
	}{
		{"nothing due: the interval", time.Time{}, time.Minute},
		{"due sooner: just past it", t0.Add(5 * time.Second), 5*time.Second + dueMargin},
		{"due later: the interval", t0.Add(time.Hour), time.Minute},
		{"due just within the interval: just past it", t0.Add(time.Minute - 2*dueMargin), time.Minute - dueMargin},
		{"due now: at once", t0, dueMargin},
		{"due in the past: at once, never zero (no requeue)", t0.Add(-time.Hour), dueMargin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := requeueAfter(t0, tc.due, time.Minute); got != tc.want {
				t.Errorf("requeueAfter = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": ModeSelf, "self": ModeSelf, "external": ModeExternal} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseMode("cert-manager"); err == nil {
		t.Error("ParseMode accepted an unknown mode")
	}
}

// The metrics endpoint serves the certificate too: it then names the
// metrics Service as well, after the webhook's, whose name stays first
// (the common name, and what the readiness check verifies).
func TestMetricsServiceNames(t *testing.T) {
	o := &Options{Namespace: "ns", ServiceName: "hook", MetricsServiceName: "metrics", ExtraHosts: []string{"127.0.0.1"}}
	cfg := o.pkiConfig()
	want := []string{"hook.ns.svc", "hook.ns.svc.cluster.local", "metrics.ns.svc", "metrics.ns.svc.cluster.local"}
	if !cmp.Equal(cfg.dnsNames, want) || len(cfg.ips) != 1 {
		t.Fatalf("names %v and IPs %v, want %v and 127.0.0.1", cfg.dnsNames, cfg.ips, want)
	}
	// A certificate from before, without the metrics names, is reissued.
	old, _ := mustPlan(t, &bundle{}, t0, (&Options{Namespace: "ns", ServiceName: "hook", ExtraHosts: []string{"127.0.0.1"},
		CALifetime: time.Hour, CertLifetime: time.Hour}).pkiConfig(), false)
	cfg.caLifetime, cfg.certLifetime = time.Hour, time.Hour
	if got := old.servingProblem(t0, cfg); got != "serving certificate names changed" {
		t.Errorf("a certificate without the metrics names: %q", got)
	}
	b, _ := mustPlan(t, old, t0, cfg, false)
	if _, err := b.serving.Verify(x509.VerifyOptions{Roots: b.pool(), DNSName: "metrics.ns.svc", CurrentTime: t0}); err != nil {
		t.Errorf("the reissued certificate does not verify for the metrics Service: %v", err)
	}
}

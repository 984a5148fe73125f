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
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"
)

// Keys of the TLS Secret. tls.crt and tls.key make it a kubernetes.io/tls
// Secret; ca.crt is the trust bundle the apiserver gets as caBundle.
const (
	KeyTLSCert = "tls.crt" // the serving certificate (leaf only)
	KeyTLSKey  = "tls.key" // its key, PKCS#8
	KeyCACert  = "ca.crt"  // every CA still trusted, newest first
	KeyCAKey   = "ca.key"  // the keys of the CAs that can still sign, PKCS#8
)

// maxCAs bounds the trust bundle, whatever happens to the Secret.
const maxCAs = 3

// authority is one CA of the bundle. A CA whose key was lost is kept for
// trust until it expires, but never signs.
type authority struct {
	cert *x509.Certificate
	key  crypto.Signer // nil: trust only
}

// bundle is the content of the TLS Secret.
type bundle struct {
	cas        []authority // newest first
	servingPEM []byte
	keyPEM     []byte
	serving    *x509.Certificate // nil when tls.crt/tls.key are missing or do not match
}

// pkiConfig is what the certificates must look like.
type pkiConfig struct {
	dnsNames     []string
	ips          []net.IP
	caLifetime   time.Duration
	certLifetime time.Duration
	// caPropagation is how long a new CA is only trusted before it signs,
	// so every apiserver has the new caBundle before it meets a cert of it.
	caPropagation time.Duration
}

// backdate is how far NotBefore lies before issuance, against clock skew.
func backdate(lifetime time.Duration) time.Duration { return min(time.Hour, lifetime/100) }

// issuedAt recovers the issuance time of a certificate made by issue.
func issuedAt(c *x509.Certificate) time.Time {
	total := c.NotAfter.Sub(c.NotBefore)
	return c.NotBefore.Add(min(time.Hour, total/101))
}

// renewAt is two thirds into a certificate's life.
func renewAt(c *x509.Certificate) time.Time {
	start := issuedAt(c)
	return start.Add(c.NotAfter.Sub(start) * 2 / 3)
}

// parseBundle reads a Secret's data. It never fails: what does not parse is
// left out, and plan replaces it.
func parseBundle(data map[string][]byte) *bundle {
	b := &bundle{}
	for _, c := range parseCerts(data[KeyCACert]) {
		if c.IsCA && len(b.cas) < maxCAs {
			b.cas = append(b.cas, authority{cert: c})
		}
	}
	for _, k := range parseKeys(data[KeyCAKey]) {
		pub, ok := k.Public().(interface{ Equal(crypto.PublicKey) bool })
		if !ok {
			continue
		}
		for i := range b.cas {
			if b.cas[i].key == nil && pub.Equal(b.cas[i].cert.PublicKey) {
				b.cas[i].key = k
			}
		}
	}
	if pair, err := tls.X509KeyPair(data[KeyTLSCert], data[KeyTLSKey]); err == nil && pair.Leaf != nil {
		b.servingPEM, b.keyPEM, b.serving = data[KeyTLSCert], data[KeyTLSKey], pair.Leaf
	}
	return b
}

func parseCerts(data []byte) []*x509.Certificate {
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return out
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if c, err := x509.ParseCertificate(block.Bytes); err == nil {
			out = append(out, c)
		}
	}
}

func parseKeys(data []byte) []crypto.Signer {
	var out []crypto.Signer
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return out
		}
		if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
			if s, ok := k.(crypto.Signer); ok {
				out = append(out, s)
			}
		}
	}
}

// data encodes the bundle as Secret data.
func (b *bundle) data() (map[string][]byte, error) {
	var caCerts, caKeys bytes.Buffer
	for _, ca := range b.cas {
		if err := pem.Encode(&caCerts, &pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}); err != nil {
			return nil, err
		}
		if ca.key == nil {
			continue
		}
		der, err := x509.MarshalPKCS8PrivateKey(ca.key)
		if err != nil {
			return nil, err
		}
		if err := pem.Encode(&caKeys, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
			return nil, err
		}
	}
	return map[string][]byte{
		KeyTLSCert: b.servingPEM,
		KeyTLSKey:  b.keyPEM,
		KeyCACert:  caCerts.Bytes(),
		KeyCAKey:   caKeys.Bytes(),
	}, nil
}

// caBundle is the PEM trust bundle for the webhook configuration.
func (b *bundle) caBundle() []byte {
	var buf bytes.Buffer
	for _, ca := range b.cas {
		_ = pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})
	}
	return buf.Bytes()
}

func (b *bundle) pool() *x509.CertPool {
	p := x509.NewCertPool()
	for _, ca := range b.cas {
		p.AddCert(ca.cert)
	}
	return p
}

// servingProblem says why the serving certificate cannot be served as is at
// now, or "" when it can.
func (b *bundle) servingProblem(now time.Time, cfg *pkiConfig) string {
	if b.serving == nil {
		return "no valid serving certificate"
	}
	if !slices.Equal(sorted(b.serving.DNSNames), sorted(cfg.dnsNames)) || !sameIPs(b.serving.IPAddresses, cfg.ips) {
		return "serving certificate names changed"
	}
	if _, err := b.serving.Verify(x509.VerifyOptions{
		Roots: b.pool(), DNSName: cfg.dnsNames[0], CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}); err != nil {
		return "serving certificate does not verify: " + err.Error()
	}
	return ""
}

// plan returns the bundle as it must be at now, and what it changed
// (nothing: the same bundle and no changes). With renew false it only
// repairs what cannot be served; with renew true it also rotates what is
// two thirds through its life.
func plan(b *bundle, now time.Time, cfg *pkiConfig, renew bool) (*bundle, []string, error) {
	out := &bundle{servingPEM: b.servingPEM, keyPEM: b.keyPEM, serving: b.serving}
	var changes []string
	for _, ca := range b.cas {
		if now.Before(ca.cert.NotAfter) {
			out.cas = append(out.cas, ca)
		} else {
			changes = append(changes, "dropped expired CA "+ca.cert.SerialNumber.Text(16))
		}
	}

	needCA := ""
	switch {
	case len(out.cas) == 0:
		needCA = "created a CA"
	case out.cas[0].key == nil:
		needCA = "created a CA: the newest CA has no key"
	case renew && !now.Before(renewAt(out.cas[0].cert)):
		needCA = "rotated the CA, keeping the old one trusted until it expires"
	}
	if needCA != "" {
		ca, err := newCA(now, cfg.caLifetime)
		if err != nil {
			return nil, nil, err
		}
		out.cas = append([]authority{ca}, out.cas...)
		if len(out.cas) > maxCAs {
			out.cas = out.cas[:maxCAs]
		}
		changes = append(changes, needCA)
	}

	reason := out.servingProblem(now, cfg)
	if reason == "" && renew && !now.Before(renewAt(out.serving)) {
		reason = "serving certificate due for renewal"
	}
	if reason != "" {
		signer := pickSigner(out.cas, now, cfg.caPropagation)
		certPEM, keyPEM, leaf, err := issueServing(signer, now, cfg)
		if err != nil {
			return nil, nil, err
		}
		out.servingPEM, out.keyPEM, out.serving = certPEM, keyPEM, leaf
		changes = append(changes, "issued a serving certificate ("+reason+")")
	}
	if len(changes) == 0 {
		return b, nil, nil
	}
	return out, changes, nil
}

// pickSigner is the newest CA that has been trusted for the propagation
// delay; failing that (a first install), the newest CA with a key.
func pickSigner(cas []authority, now time.Time, propagation time.Duration) authority {
	var newest *authority
	for i := range cas {
		if cas[i].key == nil {
			continue
		}
		if newest == nil {
			newest = &cas[i]
		}
		if !now.Before(issuedAt(cas[i].cert).Add(propagation)) {
			return cas[i]
		}
	}
	return *newest // plan guarantees cas[0] has a key
}

// nextEvent is when, after now, the bundle next needs plan: a renewal, an
// expiry, or the end of a new CA's propagation delay. Times already past
// are done (plan has handled them), so they never make it due again.
func (b *bundle) nextEvent(now time.Time, cfg *pkiConfig) time.Time {
	var next time.Time
	consider := func(t time.Time) {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if b.serving != nil {
		consider(renewAt(b.serving))
	}
	for i, ca := range b.cas {
		if i == 0 {
			consider(renewAt(ca.cert))
			consider(issuedAt(ca.cert).Add(cfg.caPropagation))
		}
		consider(ca.cert.NotAfter)
	}
	return next
}

func newKey() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }

// newCA makes a self-signed CA that signs serving certificates only.
func newCA(now time.Time, lifetime time.Duration) (authority, error) {
	key, err := newKey()
	if err != nil {
		return authority{}, err
	}
	// No SerialNumber: CreateCertificate draws a random one (RFC 5280).
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: fmt.Sprintf("lightning-operator-webhook-ca@%d", now.Unix())},
		NotBefore:             now.Add(-backdate(lifetime)),
		NotAfter:              now.Add(lifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return authority{}, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return authority{}, err
	}
	return authority{cert: cert, key: key}, nil
}

// issueServing signs a serving certificate for the webhook Service. It
// never outlives its signer.
func issueServing(ca authority, now time.Time, cfg *pkiConfig) (certPEM, keyPEM []byte, leaf *x509.Certificate, err error) {
	if ca.key == nil {
		return nil, nil, nil, errors.New("no CA key to sign with")
	}
	key, err := newKey()
	if err != nil {
		return nil, nil, nil, err
	}
	notAfter := now.Add(cfg.certLifetime)
	if ca.cert.NotAfter.Before(notAfter) {
		notAfter = ca.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: cfg.dnsNames[0]},
		DNSNames:    cfg.dnsNames,
		IPAddresses: cfg.ips,
		NotBefore:   now.Add(-backdate(notAfter.Sub(now))),
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		return nil, nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, nil, err
	}
	leaf, err = x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), leaf, nil
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

func sameIPs(a, b []net.IP) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.ContainsFunc(b, x.Equal) {
			return false
		}
	}
	return true
}

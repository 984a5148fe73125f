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
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"
)

// certLifetime is long: the cluster is local and short-lived, and a
// restarted demo keeps its certificates.
const certLifetime = 5 * 365 * 24 * time.Hour

// ca is the cluster's one certificate authority. It signs the apiserver's
// serving certificate and every client certificate (admin, operator).
type ca struct {
	cert    *x509.Certificate
	certPEM []byte
	key     crypto.Signer
}

// loadOrCreateCA reads ca.crt and ca.key from dir, or makes them.
func loadOrCreateCA(dir string) (*ca, error) {
	certPath, keyPath := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	if certPEM, err := os.ReadFile(certPath); err == nil {
		keyPEM, err := os.ReadFile(keyPath)
		if err != nil {
			return nil, fmt.Errorf("reading the cluster CA key: %w", err)
		}
		cert, err := parseCertPEM(certPEM)
		if err != nil {
			return nil, err
		}
		key, err := parseKeyPEM(keyPEM)
		if err != nil {
			return nil, err
		}
		return &ca{cert: cert, certPEM: certPEM, key: key}, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	// No SerialNumber: CreateCertificate draws a random one (RFC 5280).
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "lightning-localcluster-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certLifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, _ := x509.ParseCertificate(der)
	c := &ca{cert: cert, certPEM: pemBlock("CERTIFICATE", der), key: key}
	keyPEM, err := marshalKey(key)
	if err != nil {
		return nil, err
	}
	if err := writeFile(keyPath, keyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := writeFile(certPath, c.certPEM, 0o644); err != nil {
		return nil, err
	}
	return c, nil
}

// issue signs a leaf certificate: a server certificate when hosts is not
// empty, a client certificate otherwise. It returns PEM cert and key.
func (c *ca) issue(commonName string, orgs []string, hosts []string) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: commonName, Organization: orgs},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(certLifetime),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if len(hosts) > 0 {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		for _, h := range hosts {
			if ip := net.ParseIP(h); ip != nil {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			} else {
				tmpl.DNSNames = append(tmpl.DNSNames, h)
			}
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, key.Public(), c.key)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err = marshalKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pemBlock("CERTIFICATE", der), keyPEM, nil
}

// ensureServingCert writes the apiserver's serving certificate once.
func (c *ca) ensureServingCert(certPath, keyPath string, hosts []string) error {
	if exists(certPath) && exists(keyPath) {
		return nil
	}
	certPEM, keyPEM, err := c.issue("kube-apiserver", nil, hosts)
	if err != nil {
		return err
	}
	if err := writeFile(keyPath, keyPEM, 0o600); err != nil {
		return err
	}
	return writeFile(certPath, certPEM, 0o644)
}

// apiserverKubeletClient is the user the apiserver authenticates as to
// the kubelet (logs, exec).
const apiserverKubeletClient = "kube-apiserver-kubelet-client"

// ensureClientCert writes a client certificate for user once.
func (c *ca) ensureClientCert(certPath, keyPath, user string) error {
	if exists(certPath) && exists(keyPath) {
		return nil
	}
	certPEM, keyPEM, err := c.issue(user, nil, nil)
	if err != nil {
		return err
	}
	if err := writeFile(keyPath, keyPEM, 0o600); err != nil {
		return err
	}
	return writeFile(certPath, certPEM, 0o644)
}

// ensureServiceAccountKey writes the RSA key pair the apiserver signs and
// verifies service account tokens with.
func ensureServiceAccountKey(keyPath, pubPath string) error {
	if exists(keyPath) && exists(pubPath) {
		return nil
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	if err := writeFile(keyPath, pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key)), 0o600); err != nil {
		return err
	}
	return writeFile(pubPath, pemBlock("PUBLIC KEY", pub), 0o644)
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func marshalKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pemBlock("EC PRIVATE KEY", der), nil
}

func parseCertPEM(data []byte) (*x509.Certificate, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, errors.New("the cluster CA certificate is not PEM")
	}
	return x509.ParseCertificate(b.Bytes)
}

func parseKeyPEM(data []byte) (crypto.Signer, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, errors.New("the cluster CA key is not PEM")
	}
	return x509.ParseECPrivateKey(b.Bytes)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// writeFile writes atomically, so an interrupted start leaves no half file.
func writeFile(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

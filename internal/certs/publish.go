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
	"context"
	"encoding/pem"
	"fmt"
	"os"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

// caPublisher writes the CAs that verify the serving certificate, as
// ca.crt in a ConfigMap of the operator's namespace, for whoever scrapes
// the metrics endpoint (a ServiceMonitor's tlsConfig.ca). Only
// certificates are ever re-encoded into it, so no key can leak there.
type caPublisher struct {
	reader client.Reader // live: ConfigMaps are not in the manager's cache
	writer client.Client
	key    types.NamespacedName
	log    logr.Logger
}

// publish makes ca.crt of the ConfigMap the certificates of bundle (PEM),
// creating the ConfigMap when missing. A nil publisher does nothing.
func (p *caPublisher) publish(ctx context.Context, bundle []byte) error {
	if p == nil {
		return nil
	}
	certs := parseCerts(bundle)
	if len(certs) == 0 {
		return fmt.Errorf("no CA certificate to publish in ConfigMap %s", p.key)
	}
	var want bytes.Buffer
	for _, c := range certs {
		_ = pem.Encode(&want, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}

	cm := &corev1.ConfigMap{}
	err := p.reader.Get(ctx, p.key, cm)
	if apierrors.IsNotFound(err) {
		cm = &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: p.key.Namespace, Name: p.key.Name, Labels: caLabels()},
			Data:       map[string]string{KeyCACert: want.String()},
		}
		if err := p.writer.Create(ctx, cm); err != nil {
			return fmt.Errorf("creating CA ConfigMap %s: %w", p.key, err)
		}
		p.log.Info("Published the CA of the serving certificate", "configMap", p.key, "cas", len(certs), "newestNotAfter", certs[0].NotAfter)
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading CA ConfigMap %s: %w", p.key, err)
	}
	if cm.Data[KeyCACert] == want.String() && len(cm.Data) == 1 && len(cm.BinaryData) == 0 {
		return nil
	}
	// Whatever else someone put there goes: the ConfigMap is the bundle only.
	cm.Data, cm.BinaryData = map[string]string{KeyCACert: want.String()}, nil
	if cm.Labels == nil {
		cm.Labels = map[string]string{}
	}
	for k, v := range caLabels() {
		cm.Labels[k] = v
	}
	if err := p.writer.Update(ctx, cm); err != nil { // guarded by its resourceVersion
		return fmt.Errorf("updating CA ConfigMap %s: %w", p.key, err)
	}
	p.log.Info("Published the CA of the serving certificate", "configMap", p.key, "cas", len(certs), "newestNotAfter", certs[0].NotAfter)
	return nil
}

// publishFile publishes the certificates of a ca.crt file: cert-manager
// writes the issuing CA there, beside the serving certificate it mounts.
func (p *caPublisher) publishFile(ctx context.Context, path string) error {
	if p == nil {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading the CA to publish: %w", err)
	}
	return p.publish(ctx, data)
}

func caLabels() map[string]string {
	return map[string]string{
		lightningv1alpha1.LabelManagedBy:    lightningv1alpha1.ManagedByValue,
		lightningv1alpha1.LabelName:         "lightning-operator",
		lightningv1alpha1.LabelComponentK8s: "metrics-ca",
	}
}

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

package e2e

import (
	"context"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/lightning-operator/lightning-operator/internal/keysecret"
	"github.com/lightning-operator/lightning-operator/internal/kms/kmstest"
	"github.com/lightning-operator/lightning-operator/test/images"
)

// The SoftHSM token the in-cluster plugin reads: provisioned on the host,
// handed to each replica's plugin in a Secret mounted read-only at
// kmsTokenMount, so both replicas' plugins hold the same key, as two
// clients of one cloud KMS key do.
const (
	kmsTokenSecret = "kms-plugin-softhsm-token"
	kmsTokenMount  = "/var/lib/softhsm"
	kmsTokenPIN    = "pin"
)

// createKMSTokenSecret initializes a SoftHSM token on the host, has the
// plugin make its key there (--make-key), and stores the token's files
// and PIN in the Secret kmsTokenSecret of the operator's namespace. It
// returns the plugin's key ID.
func createKMSTokenSecret(ctx context.Context) string {
	GinkgoHelper()
	module, ok := kmstest.SoftHSMModule()
	Expect(ok).To(BeTrue(), "softhsm2 on the host")
	dir, err := os.MkdirTemp(workDir, "kms-token-")
	Expect(err).NotTo(HaveOccurred())
	token, err := kmstest.InitToken(dir, module)
	Expect(err).NotTo(HaveOccurred())
	keyID, err := token.MakeKey(ctx, kmsPluginBin, false)
	Expect(err).NotTo(HaveOccurred())
	Expect(keyID).To(MatchRegexp(`^[0-9a-f]{16}$`), "the key ID --make-key printed")

	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: operatorNamespace, Name: kmsTokenSecret},
		Data:       map[string][]byte{kmsTokenPIN: []byte(kmstest.TokenPIN + "\n")},
	}
	Expect(filepath.WalkDir(token.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(token.Dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		s.Data[secretKeyOf(filepath.ToSlash(rel))] = data
		return err
	})).To(Succeed())
	Expect(len(s.Data)).To(BeNumerically(">", 3), "the token's files and the PIN")
	Expect(k8sClient.Create(ctx, s)).To(Succeed())
	return keyID
}

// secretKeyOf is the Secret key of a token file: a key holds no "/".
func secretKeyOf(rel string) string { return strings.ReplaceAll(rel, "/", "_") }

// kmsChartValues are the chart's kms values that run the SoftHSM plugin's
// image on the token in kmsTokenSecret, and wrap a plain keyring.
func kmsChartValues() map[string]any {
	GinkgoHelper()
	s := &corev1.Secret{}
	Expect(k8sClient.Get(context.Background(), types.NamespacedName{Namespace: operatorNamespace, Name: kmsTokenSecret}, s)).To(Succeed())
	var items []any
	for key := range s.Data {
		p := key
		if key != kmsTokenPIN {
			p = path.Join(path.Base(images.KMSPluginTokenDir), strings.Replace(key, "_", "/", 1))
		}
		items = append(items, map[string]any{"key": key, "path": p})
	}
	return map[string]any{
		"enabled":         true,
		"image":           images.KMSPlugin,
		"imagePullPolicy": "Never",
		"args": []any{
			"--listen=unix:///var/run/kmsplugin/socket.sock",
			"--token-label=" + kmstest.TokenLabel,
			"--pin-file=" + path.Join(kmsTokenMount, kmsTokenPIN),
		},
		"volumes": []any{map[string]any{"name": "softhsm-token", "secret": map[string]any{
			"secretName": kmsTokenSecret, "defaultMode": 0o444, "items": items,
		}}},
		"volumeMounts": []any{map[string]any{"name": "softhsm-token", "mountPath": kmsTokenMount, "readOnly": true}},
		"migrate":      true,
	}
}

// keyringSecret reads the operator's keyring Secret.
func keyringSecret(ctx context.Context) *corev1.Secret {
	GinkgoHelper()
	s := &corev1.Secret{}
	Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: operatorNamespace, Name: keysecret.DefaultSecretName}, s)).To(Succeed())
	return s
}

// eventReasons are the reasons of the Events about the object ns/name.
func eventReasons(ctx context.Context, ns, name string) []string {
	GinkgoHelper()
	events := &corev1.EventList{}
	Expect(k8sClient.List(ctx, events, client.InNamespace(ns))).To(Succeed())
	var reasons []string
	for _, e := range events.Items {
		if e.InvolvedObject.Name == name {
			reasons = append(reasons, e.Reason)
		}
	}
	return reasons
}

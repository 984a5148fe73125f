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
	"github.com/lightning-operator/lightning-operator/test/images/kmsimage"
)

// The SoftHSM token the in-cluster plugin reads: provisioned on the host,
// handed to each replica's plugin in a Secret mounted read-only at
// kmsTokenMount (the image's token directory is its tokens/), so both
// replicas' plugins hold the same key, as two clients of one cloud KMS key do.
const (
	kmsTokenSecret = "kms-plugin-softhsm-token"
	kmsTokenPIN    = "pin"
)

var kmsTokenMount = path.Dir(kmsimage.TokenDir)

// createKMSTokenSecret initializes a SoftHSM token on the host, has the
// plugin make its key there (--make-key), and stores the token's files
// and PIN in the Secret kmsTokenSecret of the operator's namespace. It
// returns the plugin's key ID and the Secret volume's items, which put
// each file back at its path under kmsTokenMount.
func createKMSTokenSecret(ctx context.Context) (string, []any) {
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
	items := []any{map[string]any{"key": kmsTokenPIN, "path": kmsTokenPIN}}
	Expect(filepath.WalkDir(token.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(token.Dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		// A Secret's key holds no "/".
		key := strings.ReplaceAll(filepath.ToSlash(rel), "/", "_")
		s.Data[key] = data
		items = append(items, map[string]any{"key": key, "path": path.Join(path.Base(kmsimage.TokenDir), filepath.ToSlash(rel))})
		return err
	})).To(Succeed())
	Expect(len(s.Data)).To(BeNumerically(">", 3), "the token's files and the PIN")
	Expect(k8sClient.Create(ctx, s)).To(Succeed())
	return keyID, items
}

// kmsChartValues are the chart's kms values that run the SoftHSM plugin's
// image on the token in kmsTokenSecret (items from createKMSTokenSecret),
// and wrap a plain keyring.
func kmsChartValues(items []any) map[string]any {
	return map[string]any{
		"enabled":         true,
		"image":           kmsimage.Name,
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

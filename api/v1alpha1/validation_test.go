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

package v1alpha1_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/lightning-operator/lightning-operator/internal/limits"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
	"github.com/lightning-operator/lightning-operator/internal/testenv"
)

// validEnvelope has the envelope's shape; the schema checks shape, not keys.
const validEnvelope = "v1:0123456789abcdef:AAECAwQFBgcICQoLDA0ODw=="

// manifest parses YAML as kubectl apply would send it.
func manifest(doc string) *unstructured.Unstructured {
	obj := &unstructured.Unstructured{}
	Expect(yaml.Unmarshal([]byte(doc), &obj.Object)).To(Succeed())
	return obj
}

func secretManifest(name, value string) string {
	return `
apiVersion: lightning.ai/v1alpha1
kind: LightningSecret
metadata: {name: "` + name + `", namespace: schema}
spec: {encryptedValue: "` + value + `"}`
}

func appManifest(name, spec string) string {
	return `
apiVersion: lightning.ai/v1alpha1
kind: LightningApp
metadata: {name: "` + name + `", namespace: schema}
spec:
  image: registry.example/app:1.0
` + spec
}

var _ = Describe("CRD schema", Ordered, ContinueOnFailure, func() {
	BeforeAll(func() {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "schema"}}
		Expect(k8sClient.Create(ctx, ns)).To(Succeed())
	})

	DescribeTable("refuses an invalid manifest, naming the field",
		func(doc, field, message string) {
			err := k8sClient.Create(ctx, manifest(doc))
			Expect(err).To(HaveOccurred(), "the apiserver accepted an invalid manifest")
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want 422 Invalid, got %v", err)
			Expect(err.Error()).To(ContainSubstring(field))
			Expect(err.Error()).To(ContainSubstring(message))
		},
		Entry("secret name starting with a digit",
			secretManifest("1password", validEnvelope),
			"metadata.name", "must start with a letter"),
		Entry("secret name with an underscore (RFC 1123)",
			secretManifest("github_api_token", validEnvelope),
			"metadata.name", "RFC 1123"),
		Entry("empty encryptedValue",
			secretManifest("empty", ""),
			"spec.encryptedValue", "at least 1 chars long"),
		Entry("missing encryptedValue",
			"apiVersion: lightning.ai/v1alpha1\nkind: LightningSecret\nmetadata: {name: missing, namespace: schema}\nspec: {}",
			"spec.encryptedValue", "Required value"),
		Entry("plaintext instead of an envelope",
			secretManifest("plain", "my-password"),
			"spec.encryptedValue", "must be a sealed envelope"),
		Entry("envelope with a short key ID",
			secretManifest("short-key", "v1:abc:AAEC"),
			"spec.encryptedValue", "must be a sealed envelope"),
		Entry("envelope with a non-base64 body",
			secretManifest("bad-body", "v1:0123456789abcdef:!not base64"),
			"spec.encryptedValue", "must be a sealed envelope"),
		Entry("a sealed value one byte over the limit, to one recipient",
			secretManifest("one-over", crafted("v2", 1, limits.MaxValue+1)),
			"spec.encryptedValue", "Forbidden: the sealed value is 131070 bytes, more than the 131069 one environment variable can carry"),
		Entry("a sealed value one byte over the limit, v1",
			secretManifest("one-over-v1", crafted("v1", 1, limits.MaxValue+1)),
			"spec.encryptedValue", "Forbidden: the sealed value is 131070 bytes, more than the 131069 one environment variable can carry"),
		Entry("a sealed value one byte over the limit, to eight recipients",
			secretManifest("one-over-8", crafted("v2", 8, limits.MaxValue+1)),
			"spec.encryptedValue", "Forbidden: the sealed value is 131070 bytes, more than the 131069 one environment variable can carry"),
		Entry("a value of 1 MiB, sealed by an older CLI",
			secretManifest("mebibyte", crafted("v2", 1, 1<<20)),
			"spec.encryptedValue", "Too long: may not be more than 187395 bytes"),

		Entry("env name starting with a digit",
			appManifest("env-digit", "  env: [{name: 1FOO, value: bar}]"),
			"spec.env[0].name", "must match ^[A-Za-z_][A-Za-z0-9_]*$"),
		Entry("env name with a trailing dash (anchored, unlike Lightning's check)",
			appManifest("env-dash", "  env: [{name: FOO-, value: bar}]"),
			"spec.env[0].name", "must match ^[A-Za-z_][A-Za-z0-9_]*$"),
		Entry("secret env name with a space",
			appManifest("secret-space", "  secrets: [{name: 'MY SECRET', secretRef: my-secret}]"),
			"spec.secrets[0].name", "must match ^[A-Za-z_][A-Za-z0-9_]*$"),
		Entry("env name twice",
			appManifest("env-twice", "  env: [{name: FOO, value: a}, {name: FOO, value: b}]"),
			"spec.env[1]", "Duplicate value"),
		Entry("secret env name twice",
			appManifest("secret-twice", "  secrets: [{name: S, secretRef: a}, {name: S, secretRef: b}]"),
			"spec.secrets[1]", "Duplicate value"),
		Entry("a name in both env and secrets",
			appManifest("both", "  env: [{name: TOKEN, value: a}]\n  secrets: [{name: TOKEN, secretRef: token}]"),
			"spec", "a name may appear in env or in secrets, not in both"),
		Entry("secretRef with an underscore",
			appManifest("ref-underscore", "  secrets: [{name: T, secretRef: github_api_token}]"),
			"spec.secrets[0].secretRef", "must be a LightningSecret name"),
		Entry("secretRef starting with a digit",
			appManifest("ref-digit", "  secrets: [{name: T, secretRef: 1token}]"),
			"spec.secrets[0].secretRef", "must be a LightningSecret name"),
		Entry("work name not under root",
			appManifest("work-root", "  works: [{name: work_a}]"),
			"spec.works[0].name", "must be a Lightning component path"),
		Entry("work name with an empty segment",
			appManifest("work-empty", "  works: [{name: root..a}]"),
			"spec.works[0].name", "must be a Lightning component path"),
		Entry("work name with a dash",
			appManifest("work-dash", "  works: [{name: root.work-a}]"),
			"spec.works[0].name", "must be a Lightning component path"),
		Entry("work name twice",
			appManifest("work-twice", "  works: [{name: root.a}, {name: root.a}]"),
			"spec.works[1]", "Duplicate value"),
		Entry("negative disk size",
			appManifest("disk", "  works: [{name: root.a, cloudCompute: {name: gpu, diskSize: -1}}]"),
			"spec.works[0].cloudCompute.diskSize", "should be greater than or equal to 0"),
		Entry("negative shm size",
			appManifest("shm", "  flow: {cloudCompute: {shmSize: -5}}"),
			"spec.flow.cloudCompute.shmSize", "should be greater than or equal to 0"),
		Entry("shm size that is not a number",
			appManifest("shm-str", "  flow: {cloudCompute: {shmSize: 2Gi}}"),
			"spec.flow.cloudCompute.shmSize", "must be of type integer"),
		Entry("compute name with capitals",
			appManifest("compute-name", "  flow: {cloudCompute: {name: GPU}}"),
			"spec.flow.cloudCompute.name", "should match"),
		Entry("an app name longer than a label value",
			appManifest(strings.Repeat("a", 64), ""),
			"metadata.name", "a LightningApp name is at most 63 characters"),
		Entry("an identity env name in env",
			appManifest("identity-env", "  env: [{name: LIGHTNING_CLOUD_APP_ID, value: x}]"),
			"spec.env", "are set by the operator"),
		Entry("an identity env name in secrets",
			appManifest("identity-secret", "  secrets: [{name: LIGHTNING_CLOUD_WORK_NAME, secretRef: s}]"),
			"spec.secrets", "are set by the operator"),
		Entry("missing image",
			"apiVersion: lightning.ai/v1alpha1\nkind: LightningApp\nmetadata: {name: no-image, namespace: schema}\nspec: {entrypoint: app.py}",
			"spec.image", "Required value"),
	)

	It("accepts the longest envelope: a value at the limit sealed to eight recipients, and to one", func() {
		longest := crafted("v2", 8, limits.MaxValue)
		Expect(longest).To(HaveLen(sealing.MaxEnvelopeLength))
		Expect(k8sClient.Create(ctx, manifest(secretManifest("longest", longest)))).To(Succeed())
		Expect(k8sClient.Create(ctx, manifest(secretManifest("at-limit", crafted("v2", 1, limits.MaxValue))))).To(Succeed())
		Expect(k8sClient.Create(ctx, manifest(secretManifest("at-limit-v1", crafted("v1", 1, limits.MaxValue))))).To(Succeed())
	})

	It("accepts valid component paths, names and an env var with an empty value", func() {
		doc := appManifest("valid", `  works:
  - {name: root.work_a, cloudCompute: {name: gpu, diskSize: 80, shmSize: 1024}}
  - {name: root.works.0}
  - {name: root._private.Nested_2}
  env: [{name: FOO, value: bar}, {name: _EMPTY, value: ""}, {name: WITH_EQ, value: "a=b"}]
  secrets: [{name: MY_APP_SECRET, secretRef: my-secret}, {name: OTHER, secretRef: my-secret}, {name: DOTTED, secretRef: a.b-c}]`)
		Expect(k8sClient.Create(ctx, manifest(doc))).To(Succeed())
		Expect(k8sClient.Create(ctx, manifest(appManifest(strings.Repeat("a", 63), "")))).To(Succeed(), "63 characters fit a label value")
	})

	It("defaults the entrypoint and the compute preset", func() {
		obj := manifest(appManifest("defaults", "  flow: {cloudCompute: {diskSize: 10}}"))
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		entrypoint, _, _ := unstructured.NestedString(obj.Object, "spec", "entrypoint")
		Expect(entrypoint).To(Equal("app.py"))
		compute, _, _ := unstructured.NestedString(obj.Object, "spec", "flow", "cloudCompute", "name")
		Expect(compute).To(Equal("default"))
	})

	It("accepts every sample in config/samples", func() {
		files, err := filepath.Glob(filepath.Join(testenv.RepoRoot(), "config", "samples", "*.yaml"))
		Expect(err).NotTo(HaveOccurred())
		var created int
		for _, file := range files {
			if filepath.Base(file) == "kustomization.yaml" {
				continue
			}
			data, err := os.ReadFile(file)
			Expect(err).NotTo(HaveOccurred())
			decoder := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(string(data)), 4096)
			for {
				obj := &unstructured.Unstructured{}
				err := decoder.Decode(&obj.Object)
				if errors.Is(err, io.EOF) {
					break
				}
				Expect(err).NotTo(HaveOccurred(), "sample %s", file)
				if len(obj.Object) == 0 {
					continue
				}
				obj.SetNamespace("schema")
				Expect(k8sClient.Create(ctx, obj)).To(Succeed(), "sample %s %s", file, obj.GetName())
				created++
			}
		}
		Expect(created).To(BeNumerically(">=", 2), "want at least one LightningSecret and one LightningApp sample")
	})
})

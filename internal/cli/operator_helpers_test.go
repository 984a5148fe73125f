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

package cli_test

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
	"github.com/lightning-operator/lightning-operator/internal/cli/recovery"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/keysecret"
	"github.com/lightning-operator/lightning-operator/internal/operator"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

var setLoggerOnce sync.Once

// runOperator runs the operator's manager, as main.go builds it (the same
// operator.Setup: keyring rotator, both controllers), until the spec ends.
// Its cache holds only opNS (its keyring and public keys) and namespaces,
// so it leaves the rest of the suite's objects alone.
func runOperator(opNS string, defaultRecipients []*sealing.PublicKey, namespaces ...string) {
	GinkgoHelper()
	setLoggerOnce.Do(func() { ctrl.SetLogger(GinkgoLogr) })
	cacheOpts := operator.CacheOptions("")
	cacheOpts.DefaultNamespaces = map[string]cache.Config{opNS: {}}
	for _, ns := range namespaces {
		cacheOpts.DefaultNamespaces[ns] = cache.Config{}
	}
	mgr, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme:                 k8sClient.Scheme(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  cacheOpts,
		// Each spec runs its own manager: the controller names repeat.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	Expect(err).NotTo(HaveOccurred())
	mctx, stop := context.WithCancel(context.Background())
	Expect(operator.Setup(mctx, mgr, operator.Options{
		Namespace:         opNS,
		DefaultRecipients: defaultRecipients,
		KeyCheckInterval:  500 * time.Millisecond,
		Workers:           2,
	})).To(Succeed())
	done := make(chan struct{})
	go func() {
		defer GinkgoRecover()
		defer close(done)
		Expect(mgr.Start(mctx)).To(Succeed())
	}()
	DeferCleanup(func() {
		stop()
		Eventually(done, 30*time.Second).Should(BeClosed())
	})
}

// secretStatus reads a LightningSecret's status, for Eventually.
func secretStatus(ns, name string) func() lightningv1alpha1.LightningSecretStatus {
	return func() lightningv1alpha1.LightningSecretStatus {
		s := &lightningv1alpha1.LightningSecret{}
		if err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, s); err != nil {
			return lightningv1alpha1.LightningSecretStatus{}
		}
		return s.Status
	}
}

// readyWith matches the status of a value that opens with key id.
func readyWith(id string) OmegaMatcher {
	return And(HaveField("KeyID", id), WithTransform(func(s lightningv1alpha1.LightningSecretStatus) bool {
		return meta.IsStatusConditionTrue(s.Conditions, lightningv1alpha1.ConditionReady)
	}, BeTrue()))
}

// rotations makes each rotate's clock later than the last one's.
var rotations time.Duration

// rotate gives the keyring in opNS a new current key, as the operator's
// leader does at a --key-cutoff, and publishes it. Its clock runs ahead, and
// further at each call, so the cutoff is always after the newest key.
func rotate(opNS string, defaultRecipients ...*sealing.PublicKey) *keyring.Keyring {
	GinkgoHelper()
	rotations += 10 * time.Second
	ahead := rotations
	later := func() time.Time { return time.Now().Add(ahead) }
	rotated, changed := syncKeyring(keysecret.NewWriter(k8sClient, k8sClient, keysecret.Options{
		Namespace: opNS, Cutoff: time.Now().Add(ahead - time.Second), DefaultRecipients: defaultRecipients,
	}, later))
	Expect(changed).To(BeTrue())
	registerRing(rotated)
	return rotated
}

// syncKeyring syncs as the leader would. A running operator's keyring
// controller publishes the public keys too, on the keyring's change: a
// conflict there is retried, and a change made by any attempt counts.
func syncKeyring(w *keysecret.Writer) (*keyring.Keyring, bool) {
	GinkgoHelper()
	var ring *keyring.Keyring
	changedOnce := false
	Eventually(func() error {
		var changed bool
		var err error
		ring, changed, err = w.Sync(ctx, func(context.Context) (bool, error) { return true, nil })
		changedOnce = changedOnce || changed
		return err
	}).Should(Succeed())
	return ring, changedOnce
}

// publicKeysConfigMap reads the operator's published public keys.
func publicKeysConfigMap(opNS string) map[string]string {
	cm := &corev1.ConfigMap{}
	if err := k8sClient.Get(ctx, types.NamespacedName{Namespace: opNS, Name: cmdutil.PublicKeysConfigMap}, cm); err != nil {
		return nil
	}
	return cm.Data
}

// Secrets of the new commands' tests besides the keyrings: recovery keys'
// seeds and the files that hold them. Every output is grepped for them.
var (
	seedsMu sync.Mutex
	seeds   [][]byte
	wholes  []string
)

// readRecoveryFile parses a recovery key file and registers its seed and
// its text, so that every output is grepped for them.
func readRecoveryFile(t interface{ Fatal(...any) }, path string) *sealing.PrivateKey {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != recovery.KeyPEMType {
		t.Fatal(path + " holds no recovery key block")
	}
	key, err := sealing.ParsePrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	registerSeed(key.Bytes())
	seedsMu.Lock()
	wholes = append(wholes, string(pem.EncodeToMemory(block)))
	seedsMu.Unlock()
	return key
}

func registerSeed(seed []byte) {
	seedsMu.Lock()
	defer seedsMu.Unlock()
	seeds = append(seeds, seed)
}

// leaksSeed says whether text holds any registered seed, in any of the forms
// material checks for keyrings (any 24 characters of them), or a whole
// recovery key block.
func leaksSeed(text string) bool {
	seedsMu.Lock()
	defer seedsMu.Unlock()
	for _, w := range wholes {
		if strings.Contains(text, w) {
			return true
		}
	}
	for _, seed := range seeds {
		for _, m := range []string{base64.StdEncoding.EncodeToString(seed), base64.RawURLEncoding.EncodeToString(seed),
			fmt.Sprintf("%x", seed), string(seed), fmt.Sprint(seed)} {
			for i := 0; i+24 <= len(m); i++ {
				if strings.Contains(text, m[i:i+24]) {
					return true
				}
			}
		}
	}
	return false
}

var registerSuiteRing sync.Once

// expectClean fails the spec when text holds a value or any key material:
// of every registered keyring (the suite's own too) and recovery key.
func expectClean(text string, values ...string) {
	GinkgoHelper()
	registerSuiteRing.Do(func() { registerRing(ring) })
	for _, v := range values {
		Expect(text).NotTo(ContainSubstring(v), "the output holds a value")
	}
	kr, leaked := leaksMaterial(text)
	Expect(leaked).To(BeFalse(), "the output holds key material of %s", kr)
	Expect(leaksSeed(text)).To(BeFalse(), "the output holds a recovery key's seed")
}

// klClean is kl that fails the spec when stdout or stderr holds any of
// values or any registered key material, and writes the run to
// GinkgoWriter as a transcript (go test -ginkgo.v shows it).
func klClean(inv invocation, values []string, args ...string) result {
	GinkgoHelper()
	r := klWith(inv, args...)
	transcript(args, r)
	expectClean(r.stdout+r.stderr, values...)
	return r
}

// runClean is runCLI without a cluster, checked and written down as
// klClean does.
func runClean(inv invocation, values []string, args ...string) result {
	GinkgoHelper()
	r := runCLI(inv, args...)
	transcript(args, r)
	expectClean(r.stdout+r.stderr, values...)
	return r
}

func transcript(args []string, r result) {
	fmt.Fprintf(GinkgoWriter, "$ kubectl lightning %s\n%s%s(exit %d)\n\n", strings.Join(args, " "), r.stderr, r.stdout, r.code)
}

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

package controllers

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/keyring"
	"github.com/lightning-operator/lightning-operator/internal/keysecret"
	"github.com/lightning-operator/lightning-operator/internal/limits"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

type oneKey struct{ k *sealing.PrivateKey }

func (o oneKey) PrivateKey(id string) (*sealing.PrivateKey, bool) { return o.k, id == o.k.ID() }

// The reasons come from sealing.Reason; this keeps its strings the API's.
func TestOpenCondition(t *testing.T) {
	key, err := sealing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	scope := sealing.Scope{Namespace: "ns", Name: "name"}
	env, err := sealing.Seal(key.Public(), scope, []byte("canary-value"))
	if err != nil {
		t.Fatal(err)
	}
	openErr := func(keys sealing.KeyLookup, scope sealing.Scope, env string) error {
		_, err := sealing.Open(keys, scope, env)
		if err == nil {
			t.Fatalf("%q opened", env)
		}
		return err
	}
	tests := []struct {
		name        string
		err         error
		wantReason  string
		wantMessage string
	}{
		{"opens", nil, lightningv1alpha1.ReasonSealed, "opens with sealing key"},
		{"malformed", openErr(oneKey{key}, scope, "not-an-envelope"), lightningv1alpha1.ReasonMalformed, "malformed sealed value"},
		{"unknown version", openErr(oneKey{key}, scope, "v9"+env[2:]), lightningv1alpha1.ReasonUnknownVersion, "version v9"},
		{"key not found", openErr(nil, scope, env), lightningv1alpha1.ReasonKeyNotFound, "is not in the operator's keyring"},
		{"tampered", openErr(oneKey{key}, sealing.Scope{Namespace: "ns", Name: "other"}, env), lightningv1alpha1.ReasonTampered, "sealed for another name or namespace"},
		{"keyring missing", fmt.Errorf("%w: x", keysecret.ErrMissing), lightningv1alpha1.ReasonKeyNotFound, "keyring is missing"},
		{"keyring corrupt", keyring.ErrCorrupt, lightningv1alpha1.ReasonKeyNotFound, "keyring cannot be read"},
		// keysecret.Source's error while the plugin is down (TestKMSPluginDown
		// checks it wraps keyring.ErrKMS).
		{"the KMS plugin down", fmt.Errorf("keyring Secret lightning-system/lightning-operator-keyring is wrapped by a KMS, and the KMS plugin cannot open it now: %w", keyring.ErrKMS),
			lightningv1alpha1.ReasonKMSUnavailable, "The operator's keyring cannot be opened now, so sealing key " + key.ID() + " is unavailable; it opens once the KMS plugin answers: keyring Secret lightning-system/lightning-operator-keyring is wrapped by a KMS"},
		{"a wrapped keyring and no KMS plugin configured: not waiting", fmt.Errorf("keyring Secret x/y: %w", keysecret.ErrNoKMS),
			lightningv1alpha1.ReasonKeyNotFound, "The operator's keyring cannot be read, so sealing key " + key.ID() + " is unavailable: keyring Secret x/y: it is wrapped by a KMS, and no KMS plugin is configured (--kms-endpoint)"},
		{"a NUL byte", limits.CheckValue([]byte("canary\x00")), lightningv1alpha1.ReasonValueHasNUL,
			"The value opens with sealing key " + key.ID() + ", but the 7-byte value holds a NUL byte, which an environment variable cannot carry: " +
				"each NAME=value string ends at its first NUL; seal one an environment variable can carry"},
		{"longer than env carries", limits.CheckValue([]byte("canary" + strings.Repeat("x", limits.MaxValue))), lightningv1alpha1.ReasonValueTooLong,
			"The value opens with sealing key " + key.ID() + ", but the value is 131075 bytes, more than the 131069 an environment variable can carry: " +
				"Linux passes at most 131072 bytes (MAX_ARG_STRLEN) for NAME=value and its NUL, so 131069 under a one-character name; seal one an environment variable can carry"},
	}
	for _, tt := range tests {
		reason, message := openCondition(openResult{keyID: key.ID(), err: tt.err}, "ns", "name")
		if reason != tt.wantReason || !strings.Contains(message, tt.wantMessage) {
			t.Errorf("%s: got %q, %q; want %q, a message with %q", tt.name, reason, message, tt.wantReason, tt.wantMessage)
		}
		if strings.Contains(message, "canary") {
			t.Errorf("%s: the message holds the value", tt.name)
		}
	}
}

func TestDesiredSecretStatusVersion(t *testing.T) {
	prev := lightningv1alpha1.LightningSecretStatus{KeyID: "old", Version: "0123456789abcdef"}
	tests := []struct {
		name        string
		res         openResult
		wantVersion string
		wantReady   string
	}{
		{"a value that opens shows its version", openResult{keyID: "k", version: "fedcba9876543210"}, "fedcba9876543210", "True"},
		{"a value that no longer opens shows none", openResult{keyID: "k", err: keyring.ErrCorrupt}, "", "False"},
		{"a keyring without version key yet shows none, and still opens", openResult{keyID: "k"}, "", "True"},
		{"a value env cannot carry opens, shows its version, and is not Ready", openResult{keyID: "k", version: "fedcba9876543210", err: limits.CheckValue([]byte{0})}, "fedcba9876543210", "False"},
		{"a value waiting for the KMS plugin is not Ready, and not Stalled", openResult{keyID: "k", err: fmt.Errorf("down: %w", keyring.ErrKMS)}, "", "False"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := desiredSecretStatus(prev, 2, "ns", "name", tt.res, nil)
			if st.Version != tt.wantVersion {
				t.Errorf("Version = %q, want %q", st.Version, tt.wantVersion)
			}
			ready := meta.FindStatusCondition(st.Conditions, lightningv1alpha1.ConditionReady)
			if ready == nil || string(ready.Status) != tt.wantReady {
				t.Fatalf("Conditions = %+v, want Ready=%s", st.Conditions, tt.wantReady)
			}
			// Stalled (kstatus: Failed) exactly while the value does not open
			// and waiting cannot help, with Ready's reason; it goes when the
			// value opens again.
			stalled := meta.FindStatusCondition(st.Conditions, lightningv1alpha1.ConditionStalled)
			wantStalled := tt.wantReady == "False" && ready.Reason != lightningv1alpha1.ReasonKMSUnavailable
			if (stalled != nil) != wantStalled || (stalled != nil && (stalled.Reason != ready.Reason || stalled.Status != "True")) {
				t.Errorf("Stalled = %+v with Ready %+v", stalled, ready)
			}
			healed := desiredSecretStatus(st, 3, "ns", "name", openResult{keyID: "k", version: "v"}, nil)
			if meta.FindStatusCondition(healed.Conditions, lightningv1alpha1.ConditionStalled) != nil {
				t.Errorf("Stalled stayed after the value opened: %+v", healed.Conditions)
			}
		})
	}
}

func TestFirstStatusHold(t *testing.T) {
	made := time.Unix(1000, 0)
	newSecret := &lightningv1alpha1.LightningSecret{ObjectMeta: metav1.ObjectMeta{Name: "s", CreationTimestamp: metav1.NewTime(made)}}
	withStatus := newSecret.DeepCopy()
	withStatus.Status.ObservedGeneration = 1
	resealAsked := newSecret.DeepCopy()
	resealAsked.Annotations = map[string]string{lightningv1alpha1.AnnotationResealRequest: "r1"}
	// When the youngest starting app stops holding.
	starting := made.Add(firstStatusHoldMax)
	stuck := made.Add(-25 * time.Second).Add(firstStatusHoldMax)
	tests := []struct {
		name     string
		lsec     *lightningv1alpha1.LightningSecret
		starting time.Time
		now      time.Time
		want     time.Duration
	}{
		{"no app is starting", newSecret, time.Time{}, made, 0},
		{"apps are starting", newSecret, starting, made.Add(10 * time.Second), 20 * time.Second},
		{"held long enough", newSecret, starting, made.Add(firstStatusHoldMax + time.Second), 0},
		{"an app that never got its status holds 30 s after it was made", newSecret, stuck, made, 5 * time.Second},
		{"an app stuck longer holds nothing", newSecret, stuck, made.Add(6 * time.Second), 0},
		{"not its first status", withStatus, starting, made, 0},
		{"a re-seal request is answered at once", resealAsked, starting, made, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := firstStatusHold(tt.lsec, tt.starting, tt.now); got != tt.want {
				t.Fatalf("firstStatusHold = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStartingIndexKeys(t *testing.T) {
	now := time.Date(2026, 12, 7, 21, 0, 30, 500_000_000, time.UTC)
	keys := startingIndexKeys(now)
	for _, tt := range []struct {
		created time.Time
		want    bool
	}{
		{now, true},
		{now.Add(-29 * time.Second), true},
		{now.Add(4 * time.Second), true}, // the apiserver's clock a little ahead
		{now.Add(-31 * time.Second), false},
		{now.Add(10 * time.Second), false},
	} {
		if got := slices.Contains(keys, startingIndexKey(tt.created)); got != tt.want {
			t.Errorf("an app made at %s is looked up: %v, want %v", tt.created.Format(time.RFC3339), got, tt.want)
		}
	}
	if keys[0] != startingIndexKey(now.Add(startingSkew)) {
		t.Errorf("the youngest key comes first: got %s", keys[0])
	}
}

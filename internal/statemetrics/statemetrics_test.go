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

package statemetrics

import (
	"reflect"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

func cond(typ string, st metav1.ConditionStatus) metav1.Condition {
	return metav1.Condition{Type: typ, Status: st, Reason: "Any"}
}

func app(ns, name string, conds ...metav1.Condition) lightningv1alpha1.LightningApp {
	a := lightningv1alpha1.LightningApp{}
	a.Namespace, a.Name, a.Status.Conditions = ns, name, conds
	return a
}

func secret(ns, name, keyID string, keyIDs []string, conds ...metav1.Condition) lightningv1alpha1.LightningSecret {
	s := lightningv1alpha1.LightningSecret{}
	s.Namespace, s.Name, s.Status.Conditions = ns, name, conds
	s.Status.KeyID, s.Status.KeyIDs = keyID, keyIDs
	return s
}

// series is a condition's three samples, in True, False, Unknown order.
func series(metric, ns, name, typ string, t, f, u float64) []Sample {
	return []Sample{
		{metric, []string{ns, name, typ, "True"}, t},
		{metric, []string{ns, name, typ, "False"}, f},
		{metric, []string{ns, name, typ, "Unknown"}, u},
	}
}

func join(parts ...[]Sample) []Sample {
	var out []Sample
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestSamples(t *testing.T) {
	const oldKey, newKey, recovery = "1111111111111111", "2222222222222222", "9999999999999999"
	made := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	keys := []Key{{oldKey, made}, {newKey, made.Add(720 * time.Hour)}}
	for _, tt := range []struct {
		name    string
		apps    []lightningv1alpha1.LightningApp
		secrets []lightningv1alpha1.LightningSecret
		keys    []Key
		want    []Sample
	}{
		{name: "nothing"},
		{
			name: "an app's conditions: 1 for the current status, 0 for the others",
			apps: []lightningv1alpha1.LightningApp{app("alice", "my-app",
				cond(lightningv1alpha1.ConditionSecretsResolved, metav1.ConditionTrue),
				cond(lightningv1alpha1.ConditionReady, metav1.ConditionFalse))},
			want: join(
				series(AppCondition, "alice", "my-app", "SecretsResolved", 1, 0, 0),
				series(AppCondition, "alice", "my-app", "Ready", 0, 1, 0)),
		},
		{
			name: "an Unknown condition, and an app not reconciled yet has no series",
			apps: []lightningv1alpha1.LightningApp{
				app("alice", "new-app"),
				app("bob", "other", cond(lightningv1alpha1.ConditionReady, metav1.ConditionUnknown))},
			want: series(AppCondition, "bob", "other", "Ready", 0, 0, 1),
		},
		{
			name: "keys of the keyring nothing is sealed to count 0, with their creation time",
			keys: keys,
			want: []Sample{
				{KeyCreated, []string{oldKey}, float64(made.Unix())},
				{KeyCreated, []string{newKey}, float64(made.Unix() + 720*3600)},
				{SealedToKey, []string{oldKey}, 0},
				{SealedToKey, []string{newKey}, 0},
			},
		},
		{
			name: "secrets count once per recipient, foreign keys (a recovery key) included",
			secrets: []lightningv1alpha1.LightningSecret{
				secret("alice", "a", oldKey, []string{oldKey, recovery}, cond(lightningv1alpha1.ConditionReady, metav1.ConditionTrue)),
				// Sealed to both: status.keyID names the old key only.
				secret("alice", "b", oldKey, []string{oldKey, newKey}, cond(lightningv1alpha1.ConditionReady, metav1.ConditionTrue)),
				secret("bob", "c", newKey, []string{newKey, newKey, recovery}, cond(lightningv1alpha1.ConditionReady, metav1.ConditionFalse)),
			},
			keys: keys,
			want: join(
				series(SecretCondition, "alice", "a", "Ready", 1, 0, 0),
				series(SecretCondition, "alice", "b", "Ready", 1, 0, 0),
				series(SecretCondition, "bob", "c", "Ready", 0, 1, 0),
				[]Sample{
					{KeyCreated, []string{oldKey}, float64(made.Unix())},
					{KeyCreated, []string{newKey}, float64(made.Unix() + 720*3600)},
					{SealedToKey, []string{oldKey}, 2},
					{SealedToKey, []string{newKey}, 2},
					{SealedToKey, []string{recovery}, 2},
				}),
		},
		{
			name: "a status without keyIDs counts its keyID; one without either counts nowhere",
			secrets: []lightningv1alpha1.LightningSecret{
				secret("alice", "old-status", oldKey, nil),
				secret("alice", "not-reconciled", "", nil),
			},
			want: []Sample{{SealedToKey, []string{oldKey}, 1}},
		},
		{
			name: "no keyring: secrets still count by key ID",
			secrets: []lightningv1alpha1.LightningSecret{
				secret("alice", "a", oldKey, []string{oldKey}, cond(lightningv1alpha1.ConditionReady, metav1.ConditionFalse)),
			},
			want: join(
				series(SecretCondition, "alice", "a", "Ready", 0, 1, 0),
				[]Sample{{SealedToKey, []string{oldKey}, 1}}),
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := Samples(tt.apps, tt.secrets, tt.keys)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Samples:\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

// Every metric has its labels and help, so the collector can describe it.
func TestDescriptions(t *testing.T) {
	for _, m := range []string{AppCondition, SecretCondition, SealedToKey, KeyCreated} {
		if len(labelNames[m]) == 0 || help[m] == "" || descs[m] == nil {
			t.Errorf("%s: labels %v, help %q", m, labelNames[m], help[m])
		}
	}
}

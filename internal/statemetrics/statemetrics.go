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

// Package statemetrics exports gauges of the state of LightningApps,
// LightningSecrets and the keyring, computed at scrape time from the
// manager's informer cache: no API call and no bookkeeping per reconcile,
// and a deleted object's series go with it. Only names, condition types and
// key IDs become labels, never a value or key material.
package statemetrics

import (
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

// Metric names.
const (
	AppCondition    = "lightning_app_status_condition"
	SecretCondition = "lightning_secret_status_condition"
	SealedToKey     = "lightning_secrets_sealed_to_key"
	KeyCreated      = "lightning_keyring_key_created_timestamp_seconds"
)

// Label names, in the order of Sample.Labels. "condition" and "status" as
// in External Secrets' externalsecret_status_condition and
// kube-state-metrics, so alerts read the same.
var labelNames = map[string][]string{
	AppCondition:    {"namespace", "name", "condition", "status"},
	SecretCondition: {"namespace", "name", "condition", "status"},
	SealedToKey:     {"key_id"},
	KeyCreated:      {"key_id"},
}

var help = map[string]string{
	AppCondition:    "Status of each condition of a LightningApp: 1 for the condition's current status (True, False or Unknown), 0 for the others.",
	SecretCondition: "Status of each condition of a LightningSecret: 1 for the condition's current status (True, False or Unknown), 0 for the others.",
	SealedToKey:     "LightningSecrets whose value is sealed to the key (status.keyIDs: every recipient, this cluster's keys, other clusters', a recovery key); 0 for a key of the keyring that nothing is sealed to.",
	KeyCreated:      "When each sealing key of the keyring was made, in Unix seconds; the newest one seals.",
}

// conditionStatuses are the values of the status label, each condition
// getting one series per value so `== 1` alerts see the current one.
var conditionStatuses = []metav1.ConditionStatus{metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionUnknown}

// Key is what the gauges show of a sealing key: its ID and age, never the key.
type Key struct {
	ID      string
	Created time.Time
}

// Sample is one series: a metric, its label values and its value.
type Sample struct {
	Metric string
	Labels []string
	Value  float64
}

// Samples are the series for the given objects and keyring keys. Secrets
// are counted per recipient in status.keyIDs, the key IDs the operator read
// from the envelope: that is what `keyring retire` refuses on and what
// `secret reseal --all` moves, where status.keyID names only the first of
// this cluster's keys that opens the value and would hide an old key beside
// it. A status written before keyIDs existed counts its keyID.
func Samples(apps []lightningv1alpha1.LightningApp, secrets []lightningv1alpha1.LightningSecret, keys []Key) []Sample {
	var out []Sample
	for i := range apps {
		a := &apps[i]
		out = appendConditions(out, AppCondition, a.Namespace, a.Name, a.Status.Conditions)
	}
	sealed := map[string]int{}
	for i := range secrets {
		s := &secrets[i]
		out = appendConditions(out, SecretCondition, s.Namespace, s.Name, s.Status.Conditions)
		ids := s.Status.KeyIDs
		if len(ids) == 0 && s.Status.KeyID != "" {
			ids = []string{s.Status.KeyID}
		}
		for j, id := range ids {
			if !slices.Contains(ids[:j], id) { // once per secret
				sealed[id]++
			}
		}
	}
	// Every key of the keyring has a count, 0 once nothing is sealed to it:
	// the key can then be retired.
	for _, k := range keys {
		if _, ok := sealed[k.ID]; !ok {
			sealed[k.ID] = 0
		}
		out = append(out, Sample{Metric: KeyCreated, Labels: []string{k.ID}, Value: float64(k.Created.Unix())})
	}
	ids := make([]string, 0, len(sealed))
	for id := range sealed {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		out = append(out, Sample{Metric: SealedToKey, Labels: []string{id}, Value: float64(sealed[id])})
	}
	return out
}

func appendConditions(out []Sample, metric, namespace, name string, conds []metav1.Condition) []Sample {
	for _, c := range conds {
		for _, st := range conditionStatuses {
			v := 0.0
			if c.Status == st {
				v = 1
			}
			out = append(out, Sample{Metric: metric, Labels: []string{namespace, name, c.Type, string(st)}, Value: v})
		}
	}
	return out
}

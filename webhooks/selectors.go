package webhooks

import (
	"context"
	"slices"
	"time"

	"github.com/go-logr/logr"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

// The leader reads and patches the webhook's own registration.
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=mutatingwebhookconfigurations,verbs=get;patch,resourceNames=lightning-operator-mutating-webhook-configuration

// namespaceNameLabel is set by the apiserver on every namespace.
const namespaceNameLabel = corev1.LabelMetadataName

// selectorEnforcer keeps the pod webhook's selectors as the operator needs
// them, whatever namespace it was installed into: the generated manifest can
// only name the default namespace. It adds what is missing and removes
// nothing, so a stricter selector a cluster admin set stays.
type selectorEnforcer struct {
	reader     client.Reader // live: the configuration is not cached
	writer     client.Client
	configName string
	excluded   []string
	interval   time.Duration
	log        logr.Logger
}

var (
	_ manager.Runnable               = (*selectorEnforcer)(nil)
	_ manager.LeaderElectionRunnable = (*selectorEnforcer)(nil)
)

// NeedLeaderElection makes only the leader write the configuration.
func (s *selectorEnforcer) NeedLeaderElection() bool { return true }

// Start checks the selectors now and then every interval.
func (s *selectorEnforcer) Start(ctx context.Context) error {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		if err := s.enforce(ctx); err != nil && ctx.Err() == nil {
			s.log.Error(err, "Failed to check the pod webhook's selectors", "configuration", s.configName)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (s *selectorEnforcer) enforce(ctx context.Context) error {
	cfg := &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := s.reader.Get(ctx, types.NamespacedName{Name: s.configName}, cfg); err != nil {
		if apierrors.IsNotFound(err) {
			s.log.V(1).Info("Found no webhook configuration yet", "configuration", s.configName)
			return nil
		}
		return err
	}
	orig := cfg.DeepCopy()
	changed := false
	for i := range cfg.Webhooks {
		if cfg.Webhooks[i].Name == PodWebhookName && ensureSelectors(&cfg.Webhooks[i], s.excluded) {
			changed = true
		}
	}
	if !changed {
		return nil
	}
	// The optimistic lock makes a concurrent caBundle patch win, not vanish:
	// the merge patch replaces the whole webhooks list.
	patch := client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})
	if err := s.writer.Patch(ctx, cfg, patch); err != nil {
		return err
	}
	s.log.Info("Updated the pod webhook's selectors", "configuration", s.configName, "excludedNamespaces", s.excluded)
	return nil
}

// ensureSelectors makes w select only pods labelled lightning.ai/app, outside
// the excluded namespaces. It reports whether it changed w.
func ensureSelectors(w *admissionregistrationv1.MutatingWebhook, excluded []string) bool {
	changed := false
	if w.ObjectSelector == nil {
		w.ObjectSelector = &metav1.LabelSelector{}
	}
	appExists := metav1.LabelSelectorRequirement{Key: lightningv1alpha1.LabelApp, Operator: metav1.LabelSelectorOpExists}
	if !slices.ContainsFunc(w.ObjectSelector.MatchExpressions, func(r metav1.LabelSelectorRequirement) bool {
		return r.Key == appExists.Key && r.Operator == appExists.Operator
	}) {
		w.ObjectSelector.MatchExpressions = append(w.ObjectSelector.MatchExpressions, appExists)
		changed = true
	}

	if w.NamespaceSelector == nil {
		w.NamespaceSelector = &metav1.LabelSelector{}
	}
	exprs := w.NamespaceSelector.MatchExpressions
	i := slices.IndexFunc(exprs, func(r metav1.LabelSelectorRequirement) bool {
		return r.Key == namespaceNameLabel && r.Operator == metav1.LabelSelectorOpNotIn
	})
	if i < 0 {
		w.NamespaceSelector.MatchExpressions = append(exprs, metav1.LabelSelectorRequirement{
			Key: namespaceNameLabel, Operator: metav1.LabelSelectorOpNotIn, Values: slices.Clone(excluded),
		})
		return true
	}
	for _, ns := range excluded {
		if !slices.Contains(exprs[i].Values, ns) {
			exprs[i].Values = append(exprs[i].Values, ns)
			changed = true
		}
	}
	return changed
}

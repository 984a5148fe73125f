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

package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/duration"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

// resealPollInterval is how often reseal looks for the operator's answers.
const resealPollInterval = 250 * time.Millisecond

type secretResealOptions struct {
	*env
	all           bool
	allNamespaces bool
	timeout       time.Duration
	output        *outputFlags
}

func newSecretResealCommand(e *env) *cobra.Command {
	o := &secretResealOptions{env: e, output: newOutputFlags(false)}
	cmd := &cobra.Command{
		Use:   "reseal (NAME... | --all) [-n NAMESPACE | -A] [--timeout 60s]",
		Short: "Have the operator seal values again to its newest key, without them leaving the cluster",
		Long: `Ask the operator to seal LightningSecrets again to its current key, and print the
updated manifests for git. The value never leaves the operator: the CLI sets the
annotation lightning.ai/reseal-request to a fresh token, and the operator replaces the
stanzas of this cluster's older keys with one for its current key, keeps every other
recipient (other clusters, a recovery key), writes spec.encryptedValue and answers in
status.reseal. The value version stays the same, so no app restarts.

NAMEs re-seal those secrets. --all re-seals every secret of the namespace (-A: of every
namespace) that is sealed to an older key of this cluster than its current one, as the
envelope's header names them.

Each secret is reported on stderr as resealed, unchanged or failed (with the operator's
message), then a summary. The updated manifests (apiVersion, kind, name, namespace and
spec, as 'secret create' prints them) go to stdout: commit them to git, or a GitOps
tool puts the old envelope back (it still opens, while its key is in the keyring). The
exit code is 1 when any secret failed or got no answer within --timeout.`,
		Example: `  # Re-seal one secret and keep its manifest for git
  kubectl lightning secret reseal github-api-token -n alice > github-api-token.yaml

  # After a key rotation: every secret of every namespace still sealed to an older key
  kubectl lightning secret reseal --all -A > resealed.yaml`,
		ValidArgsFunction: completeSecretNames(e, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), args)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.all, "all", false, "Re-seal every secret sealed to an older key of this cluster, in the namespace (or, with -A, in every namespace).")
	f.BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "With --all, look in every namespace.")
	f.DurationVar(&o.timeout, "timeout", 60*time.Second, "How long to wait for the operator's answers.")
	o.output.addFlags(cmd, "the updated manifests as YAML, one document each")
	return cmd
}

// resealTarget is one secret asked to re-seal, and the operator's answer.
type resealTarget struct {
	key types.NamespacedName
	// before is the envelope when the request was made.
	before  string
	asked   bool
	answer  *lightningv1alpha1.ResealStatus
	secret  *lightningv1alpha1.LightningSecret
	failure string
}

func (o *secretResealOptions) run(ctx context.Context, names []string) error {
	if err := o.output.validate(); err != nil {
		return err
	}
	switch {
	case o.all && len(names) > 0:
		return fmt.Errorf("give NAMEs or --all, not both")
	case !o.all && len(names) == 0:
		return fmt.Errorf("say which secrets to re-seal: NAME..., or --all (those sealed to an older key)")
	case o.allNamespaces && !o.all:
		return fmt.Errorf("-A needs --all: secrets are re-sealed by NAME in one namespace (-n)")
	case o.timeout <= 0:
		return fmt.Errorf("--timeout must be positive, like 60s or 5m")
	}
	for _, n := range names {
		if err := ValidateSecretName(n); err != nil {
			return err
		}
	}
	var opts []client.ListOption
	ns, where := "", "in every namespace"
	if !o.allNamespaces {
		var err error
		if ns, err = o.namespace(); err != nil {
			return err
		}
		opts = append(opts, client.InNamespace(ns))
		where = fmt.Sprintf("in namespace '%s'", ns)
	}
	c, err := o.client()
	if err != nil {
		return err
	}
	keys, err := o.publishedKeys(ctx, c)
	if err != nil {
		return err
	}
	current := keys.current.ID()

	var targets []*resealTarget
	if o.all {
		list := &lightningv1alpha1.LightningSecretList{}
		if err := c.List(ctx, list, opts...); err != nil {
			return apiError(err)
		}
		var foreign []string
		for i := range list.Items {
			s := &list.Items[i]
			own, old := false, false
			for _, id := range envelopeKeyIDs(s) {
				if keys.has(id) {
					own = true
					old = old || id != current
				}
			}
			switch {
			case old:
				targets = append(targets, &resealTarget{key: types.NamespacedName{Namespace: s.Namespace, Name: s.Name}, before: s.Spec.EncryptedValue})
			case !own:
				foreign = append(foreign, s.Namespace+"/"+s.Name)
			}
		}
		if len(foreign) > 0 {
			slices.Sort(foreign)
			fmt.Fprintf(o.errOut(), "Skipped %d LightningSecret(s) sealed to no key this cluster publishes (they do not open here): %s\n",
				len(foreign), objectNames(foreign, 10))
		}
		if len(targets) == 0 {
			_, err := fmt.Fprintf(o.errOut(), "Nothing to re-seal: no LightningSecret %s is sealed to an older key than the current key %s\n", where, current)
			return err
		}
	} else {
		for _, n := range names {
			key := types.NamespacedName{Namespace: ns, Name: n}
			s := &lightningv1alpha1.LightningSecret{}
			if err := c.Get(ctx, key, s); err != nil {
				if apierrors.IsNotFound(err) {
					return fmt.Errorf("Secret with name '%s' not found in namespace '%s'", n, ns)
				}
				return apiError(err)
			}
			if !slices.ContainsFunc(targets, func(t *resealTarget) bool { return t.key == key }) {
				targets = append(targets, &resealTarget{key: key, before: s.Spec.EncryptedValue})
			}
		}
	}
	slices.SortFunc(targets, func(a, b *resealTarget) int {
		return strings.Compare(a.key.String(), b.key.String())
	})

	token, err := resealToken(o.Now())
	if err != nil {
		return err
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{
		lightningv1alpha1.AnnotationResealRequest: token,
	}}})
	for _, t := range targets {
		s := &lightningv1alpha1.LightningSecret{}
		s.Namespace, s.Name = t.key.Namespace, t.key.Name
		if err := c.Patch(ctx, s, client.RawPatch(types.MergePatchType, patch), client.FieldOwner(FieldManager)); err != nil {
			t.failure = "could not ask the operator: " + oneLine(apiError(err))
			continue
		}
		t.asked = true
	}
	if err := o.wait(ctx, c, targets, token); err != nil {
		return err
	}
	return o.report(targets, current)
}

// resealToken is a new request: the time, and randomness so two runs in
// one second differ.
func resealToken(now time.Time) (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making a re-seal token: %w", err)
	}
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b), nil
}

// wait reads the secrets until each asked one carries the answer to token,
// or the timeout.
func (o *secretResealOptions) wait(ctx context.Context, c client.Client, targets []*resealTarget, token string) error {
	deadline := time.Now().Add(o.timeout)
	for {
		pending := 0
		for _, t := range targets {
			if !t.asked || t.answer != nil {
				continue
			}
			s := &lightningv1alpha1.LightningSecret{}
			if err := c.Get(ctx, t.key, s); err != nil {
				if apierrors.IsNotFound(err) {
					t.failure = "it was deleted while waiting for the operator"
					t.asked = false
					continue
				}
				if ctx.Err() != nil {
					return ctx.Err()
				}
				pending++ // a passing error: read again
				continue
			}
			if r := s.Status.Reseal; r != nil && r.Request == token {
				t.answer, t.secret = r, s
				continue
			}
			pending++
		}
		if pending == 0 {
			return nil
		}
		if !time.Now().Before(deadline) {
			for _, t := range targets {
				if t.asked && t.answer == nil {
					t.failure = fmt.Sprintf("no answer from the operator within %s (is it running? 'kubectl -n %s get pods'); the request stays, and is answered when it runs",
						duration.HumanDuration(o.timeout), o.operatorNamespace)
				}
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(resealPollInterval):
		}
	}
}

// report writes each secret's result and a summary on stderr, and the
// manifests of those that opened on stdout.
func (o *secretResealOptions) report(targets []*resealTarget, current string) error {
	var resealed, unchanged, failed int
	var objs []runtime.Object
	for _, t := range targets {
		line := ""
		switch {
		case t.answer == nil:
			failed++
			line = "failed: " + t.failure
		// The operator may answer one request twice (the spec it wrote
		// brings the object back before its answer is cached): a new
		// envelope since the request is a re-seal, whatever the last answer.
		case t.answer.Result == lightningv1alpha1.ResealResealed,
			t.answer.Result == lightningv1alpha1.ResealUnchanged && t.secret.Spec.EncryptedValue != t.before:
			resealed++
			line = "resealed, now sealed to " + recipientsOf(t.secret)
		case t.answer.Result == lightningv1alpha1.ResealUnchanged:
			unchanged++
			line = "unchanged, sealed to " + recipientsOf(t.secret)
		default:
			failed++
			line = "failed: " + orNone(t.answer.Message)
		}
		fmt.Fprintf(o.errOut(), "%s: %s\n", t.key, line)
		if t.answer != nil && t.answer.Result != lightningv1alpha1.ResealFailed {
			m, err := Manifest(NewSecret(t.secret.Namespace, t.secret.Name, t.secret.Spec.EncryptedValue))
			if err != nil {
				return err
			}
			objs = append(objs, &unstructured.Unstructured{Object: m})
		}
	}
	summary := fmt.Sprintf("%d resealed, %d unchanged, %d failed, of %d LightningSecret(s); the current key is %s.", resealed, unchanged, failed, len(targets), current)
	if len(objs) > 0 {
		summary += " Commit the printed manifest(s) to git, or a GitOps tool will put the old envelope back."
	}
	fmt.Fprintln(o.errOut(), summary)
	if err := o.printManifests(objs); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d LightningSecret(s) were not re-sealed (see above)", failed, len(targets))
	}
	return nil
}

// printManifests prints the manifests: one YAML document each by default
// (git keeps them as files), a kubectl List for several with -o.
func (o *secretResealOptions) printManifests(objs []runtime.Object) error {
	if len(objs) == 0 {
		return nil
	}
	p, err := o.output.objectPrinter()
	if err != nil {
		return err
	}
	if len(objs) > 1 && !o.output.isDefault() && o.output.format != formatName {
		list, err := listOf(objs)
		if err != nil {
			return err
		}
		return printTo(o.out(), p, list)
	}
	for _, obj := range objs {
		if err := printTo(o.out(), p, obj); err != nil {
			return err
		}
	}
	return nil
}

// recipientsOf names the keys of s's envelope.
func recipientsOf(s *lightningv1alpha1.LightningSecret) string {
	ids := envelopeKeyIDs(s)
	return keysWord(len(ids)) + " " + strings.Join(ids, ", ")
}

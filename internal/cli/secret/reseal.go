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

package secret

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
	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
)

// resealPollInterval is how often reseal looks for the operator's answers.
const resealPollInterval = 250 * time.Millisecond

type resealOptions struct {
	f             *cmdutil.Factory
	all           bool
	allNamespaces bool
	timeout       time.Duration
	output        *cmdutil.PrintFlags
	names         []string
}

const (
	resealLong = `Ask the operator to seal LightningSecrets again to its current key, and print the
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
exit code is 1 when any secret failed or got no answer within --timeout.`

	resealExample = `  # Re-seal one secret and keep its manifest for git
  kubectl lightning secret reseal github-api-token -n alice > github-api-token.yaml

  # After a key rotation: every secret of every namespace still sealed to an older key
  kubectl lightning secret reseal --all -A > resealed.yaml`
)

func newResealCommand(f *cmdutil.Factory) *cobra.Command {
	o := &resealOptions{f: f, output: cmdutil.NewPrintFlags(false)}
	cmd := &cobra.Command{
		Use:               "reseal (NAME... | --all) [-n NAMESPACE | -A] [--timeout 60s]",
		Short:             "Have the operator seal values again to its newest key, without them leaving the cluster",
		Long:              resealLong,
		Example:           resealExample,
		ValidArgsFunction: completeNames(f, -1),
		RunE:              cmdutil.RunE(o),
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.all, "all", false, "Re-seal every secret sealed to an older key of this cluster, in the namespace (or, with -A, in every namespace).")
	fl.BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "With --all, look in every namespace.")
	fl.DurationVar(&o.timeout, "timeout", 60*time.Second, "How long to wait for the operator's answers.")
	o.output.AddFlags(cmd, "the updated manifests as YAML, one document each")
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

func (o *resealOptions) Complete(_ *cobra.Command, args []string) error {
	o.names = args
	return nil
}

func (o *resealOptions) Validate() error {
	if err := o.output.Validate(); err != nil {
		return err
	}
	switch {
	case o.all && len(o.names) > 0:
		return fmt.Errorf("give NAMEs or --all, not both")
	case !o.all && len(o.names) == 0:
		return fmt.Errorf("say which secrets to re-seal: NAME..., or --all (those sealed to an older key)")
	case o.allNamespaces && !o.all:
		return fmt.Errorf("-A needs --all: secrets are re-sealed by NAME in one namespace (-n)")
	case o.timeout <= 0:
		return fmt.Errorf("--timeout must be positive, like 60s or 5m")
	}
	for _, n := range o.names {
		if err := cmdutil.ValidateSecretName(n); err != nil {
			return err
		}
	}
	return nil
}

func (o *resealOptions) Run(ctx context.Context) error {
	c, opts, ns, err := o.f.ListScope(o.allNamespaces)
	if err != nil {
		return err
	}
	keys, _, err := publishedKeys(ctx, o.f, c)
	if err != nil {
		return err
	}
	current := keys.Current.ID()
	var targets []*resealTarget
	if o.all {
		targets, err = o.staleTargets(ctx, c, opts, keys)
	} else {
		targets, err = o.namedTargets(ctx, c, ns)
	}
	if err != nil {
		return err
	}
	if len(targets) == 0 {
		where := "in every namespace"
		if !o.allNamespaces {
			where = fmt.Sprintf("in namespace '%s'", ns)
		}
		_, err := fmt.Fprintf(o.f.ErrOut, "Nothing to re-seal: no LightningSecret %s is sealed to an older key than the current key %s\n", where, current)
		return err
	}
	slices.SortFunc(targets, func(a, b *resealTarget) int {
		return strings.Compare(a.key.String(), b.key.String())
	})
	if err := o.ask(ctx, c, targets); err != nil {
		return err
	}
	return o.report(targets, current)
}

// namedTargets are the secrets NAMEd, each once; every one must exist.
func (o *resealOptions) namedTargets(ctx context.Context, c client.Client, ns string) ([]*resealTarget, error) {
	var targets []*resealTarget
	for _, n := range o.names {
		key := types.NamespacedName{Namespace: ns, Name: n}
		s := &lightningv1alpha1.LightningSecret{}
		if err := c.Get(ctx, key, s); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, notFound(n, ns)
			}
			return nil, cmdutil.APIError(err)
		}
		if !slices.ContainsFunc(targets, func(t *resealTarget) bool { return t.key == key }) {
			targets = append(targets, &resealTarget{key: key, before: s.Spec.EncryptedValue})
		}
	}
	return targets, nil
}

// staleTargets are the secrets of --all: those sealed to an older key of
// this cluster than its current one. Those sealed to none of its keys are
// named on stderr as skipped.
func (o *resealOptions) staleTargets(ctx context.Context, c client.Client, opts []client.ListOption, keys *cmdutil.Published) ([]*resealTarget, error) {
	list := &lightningv1alpha1.LightningSecretList{}
	if err := c.List(ctx, list, opts...); err != nil {
		return nil, cmdutil.APIError(err)
	}
	var targets []*resealTarget
	var foreign []string
	for i := range list.Items {
		s := &list.Items[i]
		own, old := false, false
		for _, id := range EnvelopeKeyIDs(s) {
			if keys.Has(id) {
				own = true
				old = old || id != keys.Current.ID()
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
		fmt.Fprintf(o.f.ErrOut, "Skipped %d LightningSecret(s) sealed to no key this cluster publishes (they do not open here): %s\n",
			len(foreign), cmdutil.ObjectNames(foreign, 10))
	}
	return targets, nil
}

// ask sets a new request token on each target, and waits for the answers.
func (o *resealOptions) ask(ctx context.Context, c client.Client, targets []*resealTarget) error {
	token, err := resealToken(o.f.Now())
	if err != nil {
		return err
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{
		lightningv1alpha1.AnnotationResealRequest: token,
	}}})
	for _, t := range targets {
		s := &lightningv1alpha1.LightningSecret{}
		s.Namespace, s.Name = t.key.Namespace, t.key.Name
		if err := c.Patch(ctx, s, client.RawPatch(types.MergePatchType, patch), client.FieldOwner(cmdutil.FieldManager)); err != nil {
			t.failure = "could not ask the operator: " + cmdutil.OneLine(cmdutil.APIError(err))
			continue
		}
		t.asked = true
	}
	return o.wait(ctx, c, targets, token)
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
func (o *resealOptions) wait(ctx context.Context, c client.Client, targets []*resealTarget, token string) error {
	deadline := time.Now().Add(o.timeout)
	for {
		pending, err := readAnswers(ctx, c, targets, token)
		if err != nil || pending == 0 {
			return err
		}
		if !time.Now().Before(deadline) {
			for _, t := range targets {
				if t.asked && t.answer == nil {
					t.failure = fmt.Sprintf("no answer from the operator within %s (is it running? 'kubectl -n %s get pods'); the request stays, and is answered when it runs",
						duration.HumanDuration(o.timeout), o.f.OperatorNamespace)
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

// readAnswers reads each asked target that has no answer yet, keeping the
// answer to token; it returns how many still wait for one.
func readAnswers(ctx context.Context, c client.Client, targets []*resealTarget, token string) (pending int, err error) {
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
				return 0, ctx.Err()
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
	return pending, nil
}

// Results of a re-seal, as report counts them.
const (
	resealed  = "resealed"
	unchanged = "unchanged"
	failed    = "failed"
)

// result is what became of t, and the line that says so.
func (t *resealTarget) result() (result, line string) {
	switch {
	case t.answer == nil:
		return failed, "failed: " + t.failure
	// The operator may answer one request twice (the spec it wrote brings
	// the object back before its answer is cached): a new envelope since
	// the request is a re-seal, whatever the last answer.
	case t.answer.Result == lightningv1alpha1.ResealResealed,
		t.answer.Result == lightningv1alpha1.ResealUnchanged && t.secret.Spec.EncryptedValue != t.before:
		return resealed, "resealed, now sealed to " + recipientsOf(t.secret)
	case t.answer.Result == lightningv1alpha1.ResealUnchanged:
		return unchanged, "unchanged, sealed to " + recipientsOf(t.secret)
	default:
		return failed, "failed: " + cmdutil.OrNone(t.answer.Message)
	}
}

// report writes each secret's result and a summary on stderr, and the
// manifests of those that opened on stdout.
func (o *resealOptions) report(targets []*resealTarget, current string) error {
	count := map[string]int{}
	var objs []runtime.Object
	for _, t := range targets {
		result, line := t.result()
		count[result]++
		fmt.Fprintf(o.f.ErrOut, "%s: %s\n", t.key, line)
		if t.answer != nil && t.answer.Result != lightningv1alpha1.ResealFailed {
			m, err := cmdutil.Manifest(NewSecret(t.secret.Namespace, t.secret.Name, t.secret.Spec.EncryptedValue))
			if err != nil {
				return err
			}
			objs = append(objs, &unstructured.Unstructured{Object: m})
		}
	}
	summary := fmt.Sprintf("%d resealed, %d unchanged, %d failed, of %d LightningSecret(s); the current key is %s.",
		count[resealed], count[unchanged], count[failed], len(targets), current)
	if len(objs) > 0 {
		summary += " Commit the printed manifest(s) to git, or a GitOps tool will put the old envelope back."
	}
	fmt.Fprintln(o.f.ErrOut, summary)
	if err := o.printManifests(objs); err != nil {
		return err
	}
	if count[failed] > 0 {
		return fmt.Errorf("%d of %d LightningSecret(s) were not re-sealed (see above)", count[failed], len(targets))
	}
	return nil
}

// printManifests prints the manifests: one YAML document each by default
// (git keeps them as files), a kubectl List for several with -o.
func (o *resealOptions) printManifests(objs []runtime.Object) error {
	if len(objs) == 0 {
		return nil
	}
	format := o.output.Format()
	return o.output.PrintObjects(o.f.Out, objs, len(objs) > 1 && format != "" && format != cmdutil.FormatName)
}

// recipientsOf names the keys of s's envelope.
func recipientsOf(s *lightningv1alpha1.LightningSecret) string {
	ids := EnvelopeKeyIDs(s)
	return keysWord(len(ids)) + " " + strings.Join(ids, ", ")
}

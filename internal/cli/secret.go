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
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/duration"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/limits"
	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

// maxCertFileSize bounds a --cert file; a keyring's PEM is a few KiB a key.
const maxCertFileSize = 4 << 20

func newSecretCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "secret",
		Aliases: []string{"secrets"},
		Short:   "Create, list, inspect, delete, re-seal and recover sealed LightningSecrets",
		Long: `Create, list, delete and re-seal LightningSecrets: secret values sealed to the operator's
public key, safe to commit to git. Apps use them with 'run app --secret K=SECRET'.
'secret inspect' shows what a sealed value says without opening it; 'secret recover'
opens one offline with a recovery key.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(newSecretCreateCommand(e), newSecretListCommand(e), newSecretDeleteCommand(e),
		newSecretResealCommand(e), newSecretRecoverCommand(e), newSecretInspectCommand(e))
	return cmd
}

type secretCreateOptions struct {
	*env
	fromFile   string
	certs      []string
	recipients []string
	output     *outputFlags
	dryRun     dryRun
	apply      bool
	overwrite  bool
	raw        bool
}

func newSecretCreateCommand(e *env) *cobra.Command {
	o := &secretCreateOptions{env: e, output: newOutputFlags(false)}
	cmd := &cobra.Command{
		Use:   "create NAME [--from-file FILE] [--cert FILE]... [--recipient FILE]... [--apply | --raw]",
		Short: "Seal a secret value into a LightningSecret",
		Long: `Seal a secret value into a LightningSecret, for GitOps or to apply.

The value is read from stdin, from a prompt that does not echo when stdin is a
terminal, or from --from-file. It is never a flag, so it stays out of the shell
history. One trailing newline is dropped from stdin (echo adds one); --from-file
keeps the file's bytes exactly ('--from-file -' reads stdin exactly).

The value is sealed on this machine, once, to every recipient (at most 8):

  - the operator's current public key, read from the cluster (ConfigMap
    lightning-operator-public-keys in --operator-namespace), and the default
    recipients the cluster publishes beside it (an offline recovery key);
  - or, offline, the current key of each --cert FILE (saved with 'kubectl lightning
    cert'): one --cert per cluster the value is for;
  - and every key in each --recipient FILE (a recovery key's .pub).

Which keys, by ID, is said on stderr; stdout is the manifest, or with --raw the
envelope alone (spec.encryptedValue, without a newline) for templating into other
manifests. The value opens only as this NAME in this namespace, either way.

The value must be one an environment variable can carry, since that is how it
reaches an app's processes; anything else is refused, and nothing is written:
  - no NUL byte (an env string ends at its first NUL);
  - at most 131069 bytes: Linux passes at most 131072 bytes (MAX_ARG_STRLEN) for
    NAME=value with its NUL, and 131069 is what fits under a one-character NAME.
    An app checks the exact rule for its own names: len(NAME) + 1 + len(value) + 1
    <= 131072, and all of its env together within a container's limit.`,
		Example: `  # Seal a value typed at a hidden prompt, and print the manifest
  kubectl lightning secret create my-secret -n alice

  # Seal from stdin offline, with a saved public key, into a file for git
  kubectl lightning cert -f lightning.pem
  printf '%s' "$TOKEN" | kubectl lightning secret create github-api-token \
    -n alice --cert lightning.pem > github-api-token.yaml

  # Seal once for two clusters, offline, with each cluster's saved public keys
  kubectl lightning secret create github-api-token -n alice \
    --cert prod.pem --cert staging.pem < token.txt > github-api-token.yaml

  # Seal a file's content and apply the LightningSecret
  kubectl lightning secret create ssh-key --from-file ~/.ssh/id_ed25519 --apply

  # Replace the value of an existing secret
  kubectl lightning secret create my-secret --apply --overwrite

  # Only the envelope, for a template or another tool's manifest
  kubectl lightning secret create github-api-token -n alice --cert lightning.pem --raw < token.txt`,
		Args: exactArgs(1, "the secret's NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.fromFile, "from-file", "", "Read the value from this file, byte for byte ('-' for stdin).")
	f.StringArrayVar(&o.certs, "cert", nil, "Seal offline to the current key of this PEM file (from 'kubectl lightning cert'; its last key). Repeat for several clusters.")
	f.StringArrayVar(&o.recipients, "recipient", nil, "Also seal to every public key in this PEM file (such as a recovery key's .pub). Repeats.")
	o.output.addFlags(cmd, "the manifest as YAML; with --apply, a line saying what changed (-o prints the applied object)")
	f.BoolVar(&o.apply, "apply", false, "Create the LightningSecret in the cluster with server-side apply.")
	f.BoolVar(&o.overwrite, "overwrite", false, "With --apply, replace the value of an existing secret.")
	f.BoolVar(&o.raw, "raw", false, "Print only the envelope (the value of spec.encryptedValue), without a newline, instead of the manifest. It still opens only as NAME in the namespace.")
	addDryRunFlag(cmd, &o.dryRun, "none, client or server. server: the apiserver checks and admits the LightningSecret without storing it. client: nothing is sent; with --apply, refused (server-side apply has no client dry run).")
	cmd.ValidArgsFunction = completeSecretNames(e, 1)
	return cmd
}

func (o *secretCreateOptions) run(cmd *cobra.Command, name string) (err error) {
	ctx := cmd.Context()
	if err := ValidateSecretName(name); err != nil {
		return err
	}
	if err := o.output.validate(); err != nil {
		return err
	}
	if o.overwrite && !o.apply {
		return fmt.Errorf("--overwrite needs --apply")
	}
	if o.raw && o.apply {
		return fmt.Errorf("--raw prints the envelope and --apply creates the LightningSecret: choose one")
	}
	if o.raw && o.output.format != "" {
		return fmt.Errorf("--raw prints the envelope alone: it takes no -o")
	}
	if o.apply && o.dryRun == dryRunClient {
		return fmt.Errorf("--dry-run=client does not work with --apply, a server-side apply: use --dry-run=server, or leave out --apply to print the manifest")
	}
	serverDryRun := o.dryRun == dryRunServer
	ns, err := o.namespace()
	if err != nil {
		return err
	}

	// The keys first, so that nothing is typed in before a failure.
	var c client.Client
	if o.apply || len(o.certs) == 0 || serverDryRun {
		if c, err = o.client(); err != nil {
			return err
		}
	}
	pubs, defaults, err := o.sealingKeys(ctx, c)
	if err != nil {
		return err
	}
	if o.apply && !o.overwrite {
		existing := &lightningv1alpha1.LightningSecret{}
		err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, existing)
		switch {
		case err == nil:
			return fmt.Errorf("secret '%s' already exists in namespace '%s'; use --overwrite to replace its value", name, ns)
		case !apierrors.IsNotFound(err):
			return apiError(err)
		}
	}

	value, err := o.readValue(ctx, name)
	if err != nil {
		return err
	}
	envelope, err := sealing.SealTo(pubs.keys, sealing.Scope{Namespace: ns, Name: name}, value)
	clear(value)
	if err != nil {
		return fmt.Errorf("sealing the value: %w", err)
	}
	// Said once the output is written, on stderr: stdout is the manifest.
	defer func() {
		if err == nil {
			o.sealedTo(pubs, defaults)
		}
	}()
	m, err := Manifest(NewSecret(ns, name, envelope))
	if err != nil {
		return err
	}
	manifest := &unstructured.Unstructured{Object: m}
	if !o.apply {
		if serverDryRun {
			// Only the apiserver's checks matter here: take any field over.
			if _, _, err := apply(ctx, c, m, true, true); err != nil {
				return err
			}
		}
		if o.raw {
			_, err := io.WriteString(o.out(), envelope)
			return err
		}
		p, err := o.output.objectPrinter()
		if err != nil {
			return err
		}
		return printTo(o.out(), p, manifest)
	}
	u, result, err := apply(ctx, c, m, o.overwrite, serverDryRun)
	if err != nil {
		return err
	}
	p, err := o.output.actionPrinter(string(result) + o.dryRun.suffix())
	if err != nil {
		return err
	}
	return printTo(o.out(), p, u)
}

// readValue gets the plaintext from --from-file, the terminal or stdin.
func (o *secretCreateOptions) readValue(ctx context.Context, name string) ([]byte, error) {
	var value []byte
	var err error
	switch {
	case o.fromFile == "-":
		value, err = readLimited(o.Streams.In, "stdin", false)
	case o.fromFile != "":
		var f *os.File
		if f, err = os.Open(o.fromFile); err != nil {
			return nil, fmt.Errorf("reading the value: %w", err)
		}
		defer f.Close()
		value, err = readLimited(f, o.fromFile, false)
	case o.Terminal.IsTerminal():
		value, err = o.Terminal.ReadSecret(ctx, fmt.Sprintf("Value of secret '%s' (input hidden): ", name))
	default:
		if value, err = readLimited(o.Streams.In, "stdin", true); err == nil {
			value = trimNewline(value)
		}
	}
	if err != nil {
		clear(value)
		return nil, err
	}
	if len(value) == 0 {
		return nil, fmt.Errorf("the value of secret '%s' is empty: pipe it to stdin, use --from-file, or run in a terminal to be prompted", name)
	}
	// What an environment variable cannot carry stops here, before
	// anything is sealed or written.
	if err := limits.CheckValue(value); err != nil {
		clear(value)
		return nil, err
	}
	return value, nil
}

// maxCounted bounds how far input past the limit is read, only to count it.
const maxCounted = 1 << 30

// readLimited reads r up to the size limit plus a newline ("\r\n"). Past it,
// the rest is read only to be counted, up to maxCounted, so the error can
// say how long the value is; with trim, a trailing newline is not counted,
// as it would be dropped.
func readLimited(r io.Reader, what string, trim bool) ([]byte, error) {
	if r == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r, sealing.MaxPlaintextSize+3))
	if err != nil {
		clear(b)
		return nil, fmt.Errorf("reading the value from %s: %w", what, err)
	}
	if len(b) <= sealing.MaxPlaintextSize+2 {
		return b, nil
	}
	rest := &countingTail{}
	copy(rest.tail[:], b[len(b)-2:])
	clear(b)
	n, err := io.Copy(rest, io.LimitReader(r, maxCounted))
	if err != nil {
		return nil, fmt.Errorf("reading the value from %s: %w", what, err)
	}
	if n == maxCounted {
		return nil, fmt.Errorf("the value is more than %d bytes, far more than the %d an environment variable can carry (Linux MAX_ARG_STRLEN: %d bytes for NAME=value and its NUL)",
			maxCounted, limits.MaxValue, limits.MaxArgStrlen)
	}
	size := len(b) + int(n)
	if trim {
		size -= len(rest.tail[:]) - len(trimNewline(rest.tail[:]))
	}
	return nil, limits.TooLong(size)
}

// countingTail discards what is written, keeping its last two bytes.
type countingTail struct{ tail [2]byte }

func (c *countingTail) Write(p []byte) (int, error) {
	switch {
	case len(p) >= 2:
		copy(c.tail[:], p[len(p)-2:])
	case len(p) == 1:
		c.tail[0], c.tail[1] = c.tail[1], p[0]
	}
	return len(p), nil
}

// trimNewline drops one trailing "\n" or "\r\n", as echo and Enter add.
func trimNewline(b []byte) []byte {
	if t, ok := bytes.CutSuffix(b, []byte("\n")); ok {
		t, _ = bytes.CutSuffix(t, []byte("\r"))
		return t
	}
	return b
}

type secretListOptions struct {
	*env
	allNamespaces bool
	output        *outputFlags
}

func newSecretListCommand(e *env) *cobra.Command {
	o := &secretListOptions{env: e, output: newOutputFlags(true)}
	cmd := &cobra.Command{
		Use:     "list [-n NAMESPACE | -A] [NAME...]",
		Aliases: []string{"ls", "get"},
		Short:   "List LightningSecrets: whether they open, their key and the apps using them",
		Long: `List LightningSecrets with whether the operator can open them (READY, REASON),
the sealing key they need (KEY ID) and the apps that reference them (USED BY); -o wide
adds every key the value is sealed to (RECIPIENTS: the operator's status.keyIDs, or the
envelope's header before it has looked), the value's VERSION and the operator's MESSAGE.
NAMEs list just those secrets.
Values are never shown: the CLI cannot open them, only the operator can.`,
		Example: `  # List the secrets of the current namespace
  kubectl lightning secret list

  # List the secrets of every namespace
  kubectl lightning secret list -A

  # The names of the secrets that do not open
  kubectl lightning secret list -o jsonpath='{range .items[?(@.status.conditions[0].status=="False")]}{.metadata.name}{"\n"}{end}'`,
		ValidArgsFunction: completeSecretNames(e, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), args)
		},
	}
	cmd.Flags().BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "List the secrets of every namespace.")
	o.output.addFlags(cmd, "a table (NAME, READY, REASON, KEY ID, USED BY, AGE)")
	return cmd
}

func (o *secretListOptions) run(ctx context.Context, names []string) error {
	if err := o.output.validate(); err != nil {
		return err
	}
	c, opts, ns, err := o.listTarget(names, o.allNamespaces, ValidateSecretName, "secrets")
	if err != nil {
		return err
	}
	secrets := &lightningv1alpha1.LightningSecretList{}
	if err := c.List(ctx, secrets, opts...); err != nil {
		return apiError(err)
	}
	if len(names) > 0 {
		byName := map[string]lightningv1alpha1.LightningSecret{}
		for _, s := range secrets.Items {
			byName[s.Name] = s
		}
		secrets.Items = nil
		for _, n := range names {
			s, ok := byName[n]
			if !ok {
				return fmt.Errorf("Secret with name '%s' not found in namespace '%s'", n, ns)
			}
			secrets.Items = append(secrets.Items, s)
		}
	}
	var users map[types.NamespacedName][]string
	if len(secrets.Items) > 0 {
		if users, err = appUsers(ctx, c, opts...); err != nil {
			return err
		}
	}
	items := make([]runtime.Object, len(secrets.Items))
	for i := range secrets.Items {
		items[i] = &secrets.Items[i]
	}
	now := o.Now()
	return o.output.printList(o.out(), o.errOut(), items, o.allNamespaces, ns, func() *metav1.Table {
		t := &metav1.Table{ColumnDefinitions: []metav1.TableColumnDefinition{
			{Name: "Name", Type: "string", Format: "name"},
			{Name: "Ready", Type: "string"},
			{Name: "Reason", Type: "string"},
			{Name: "Key ID", Type: "string"},
			{Name: "Used By", Type: "string"},
			{Name: "Age", Type: "string"},
			{Name: "Recipients", Type: "string", Priority: 1},
			{Name: "Version", Type: "string", Priority: 1},
			{Name: "Message", Type: "string", Priority: 1},
		}}
		for i := range secrets.Items {
			s := &secrets.Items[i]
			ready, reason, message := "Unknown", "<none>", "<none>"
			if cond := meta.FindStatusCondition(s.Status.Conditions, lightningv1alpha1.ConditionReady); cond != nil {
				ready, reason, message = string(cond.Status), orNone(cond.Reason), orNone(cond.Message)
			}
			usedBy := mergeUsers(s.Status.UsedBy, users[types.NamespacedName{Namespace: s.Namespace, Name: s.Name}])
			t.Rows = append(t.Rows, metav1.TableRow{Cells: []any{
				s.Name, ready, reason, orNone(s.Status.KeyID), orNone(strings.Join(usedBy, ",")),
				age(s.CreationTimestamp, now), orNone(strings.Join(statusKeyIDs(s), ",")), orNone(s.Status.Version), message,
			}})
		}
		return t
	})
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// age is kubectl's AGE column.
func age(t metav1.Time, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(t.Time))
}

// appUsers maps each secret to the apps whose spec references it, for the
// list options given. The operator reports the same in status.usedBy; the
// specs also cover apps it has not reconciled yet. A user who may not list
// apps gets an empty map: status.usedBy still tells.
func appUsers(ctx context.Context, c client.Client, opts ...client.ListOption) (map[types.NamespacedName][]string, error) {
	apps := &lightningv1alpha1.LightningAppList{}
	if err := c.List(ctx, apps, opts...); err != nil {
		if apierrors.IsForbidden(err) {
			return nil, nil
		}
		return nil, apiError(err)
	}
	users := map[types.NamespacedName][]string{}
	for _, a := range apps.Items {
		for _, s := range a.Spec.Secrets {
			key := types.NamespacedName{Namespace: a.Namespace, Name: s.SecretRef}
			if !slices.Contains(users[key], a.Name) {
				users[key] = append(users[key], a.Name)
			}
		}
	}
	return users, nil
}

// mergeUsers is the sorted union of app names.
func mergeUsers(a, b []string) []string {
	all := slices.Concat(a, b)
	slices.Sort(all)
	return slices.Compact(all)
}

type secretDeleteOptions struct {
	*env
	force  bool
	output string
	dryRun dryRun
}

func newSecretDeleteCommand(e *env) *cobra.Command {
	o := &secretDeleteOptions{env: e}
	cmd := &cobra.Command{
		Use:     "delete NAME [--force]",
		Aliases: []string{"rm"},
		Short:   "Delete a LightningSecret that no app uses",
		Long: `Delete a LightningSecret. While apps use it (its status.usedBy, or an app's
spec.secrets in the namespace), it is refused: those apps would stop resolving
their secrets. --force deletes it anyway.`,
		Example: `  # Delete a secret no app uses
  kubectl lightning secret delete my-secret -n alice

  # Delete a secret even though apps still reference it
  kubectl lightning secret delete my-secret -n alice --force`,
		Args: exactArgs(1, "the secret's NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), args[0])
		},
	}
	cmd.Flags().BoolVar(&o.force, "force", false, "Delete the secret even while apps use it.")
	cmd.Flags().StringVarP(&o.output, "output", "o", "", "Output format: name (kind.group/NAME). Default: kubectl's line 'kind.group \"NAME\" deleted'.")
	addDryRunFlag(cmd, &o.dryRun, "none, client or server. server: the apiserver checks the deletion without deleting. client: nothing is sent.")
	cmd.ValidArgsFunction = completeSecretNames(e, 1)
	return cmd
}

func (o *secretDeleteOptions) run(ctx context.Context, name string) error {
	if err := ValidateSecretName(name); err != nil {
		return err
	}
	if err := validateNameOutput(o.output); err != nil {
		return err
	}
	ns, err := o.namespace()
	if err != nil {
		return err
	}
	c, err := o.client()
	if err != nil {
		return err
	}
	s := &lightningv1alpha1.LightningSecret{}
	if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, s); err != nil {
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("Secret with name '%s' not found in namespace '%s'", name, ns)
		}
		return apiError(err)
	}
	users, err := appUsers(ctx, c, client.InNamespace(ns))
	if err != nil {
		return err
	}
	usedBy := mergeUsers(s.Status.UsedBy, users[types.NamespacedName{Namespace: ns, Name: name}])
	if len(usedBy) > 0 {
		if !o.force {
			return fmt.Errorf("secret '%s' is used by %s; remove the reference from %s first, or delete it anyway with --force",
				name, appList(usedBy), plural(usedBy, "the app", "the apps"))
		}
		fmt.Fprintf(o.errOut(), "Warning: secret '%s' is still used by %s; %s will report SecretNotFound.\n",
			name, appList(usedBy), plural(usedBy, "it", "they"))
	}
	uid := s.UID
	if o.dryRun != dryRunClient {
		opts := []client.DeleteOption{client.Preconditions{UID: &uid}}
		if o.dryRun == dryRunServer {
			opts = append(opts, client.DryRunAll)
		}
		if err := c.Delete(ctx, s, opts...); err != nil {
			if apierrors.IsNotFound(err) {
				return fmt.Errorf("Secret with name '%s' not found in namespace '%s'", name, ns)
			}
			return apiError(err)
		}
	}
	u, err := toUnstructured(s)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(o.out(), deletedLine(u, o.output == formatName, o.dryRun))
	return err
}

func appList(apps []string) string {
	if len(apps) == 1 {
		return "app '" + apps[0] + "'"
	}
	return "apps '" + strings.Join(apps, "', '") + "'"
}

func plural(apps []string, one, many string) string {
	if len(apps) == 1 {
		return one
	}
	return many
}

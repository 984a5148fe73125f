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

package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	operatorapp "github.com/lightning-operator/lightning-operator/internal/app"
	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
)

// ErrSecretsNeedCloud is Lightning's refusal of --secret without --cloud.
var ErrSecretsNeedCloud = errors.New("Secrets can only be used for apps running in cloud. Using the option --secret in local execution is not supported.")

// NewRunCommand is `run`, which holds `run app`.
func NewRunCommand(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.GroupCommand(&cobra.Command{Use: "run", Short: "Run a Lightning App on the cluster"}, newRunAppCommand(f))
}

type runAppOptions struct {
	f              *cmdutil.Factory
	cloud          bool
	name           string
	image          string
	works          []string
	flowCompute    string
	envVars        []string
	secrets        []string
	output         *cmdutil.PrintFlags
	apply          bool
	dryRun         cmdutil.DryRun
	check          bool
	forceConflicts bool

	// From Complete: the arguments, and which flags were given.
	file                                     string
	command                                  []string
	nameGiven, flowComputeGiven, dryRunGiven bool
	// From Validate: the app, but for its namespace.
	params AppParams
}

const (
	runAppLong = `Turn a 'lightning run app' command line into a LightningApp manifest.

The manifest is printed (YAML, or any kubectl format with -o) for GitOps; --apply
creates or updates it in the cluster with server-side apply, and --dry-run=server
checks it against the cluster without changing anything. The flags follow Lightning's:

  --env K=V          a plain environment variable; V may contain '=' and may be empty.
  --secret K=SECRET  environment variable K gets the value of the LightningSecret
                     SECRET in the app's namespace (create it with 'secret create').

Both reach the flow and every work. Each flag repeats. A name must match
^[A-Za-z_][A-Za-z0-9_]*$ and may appear only once across --env and --secret.

FILE is the app's Python file: its name becomes the entrypoint, and its folder's name
the default app name (/home/u/My_App/app.py runs as app "my-app"), as in Lightning.
The image must hold the app's folder as its working directory. Every component runs
'python FILE', or the COMMAND given after '--' (spec.command), as with kubectl run.`

	runAppExample = `  # Print the manifest of a Lightning command line
  kubectl lightning run app app.py --cloud --image registry.example/my-app:1.0 \
    --env FOO=bar --secret MY_APP_SECRET=my-secret

  # Give two works their own cloud compute, and write the manifest for GitOps
  kubectl lightning run app app.py --cloud --image registry.example/my-app:1.0 \
    --work root.train=gpu --work root.serve=cpu-small -n alice > my-app.yaml

  # Check the secrets exist and the cluster accepts the app, without applying it
  kubectl lightning run app app.py --cloud --image registry.example/my-app:1.0 \
    --secret MY_APP_SECRET=my-secret --dry-run=server

  # Create or update the app in the cluster (server-side apply)
  kubectl lightning run app app.py --cloud --image registry.example/my-app:1.0 \
    --secret MY_APP_SECRET=my-secret --apply

  # Run another command than 'python app.py' in every component
  kubectl lightning run app app.py --cloud --image registry.example/my-app:1.0 \
    -- /usr/bin/my-app --port 8080`
)

func newRunAppCommand(f *cmdutil.Factory) *cobra.Command {
	o := &runAppOptions{f: f, output: cmdutil.NewPrintFlags(false)}
	cmd := &cobra.Command{
		Use:     "app FILE --cloud --image IMAGE [--name NAME] [--env K=V]... [--secret K=SECRET]... [-- COMMAND [ARG]...]",
		Short:   "Turn 'lightning run app' into a LightningApp manifest, or apply it",
		Long:    runAppLong,
		Example: runAppExample,
		Args: func(cmd *cobra.Command, args []string) error {
			file := cmdutil.ExactArgs(1, "the app's FILE")
			dash := cmd.ArgsLenAtDash()
			if dash < 0 {
				return file(cmd, args)
			}
			if dash == len(args) {
				return fmt.Errorf("a COMMAND is required after '--': %s", cmd.UseLine())
			}
			return file(cmd, args[:dash])
		},
		RunE: cmdutil.RunE(o),
	}
	o.addFlags(cmd)
	registerRunAppCompletion(f, cmd)
	return cmd
}

func (o *runAppOptions) addFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&o.cloud, "cloud", false, "Run the app in the cloud (here: the cluster). Accepted for compatibility with 'lightning run app'; --secret needs it.")
	fl.StringVar(&o.name, "name", "", "The app's name; default: its folder's name, DNS-safe.")
	fl.StringVar(&o.image, "image", "", "The container image that runs the app's flow and works (required).")
	fl.StringArrayVar(&o.works, "work", nil, "A work of the app as PATH[=COMPUTE], e.g. root.work_a=gpu. Repeat for each work.")
	fl.StringVar(&o.flowCompute, "flow-compute", "", "The cloud compute of the root flow, e.g. flow-lite.")
	fl.StringArrayVar(&o.envVars, "env", nil, "Environment variable K=V for the flow and works. Repeat for each variable.")
	fl.StringArrayVar(&o.secrets, "secret", nil, "Environment variable K=SECRET taking the value of LightningSecret SECRET. Repeat for each secret.")
	o.output.AddFlags(cmd, "the manifest as YAML; with --apply, a line saying what changed (-o prints the applied object)")
	fl.BoolVar(&o.apply, "apply", false, "Create or update the app in the cluster with server-side apply.")
	cmdutil.AddDryRunFlag(cmd, &o.dryRun, "none, client or server. server: check against the cluster without changing it (referenced secrets exist, the apiserver admits the app in a server-side dry run). client: nothing is sent; with --apply, refused (server-side apply has no client dry run).")
	cmdutil.AddDeprecatedCheckFlag(cmd, &o.check, o.f.ErrOut)
	fl.BoolVar(&o.forceConflicts, "force-conflicts", false, "With --apply, take over fields another field manager owns.")
}

func (o *runAppOptions) Complete(cmd *cobra.Command, args []string) error {
	o.file = args[0]
	if dash := cmd.ArgsLenAtDash(); dash >= 0 {
		o.command = args[dash:]
	}
	o.nameGiven = cmd.Flags().Changed("name")
	o.flowComputeGiven = cmd.Flags().Changed("flow-compute")
	o.dryRunGiven = cmd.Flags().Changed("dry-run")
	return nil
}

func (o *runAppOptions) Validate() error {
	if err := o.parseApp(); err != nil {
		return err
	}
	if err := cmdutil.ResolveCheck(o.dryRunGiven, o.check, &o.dryRun); err != nil {
		return err
	}
	if o.apply && o.dryRun == cmdutil.DryRunClient {
		return cmdutil.ErrClientDryRunApply
	}
	return o.output.Validate()
}

// parseApp checks the app's flags as Lightning does, and keeps the app
// they make in params.
func (o *runAppOptions) parseApp() error {
	entrypoint, err := Entrypoint(o.file)
	if err != nil {
		return err
	}
	if len(o.secrets) > 0 && !o.cloud {
		return ErrSecretsNeedCloud
	}
	vars, err := ParseVars(o.envVars, o.secrets)
	if err != nil {
		return err
	}
	works, err := ParseWorks(o.works)
	if err != nil {
		return err
	}
	if o.flowComputeGiven {
		if err := ValidateCompute(o.flowCompute); err != nil {
			return fmt.Errorf("Invalid --flow-compute: %w", err)
		}
	}
	if err := ValidateImage(o.image); err != nil {
		return err
	}
	name, err := o.appName()
	if err != nil {
		return err
	}
	o.params = AppParams{Name: name, Image: o.image, Entrypoint: entrypoint, FlowCompute: o.flowCompute,
		Command: o.command, Works: works, Vars: vars}
	return nil
}

// appName is --name, or the app folder's name.
func (o *runAppOptions) appName() (string, error) {
	if o.nameGiven {
		return o.name, ValidateAppName(o.name)
	}
	abs, err := filepath.Abs(o.file)
	if err != nil {
		return "", fmt.Errorf("finding the app's folder: %w", err)
	}
	return AppNameFromFile(abs), nil
}

func (o *runAppOptions) Run(ctx context.Context) error {
	ns, err := o.f.Namespace()
	if err != nil {
		return err
	}
	o.params.Namespace = ns
	app := NewApp(o.params)
	m, err := cmdutil.Manifest(app)
	if err != nil {
		return err
	}
	if !o.apply && o.dryRun != cmdutil.DryRunServer {
		return o.output.PrintObject(o.f.Out, &unstructured.Unstructured{Object: m})
	}
	c, err := o.f.Client()
	if err != nil {
		return err
	}
	if err := o.checkSecrets(ctx, c, app); err != nil {
		return err
	}
	return o.applyApp(ctx, c, m)
}

// applyApp applies the manifest m, or with --dry-run=server alone has the
// apiserver check it and prints it.
func (o *runAppOptions) applyApp(ctx context.Context, c client.Client, m map[string]any) error {
	serverDryRun := o.dryRun == cmdutil.DryRunServer
	u, result, err := cmdutil.Apply(ctx, c, m, o.forceConflicts, serverDryRun)
	if err != nil {
		return err
	}
	if !o.apply {
		return o.output.PrintObject(o.f.Out, &unstructured.Unstructured{Object: m})
	}
	if stopped, _, _ := unstructured.NestedBool(u.Object, "spec", "stopped"); stopped && !serverDryRun {
		fmt.Fprintf(o.f.ErrOut, "Warning: app '%s' is stopped (spec.stopped); start it with 'kubectl lightning start app %s -n %s'.\n", u.GetName(), u.GetName(), u.GetNamespace())
	}
	return o.output.PrintAction(o.f.Out, string(result)+o.dryRun.Suffix(), u)
}

// checkSecrets makes sure every referenced LightningSecret exists in the
// app's namespace, and warns about one that does not open.
func (o *runAppOptions) checkSecrets(ctx context.Context, c client.Client, app *lightningv1alpha1.LightningApp) error {
	checked := map[string]bool{}
	for _, s := range app.Spec.Secrets {
		if checked[s.SecretRef] {
			continue
		}
		checked[s.SecretRef] = true
		ls := &lightningv1alpha1.LightningSecret{}
		err := c.Get(ctx, types.NamespacedName{Namespace: app.Namespace, Name: s.SecretRef}, ls)
		switch {
		case apierrors.IsNotFound(err):
			return fmt.Errorf("Secret with name '%s' not found", s.SecretRef)
		case err != nil:
			return cmdutil.APIError(err)
		}
		if cond := meta.FindStatusCondition(ls.Status.Conditions, lightningv1alpha1.ConditionReady); cond != nil && cond.Status != "True" {
			fmt.Fprintf(o.f.ErrOut, "Warning: secret '%s' is not ready (%s): %s\n", s.SecretRef, cond.Reason, cmdutil.Show(cond.Message))
		}
	}
	return nil
}

// registerRunAppCompletion completes run app: FILE is a .py file,
// --secret K=<LightningSecret>, --work PATH=<compute>, --flow-compute.
func registerRunAppCompletion(f *cmdutil.Factory, cmd *cobra.Command) {
	cmd.ValidArgsFunction = func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return []string{"py"}, cobra.ShellCompDirectiveFilterFileExt
		}
		return nil, cobra.ShellCompDirectiveDefault // after --, the command's own arguments
	}
	_ = cmd.RegisterFlagCompletionFunc("secret", func(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		key, value, ok := strings.Cut(toComplete, "=")
		if !ok {
			// The variable's name is the user's to choose.
			return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
		}
		names, ok := f.NamesForCompletion(cmd, &lightningv1alpha1.LightningSecretList{}, true)
		if !ok {
			return nil, cmdutil.CompFail
		}
		return cmdutil.WithKey(key, cmdutil.WithPrefix(names, value)), cmdutil.CompletionOK
	})
	computes := operatorapp.DefaultPresets().Names()
	_ = cmd.RegisterFlagCompletionFunc("work", func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		path, value, ok := strings.Cut(toComplete, "=")
		if !ok {
			return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
		}
		return cmdutil.WithKey(path, cmdutil.WithPrefix(computes, value)), cmdutil.CompletionOK
	})
	_ = cmd.RegisterFlagCompletionFunc("flow-compute", func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return cmdutil.WithPrefix(computes, toComplete), cmdutil.CompletionOK
	})
	_ = cmd.RegisterFlagCompletionFunc("env", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("image", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("name", cobra.NoFileCompletions)
}

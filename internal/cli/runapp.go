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
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

// ErrSecretsNeedCloud is Lightning's refusal of --secret without --cloud.
var ErrSecretsNeedCloud = errors.New("Secrets can only be used for apps running in cloud. Using the option --secret in local execution is not supported.")

func newRunCommand(e *env) *cobra.Command {
	run := &cobra.Command{
		Use:   "run",
		Short: "Run a Lightning App on the cluster",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	run.AddCommand(newRunAppCommand(e))
	return run
}

type runAppOptions struct {
	*env
	cloud          bool
	name           string
	image          string
	works          []string
	flowCompute    string
	envVars        []string
	secrets        []string
	command        []string
	output         *outputFlags
	apply          bool
	dryRun         dryRun
	check          bool
	forceConflicts bool
}

func newRunAppCommand(e *env) *cobra.Command {
	o := &runAppOptions{env: e, output: newOutputFlags(false)}
	cmd := &cobra.Command{
		Use:   "app FILE --cloud --image IMAGE [--name NAME] [--env K=V]... [--secret K=SECRET]... [-- COMMAND [ARG]...]",
		Short: "Turn 'lightning run app' into a LightningApp manifest, or apply it",
		Long: `Turn a 'lightning run app' command line into a LightningApp manifest.

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
'python FILE', or the COMMAND given after '--' (spec.command), as with kubectl run.`,
		Example: `  # Print the manifest of a Lightning command line
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
    -- /usr/bin/my-app --port 8080`,
		Args: func(cmd *cobra.Command, args []string) error {
			file := exactArgs(1, "the app's FILE")
			dash := cmd.ArgsLenAtDash()
			if dash < 0 {
				return file(cmd, args)
			}
			if dash == len(args) {
				return fmt.Errorf("a COMMAND is required after '--': %s", cmd.UseLine())
			}
			return file(cmd, args[:dash])
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if dash := cmd.ArgsLenAtDash(); dash >= 0 {
				o.command = args[dash:]
			}
			return o.run(cmd, args[0])
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.cloud, "cloud", false, "Run the app in the cloud (here: the cluster). Accepted for compatibility with 'lightning run app'; --secret needs it.")
	f.StringVar(&o.name, "name", "", "The app's name; default: its folder's name, DNS-safe.")
	f.StringVar(&o.image, "image", "", "The container image that runs the app's flow and works (required).")
	f.StringArrayVar(&o.works, "work", nil, "A work of the app as PATH[=COMPUTE], e.g. root.work_a=gpu. Repeat for each work.")
	f.StringVar(&o.flowCompute, "flow-compute", "", "The cloud compute of the root flow, e.g. flow-lite.")
	f.StringArrayVar(&o.envVars, "env", nil, "Environment variable K=V for the flow and works. Repeat for each variable.")
	f.StringArrayVar(&o.secrets, "secret", nil, "Environment variable K=SECRET taking the value of LightningSecret SECRET. Repeat for each secret.")
	o.output.addFlags(cmd, "the manifest as YAML; with --apply, a line saying what changed (-o prints the applied object)")
	f.BoolVar(&o.apply, "apply", false, "Create or update the app in the cluster with server-side apply.")
	addDryRunFlag(cmd, &o.dryRun, "none, client or server. server: check against the cluster without changing it (referenced secrets exist, the apiserver admits the app in a server-side dry run). client: nothing is sent; with --apply, refused (server-side apply has no client dry run).")
	addDeprecatedCheckFlag(cmd, &o.check, e.errOut())
	f.BoolVar(&o.forceConflicts, "force-conflicts", false, "With --apply, take over fields another field manager owns.")
	registerRunAppCompletion(e, cmd)
	return cmd
}

// manifest validates the flags and builds the app and its manifest.
func (o *runAppOptions) manifest(cmd *cobra.Command, file string) (*lightningv1alpha1.LightningApp, map[string]any, error) {
	app, err := o.app(cmd, file)
	if err != nil {
		return nil, nil, err
	}
	m, err := Manifest(app)
	return app, m, err
}

func (o *runAppOptions) app(cmd *cobra.Command, file string) (*lightningv1alpha1.LightningApp, error) {
	entrypoint, err := Entrypoint(file)
	if err != nil {
		return nil, err
	}
	if len(o.secrets) > 0 && !o.cloud {
		return nil, ErrSecretsNeedCloud
	}
	vars, err := ParseVars(o.envVars, o.secrets)
	if err != nil {
		return nil, err
	}
	works, err := ParseWorks(o.works)
	if err != nil {
		return nil, err
	}
	if cmd.Flags().Changed("flow-compute") {
		if err := ValidateCompute(o.flowCompute); err != nil {
			return nil, fmt.Errorf("Invalid --flow-compute: %w", err)
		}
	}
	if err := ValidateImage(o.image); err != nil {
		return nil, err
	}
	name := o.name
	if cmd.Flags().Changed("name") {
		if err := ValidateAppName(name); err != nil {
			return nil, err
		}
	} else {
		abs, err := filepath.Abs(file)
		if err != nil {
			return nil, fmt.Errorf("finding the app's folder: %w", err)
		}
		name = AppNameFromFile(abs)
	}
	if err := resolveCheck(cmd.Flags(), o.check, &o.dryRun); err != nil {
		return nil, err
	}
	if o.apply && o.dryRun == dryRunClient {
		return nil, fmt.Errorf("--dry-run=client does not work with --apply, a server-side apply: use --dry-run=server, or leave out --apply to print the manifest")
	}
	if err := o.output.validate(); err != nil {
		return nil, err
	}
	ns, err := o.namespace()
	if err != nil {
		return nil, err
	}
	return NewApp(AppParams{
		Name:        name,
		Namespace:   ns,
		Image:       o.image,
		Entrypoint:  entrypoint,
		FlowCompute: o.flowCompute,
		Command:     o.command,
		Works:       works,
		Vars:        vars,
	}), nil
}

func (o *runAppOptions) run(cmd *cobra.Command, file string) error {
	app, m, err := o.manifest(cmd, file)
	if err != nil {
		return err
	}
	manifest := &unstructured.Unstructured{Object: m}
	if !o.apply && o.dryRun != dryRunServer {
		return o.printObject(manifest)
	}

	ctx := cmd.Context()
	c, err := o.client()
	if err != nil {
		return err
	}
	if err := o.checkSecrets(ctx, c, app); err != nil {
		return err
	}
	serverDryRun := o.dryRun == dryRunServer
	u, result, err := apply(ctx, c, m, o.forceConflicts, serverDryRun)
	if err != nil {
		return err
	}
	if !o.apply {
		return o.printObject(manifest)
	}
	if stopped, _, _ := unstructured.NestedBool(u.Object, "spec", "stopped"); stopped && !serverDryRun {
		fmt.Fprintf(o.errOut(), "Warning: app '%s' is stopped (spec.stopped); start it with 'kubectl lightning start app %s -n %s'.\n", u.GetName(), u.GetName(), u.GetNamespace())
	}
	p, err := o.output.actionPrinter(string(result) + o.dryRun.suffix())
	if err != nil {
		return err
	}
	return printTo(o.out(), p, u)
}

func (o *runAppOptions) printObject(obj runtime.Object) error {
	p, err := o.output.objectPrinter()
	if err != nil {
		return err
	}
	return printTo(o.out(), p, obj)
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
			return apiError(err)
		}
		if cond := meta.FindStatusCondition(ls.Status.Conditions, lightningv1alpha1.ConditionReady); cond != nil && cond.Status != "True" {
			fmt.Fprintf(o.errOut(), "Warning: secret '%s' is not ready (%s): %s\n", s.SecretRef, cond.Reason, show(cond.Message))
		}
	}
	return nil
}

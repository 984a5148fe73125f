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

package cmdutil

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// DeleteFlags are what the delete commands share: -o name and --dry-run.
type DeleteFlags struct {
	output string
	DryRun DryRun
}

// AddFlags adds -o and --dry-run.
func (d *DeleteFlags) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&d.output, "output", "o", "", "Output format: name (kind.group/NAME). Default: kubectl's line 'kind.group \"NAME\" deleted'.")
	AddDryRunFlag(cmd, &d.DryRun, "none, client or server. server: the apiserver checks the deletion without deleting. client: nothing is sent.")
}

// Validate checks -o: name, or none.
func (d *DeleteFlags) Validate() error {
	if d.output != "" && d.output != FormatName {
		return fmt.Errorf("unknown output format '%s': use name (or leave -o out)", Show(d.output))
	}
	return nil
}

// Delete deletes obj, exactly the one read (its UID), as --dry-run says:
// not at all with client, only checked by the apiserver with server. gone
// is the error of an object deleted meanwhile.
func (d *DeleteFlags) Delete(ctx context.Context, c client.Client, obj client.Object, gone error, opts ...client.DeleteOption) error {
	if d.DryRun == DryRunClient {
		return nil
	}
	uid := obj.GetUID()
	opts = append(opts, client.Preconditions{UID: &uid})
	if d.DryRun == DryRunServer {
		opts = append(opts, client.DryRunAll)
	}
	if err := c.Delete(ctx, obj, opts...); err != nil {
		if apierrors.IsNotFound(err) {
			return gone
		}
		return APIError(err)
	}
	return nil
}

// PrintDeleted is kubectl delete's report of obj on w: `kind.group "name"
// deleted`, or with -o name just kind.group/name.
func (d *DeleteFlags) PrintDeleted(w io.Writer, obj runtime.Object) error {
	u, err := toUnstructured(obj)
	if err != nil {
		return err
	}
	kind := strings.ToLower(u.GroupVersionKind().GroupKind().String())
	line := fmt.Sprintf("%s %q deleted%s", kind, u.GetName(), d.DryRun.Suffix())
	if d.output == FormatName {
		line = kind + "/" + u.GetName()
	}
	_, err = fmt.Fprintln(w, line)
	return err
}

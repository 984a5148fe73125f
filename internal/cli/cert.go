package cli

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/lightning-operator/lightning-operator/internal/sealing"
)

type certOptions struct {
	*env
	outFile string
}

func newCertCommand(e *env) *cobra.Command {
	o := &certOptions{env: e}
	cmd := &cobra.Command{
		Use:   "cert [-o FILE]",
		Short: "Print the operator's public keys, for sealing offline",
		Long: `Print the operator's public sealing keys as PEM, read from the ConfigMap
lightning-operator-public-keys in --operator-namespace. The last key is the current
one: 'secret create --cert FILE' seals to it without contacting the cluster.

Older keys are listed too: the operator keeps them to open values sealed before a
rotation. Public keys are not secret; the file may be committed.`,
		Example: `  # Save the public keys, then seal offline
  kubectl lightning cert -o lightning.pem
  kubectl lightning secret create my-secret -n alice --cert lightning.pem < value.txt

  # The operator runs in another namespace
  kubectl lightning cert --operator-namespace lightning`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			_, all, err := o.publicKeys(cmd.Context(), c)
			if err != nil {
				return err
			}
			pem := sealing.EncodePublicKeysPEM(all)
			if o.outFile == "" || o.outFile == "-" {
				_, err = o.out().Write(pem)
				return err
			}
			if err := os.WriteFile(o.outFile, pem, 0o644); err != nil {
				return fmt.Errorf("writing the public keys: %w", err)
			}
			fmt.Fprintf(o.errOut(), "Wrote %d public key(s) to %s; the current key is %s.\n", len(all), o.outFile, all[len(all)-1].ID())
			return nil
		},
	}
	cmd.Flags().StringVarP(&o.outFile, "output", "o", "", "Write the PEM to this file instead of stdout.")
	return cmd
}

// Version is the CLI's version, set at build time with
// -ldflags "-X github.com/lightning-operator/lightning-operator/internal/cli.Version=v0.1.0".
var Version = "dev"

func newVersionCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version of kubectl-lightning",
		Example: `  kubectl lightning version`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(e.out(), versionString())
			return err
		},
	}
}

// versionString is "kubectl-lightning VERSION (commit C, goX linux/amd64)".
func versionString() string {
	commit := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			commit = rev
			if modified == "true" {
				commit += "-dirty"
			}
		}
	}
	return fmt.Sprintf("kubectl-lightning %s (commit %s, %s %s/%s)", Version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

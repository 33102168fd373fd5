package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ydpgen/ydpgen/fsys"
	"github.com/ydpgen/ydpgen/spec"
)

func newInitCommand(a *app) *cobra.Command {
	var profile, out string
	var force bool
	cmd := &cobra.Command{
		Use:   "init --profile PROFILE [-o FILE]",
		Short: "Write a commented starter spec for a profile",
		Long: `init writes a starter spec for one profile (k3s-pi, kubeadm or eks) with
a comment on every section. It validates as written; change the names,
repositories and cluster facts to your own.`,
		Example: `  ydpgen init --profile k3s-pi -o platform.yaml
  ydpgen init --profile eks > platform.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if profile == "" {
				return usagef("init needs --profile, one of %s", strings.Join(spec.ProfileNames(), ", "))
			}
			src, err := spec.Starter(profile)
			if err != nil {
				return usagef("%v", err)
			}
			if out == "" || out == "-" {
				_, err := a.stdout.Write(src)
				return err
			}
			fs := fsys.OnDisk{}
			if exists, _, err := fs.Stat(out); err != nil {
				return filesErrorf("cannot write %s: %v", displayPath(out), reason(err))
			} else if exists && !force {
				return filesErrorf("%s already exists; use --force to overwrite it", displayPath(out))
			}
			if err := fs.WriteFile(out, src); err != nil {
				return filesErrorf("cannot write %s: %v", displayPath(out), reason(err))
			}
			fmt.Fprintf(a.stdout, "wrote %s (profile %s); next: ydpgen validate %s\n", displayPath(out), profile, displayPath(out))
			return nil
		},
	}
	cmd.Flags().StringVar(&profile, "profile", "", "profile of the starter environment: "+strings.Join(spec.ProfileNames(), ", "))
	cmd.Flags().StringVarP(&out, "out", "o", "", "file to write (default: standard output)")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	return cmd
}

package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ydpgen/ydpgen/chart"
	"github.com/ydpgen/ydpgen/fsys"
	"github.com/ydpgen/ydpgen/spec"
)

// starterName is the file init writes into its -o directory, the name
// every command finds in a directory given as SPEC.
const starterName = "platform.yaml"

// starterChart pins the Airflow chart release every starter names: the
// chart archive Apache publishes for it, by its SHA-256 (the same pin as the
// examples' ydpgen.lock; TestStarterChartIsTheExamplesPin holds them equal).
func starterChart() chart.LockEntry {
	return chart.LockEntry{Name: "airflow", Version: "1.19.0", Source: "https://airflow.apache.org",
		Digest: "sha256:d29101d155d7ecf50c9eaaed37ba3527644018b5db681608dd76f81e3ab71c4e"}
}

func newInitCommand(a *app) *cobra.Command {
	var profile string
	var out *string
	var force bool
	cmd := &cobra.Command{
		Use:   "init --profile PROFILE [-o DIR]",
		Short: "Write a commented starter spec for a profile",
		Long: `init writes a starter spec for one profile (k3s-pi, kubeadm or eks) with
a comment on every section, to standard output or, with -o DIR, into
DIR/platform.yaml (which every command finds when given DIR). It validates
as written; change the names, repositories and cluster facts to your own.`,
		Example: `  ydpgen init --profile k3s-pi -o .
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
			dir := *out
			if dir == "" {
				_, err := a.stdout.Write(src)
				return err
			}
			if ext := strings.ToLower(filepath.Ext(dir)); ext == ".yaml" || ext == ".yml" || ext == ".cue" {
				return usagef("-o/--out names a directory, and init writes %s into it; did you mean: ydpgen init --profile %s > %s", starterName, profile, dir)
			}
			if err := outputDir("the output", dir); err != nil {
				return err
			}
			path := filepath.Join(dir, starterName)
			fs := fsys.OnDisk{}
			if exists, _, err := fs.Stat(path); err != nil {
				return filesErrorf("cannot write %s: %v", displayPath(path), reason(err))
			} else if exists && !force {
				return filesErrorf("%s already exists; use --force to overwrite it", displayPath(path))
			}
			if err := fs.WriteFile(path, src); err != nil {
				return filesErrorf("cannot write %s: %v", displayPath(path), reason(err))
			}
			// The starter hydrates the chart it names, which only a lock
			// pins: write the lock of that release next to it, unless the
			// directory has one (another spec's pins stay).
			lockPath := filepath.Join(dir, chart.LockFileName)
			if exists, _, err := fs.Stat(lockPath); err != nil {
				return filesErrorf("cannot write %s: %v", displayPath(lockPath), reason(err))
			} else if !exists {
				if err := chart.WriteLock(lockPath, &chart.Lock{Version: 1, Charts: []chart.LockEntry{starterChart()}}); err != nil {
					return filesErrorf("cannot write %s: %v", displayPath(lockPath), reason(err))
				}
			}
			fmt.Fprintf(a.stdout, "wrote %s (profile %s) and %s; next: ydpgen validate %s\n", displayPath(path), profile, chart.LockFileName, displayPath(path))
			return nil
		},
	}
	cmd.Flags().StringVar(&profile, "profile", "", "profile of the starter environment: "+strings.Join(spec.ProfileNames(), ", "))
	_ = cmd.RegisterFlagCompletionFunc("profile", fixedCompletion(spec.ProfileNames()...))
	out = addOutFlag(cmd, "the directory `DIR` to write "+starterName+" into (default: standard output)")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing "+starterName)
	return cmd
}

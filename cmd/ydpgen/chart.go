package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/ydpgen/ydpgen/chart"
	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/hydrate"
)

func newChartCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "chart",
		Short: "Pin the Airflow chart that render hydrates",
		Long: `ydpgen renders the Airflow chart into the tree (airflow.chart.hydrate). It
renders exactly the archive that ydpgen.lock, next to the spec, pins by
digest, from the chart cache ~/.cache/ydpgen/charts or, when the cache lacks
it, from the chart's repository; an archive with another digest is an
error, never a silent re-pull.`,
	}
	update := &cobra.Command{
		Use:   "update [SPEC]",
		Short: "Download the spec's charts and pin them in ydpgen.lock",
		Long: `update reads the spec (default: platform.yaml or platform.cue in the
working directory), downloads the newest version of each hydrated
environment's chart that airflow.chart.version allows from its repository
or OCI registry, stores the archive in the chart cache under its digest and
writes ydpgen.lock next to the spec with the chart's name, version, source
and digest. Local charts (airflow.chart.path) are not locked.`,
		Example: `  ydpgen chart update platform.yaml
  git diff ydpgen.lock`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "."
			if len(args) == 1 {
				path = args[0]
			}
			return a.chartUpdate(cmd.Context(), path)
		},
	}
	cmd.AddCommand(update)
	return cmd
}

// chartUpdate pins the remote chart of every hydrated environment and
// writes the lock; entries no environment uses any more are dropped.
func (a *app) chartUpdate(ctx context.Context, path string) error {
	s, err := a.loadSchema()
	if err != nil {
		return err
	}
	if path, err = specFile(path); err != nil {
		return err
	}
	src, err := readSpec(path)
	if err != nil {
		return err
	}
	p, err := s.Load(path, src)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	lockPath := filepath.Join(dir, chart.LockFileName)
	lock, err := chart.ReadLock(lockPath)
	if err != nil {
		lock = &chart.Lock{} // a damaged lock is what update replaces
	}
	r := &chart.Resolver{BaseDir: dir, Offline: os.Getenv(hydrate.OfflineEnv) == "1"}
	var used []chart.LockEntry
	for i := range p.Environments {
		env := &p.Environments[i]
		ref := hydrate.Ref(env)
		if !env.Airflow.Chart.Hydrate || ref.Kind() == chart.Local || pinned(used, ref) {
			continue
		}
		e, err := r.Update(ctx, ref, lock)
		if err != nil {
			return diag.List{hydrate.UpdateFinding(env, err)}
		}
		used = append(used, e)
	}
	for _, e := range slices.Clone(lock.Charts) {
		if !pinned(used, chart.Ref{Name: e.Name, Source: e.Source}) {
			lock.Remove(e.Name, e.Source)
		}
	}
	if err := chart.WriteLock(lockPath, lock); err != nil {
		return fmt.Errorf("writing %s: %w", displayPath(lockPath), err)
	}
	if a.output == "json" {
		return writeJSON(a.stdout, report{OK: true, Summary: map[string]any{"lock": displayPath(lockPath), "charts": nonNilEntries(used)}})
	}
	for _, e := range used {
		fmt.Fprintf(a.stdout, "pinned chart %s %s from %s: %s\n", e.Name, e.Version, e.Source, e.Digest)
	}
	fmt.Fprintf(a.stdout, "wrote %s (%s)\n", displayPath(lockPath), plural(len(used), "chart"))
	return nil
}

func pinned(entries []chart.LockEntry, ref chart.Ref) bool {
	return slices.ContainsFunc(entries, func(e chart.LockEntry) bool { return e.Name == ref.Name && e.Source == ref.Source })
}

func nonNilEntries(l []chart.LockEntry) []chart.LockEntry {
	if l == nil {
		return []chart.LockEntry{}
	}
	return l
}

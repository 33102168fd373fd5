package main

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ydpgen/ydpgen/capacity"
	"github.com/ydpgen/ydpgen/fsys"
	"github.com/ydpgen/ydpgen/render"
)

func newCapacityCommand(a *app) *cobra.Command {
	var (
		out, format *string
		dags        int
		durations   []string
		schedules   []string
	)
	cmd := &cobra.Command{
		Use:   "capacity SPEC [-o DIR]",
		Short: "Show what each environment asks of its nodes and what is left for jobs",
		Long: `capacity renders a spec in memory and prints, per environment: the
requests and limits of every component the platform runs, the headroom left
on the declared nodes, how many DataSurface job pods of each kind fit at
once and how many runs an hour that gives, how many streams each schedule
supports, and, with --dags, the DAG shards DataSurface's sizing rule asks
for. Job pod sizes are DataSurface's documented ones; run times and
schedules are assumptions to replace with measured ones.

With -o DIR it also writes <env>-capacity.svg: the memory of every node,
stacked by component, against what the node can give. render writes the
same chart as overlays/<env>/capacity.svg.

The spec is checked first, as validate checks it: errors stop the command
(exit 1), warnings are printed. --format json prints the reports as the
summary of the JSON envelope every command prints (ok, findings, summary);
--format svg prints the one chart of the one environment (--env) or cluster
the spec has to standard output. --env narrows the reports to some
environments (and the clusters they share). SPEC - reads standard input.

Environments that declare the same cluster (cluster.name) share its nodes:
capacity also prints the plan of the whole cluster, their pods placed
together, and writes it as cluster-<name>-capacity.svg, stacked by
environment; render puts that chart in each of their overlays.`,
		Example: `  ydpgen capacity platform.yaml
  ydpgen capacity platform.yaml --dags 3000 --job-duration transformer=8m --schedule 10m,1h
  ydpgen capacity platform.yaml --format json -o charts/
  ydpgen capacity platform.yaml --env prod --format svg > prod.svg`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeSpec,
		RunE: func(cmd *cobra.Command, args []string) error {
			out, format := *out, *format
			opts := capacity.DefaultOptions()
			opts.DAGs = dags
			for _, d := range durations {
				name, val, ok := strings.Cut(d, "=")
				dur, err := time.ParseDuration(val)
				i := slices.IndexFunc(opts.Jobs, func(j capacity.JobKind) bool { return j.Name == name })
				if !ok || err != nil || dur <= 0 || i < 0 {
					var kinds []string
					for _, j := range opts.Jobs {
						kinds = append(kinds, j.Name)
					}
					return usagef("--job-duration %q: want KIND=DURATION with KIND one of %s and a duration such as 5m", d, strings.Join(kinds, ", "))
				}
				opts.Jobs[i].Duration = dur
			}
			if len(schedules) > 0 {
				opts.Schedules = nil
				for _, s := range schedules {
					dur, err := time.ParseDuration(s)
					if err != nil || dur <= 0 {
						return usagef("--schedule %q: want a duration such as 15m or 1h", s)
					}
					opts.Schedules = append(opts.Schedules, dur)
				}
			}
			if out != "" {
				if err := outputDir("the output", out); err != nil {
					return err
				}
			}
			res, findings, err := a.gate(args[0], render.Options{ObjectsOnly: true})
			if err != nil {
				return err
			}
			var reports []*capacity.Report
			for i := range res.Platform.Environments {
				if !a.selected(res.Platform.Environments[i].Name) {
					continue
				}
				r, err := capacity.Plan(&res.Platform.Environments[i], res.Environments[i].Objects, opts)
				if err != nil {
					return err
				}
				reports = append(reports, r)
			}
			// Environments that declare one cluster also get the plan of
			// the whole cluster: their pods share its nodes.
			for _, group := range res.Platform.ClusterGroups() {
				var parts []*capacity.Report
				for _, i := range group {
					if r := reportOf(reports, res.Platform.Environments[i].Name); r != nil {
						parts = append(parts, r)
					}
				}
				if len(parts) == 0 {
					continue
				}
				reports = append(reports, capacity.Stack(res.Platform.Environments[group[0]].Cluster.Name, parts, opts))
			}
			if out != "" {
				fs := fsys.OnDisk{}
				for _, r := range reports {
					name := r.Environment + "-capacity.svg"
					if r.Cluster != "" {
						name = "cluster-" + r.Cluster + "-capacity.svg"
					}
					p := filepath.Join(out, name)
					if err := fs.WriteFile(p, r.SVG()); err != nil {
						return filesErrorf("cannot write the chart %s: %v", displayPath(p), reason(err))
					}
				}
			}
			if format == "svg" {
				if len(reports) != 1 {
					var names []string
					for _, r := range reports {
						names = append(names, cmp.Or(r.Cluster, r.Environment))
					}
					return usagef("--format svg prints one chart, and this spec has %d (%s); choose one environment with --env, or write them all with -o DIR",
						len(reports), strings.Join(names, ", "))
				}
				_, err := a.stdout.Write(reports[0].SVG())
				return err
			}
			if a.output == "json" {
				return writeJSON(a.stdout, report{OK: true, Findings: findings, Summary: map[string]any{
					"platform": res.Platform.Name, "environments": reports}})
			}
			for i, r := range reports {
				if i > 0 {
					fmt.Fprintln(a.stdout)
				}
				if err := r.WriteText(a.stdout); err != nil {
					return err
				}
			}
			return nil
		},
	}
	out = addOutFlag(cmd, "the directory `DIR` to write one SVG chart per environment into")
	format = addFormatFlag(cmd, "text", "json", "svg")
	a.addEnvFlag(cmd)
	cmd.Flags().IntVar(&dags, "dags", 0, "number of DAGs, to size the DAG shards")
	cmd.Flags().StringSliceVar(&durations, "job-duration", nil, "run time of a job kind, KIND=DURATION (repeatable)")
	cmd.Flags().StringSliceVar(&schedules, "schedule", nil, "stream schedule intervals, such as 15m,1h")
	return cmd
}

// reportOf is the report of environment name, nil when --env left it out.
func reportOf(reports []*capacity.Report, name string) *capacity.Report {
	for _, r := range reports {
		if r.Cluster == "" && r.Environment == name {
			return r
		}
	}
	return nil
}

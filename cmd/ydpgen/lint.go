package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/lint"
	"github.com/ydpgen/ydpgen/render"
)

func newLintCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lint SPEC...",
		Short: "Check specs against ydpgen's operational rules",
		Long: `lint validates each spec, renders it in memory and runs the operational
rules: the mistakes that cost the seed deployments hours (volumes shared
across nodes, requests that do not fit, addresses that point at nothing).
Every finding has a rule ID; ydpgen explain ID says why it matters and how
to fix it. An environment can switch a rule off with a written reason:

  environments:
    lab:
      lint:
        suppress:
          - rule: YDP015
            reason: the database node is wired to the scheduler's switch

Exit code 1 when any spec has errors; warnings alone exit 0. A SPEC of -
reads standard input.`,
		Example: `  ydpgen lint platform.yaml
  ydpgen lint examples/*/platform.yaml
  ydpgen lint --format json --env prod platform.yaml`,
		Args: cobra.MinimumNArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			return []string{"yaml", "yml", "cue"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if i := slices.Index(args, stdinArg); i >= 0 && slices.Contains(args[i+1:], stdinArg) {
				return usagef("standard input (-) can be read only once")
			}
			var all diag.List
			for _, p := range args {
				// An invalid spec's findings and another's lint findings
				// are reported together.
				_, findings, err := a.compile(p, render.Options{ObjectsOnly: true})
				if err != nil {
					return err
				}
				all = append(all, findings...)
			}
			if len(all) > 0 {
				return all
			}
			if a.output == "json" {
				return writeJSON(a.stdout, report{OK: true, Findings: diag.List{}, Summary: map[string]any{"specs": len(args)}})
			}
			fmt.Fprintf(a.stdout, "%s: no findings\n", plural(len(args), "spec"))
			return nil
		},
	}
	addFormatFlag(cmd, "text", "json")
	a.addEnvFlag(cmd)
	return cmd
}

func newExplainCommand(a *app) *cobra.Command {
	var list bool
	cmd := &cobra.Command{
		Use:   "explain RULE | --list",
		Short: "Explain a lint rule, or list them all",
		Long: `explain prints the page of a lint rule: what it checks, why it matters
and how to fix it. With --list it prints every rule, one a line, starting
with its ID.`,
		Example: `  ydpgen explain YDP011
  ydpgen explain --list`,
		Args: func(cmd *cobra.Command, args []string) error {
			if list && len(args) > 0 {
				return fmt.Errorf("give a rule ID or --list, not both")
			}
			if !list && len(args) != 1 {
				return fmt.Errorf("give one rule ID, or --list")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if list {
				if a.output == "json" {
					type entry struct {
						ID       string        `json:"id"`
						Name     string        `json:"name"`
						Severity diag.Severity `json:"severity"`
						Summary  string        `json:"summary"`
					}
					var out []entry
					for _, r := range lint.Rules() {
						out = append(out, entry{r.ID, r.Name, r.Severity, r.Summary})
					}
					return writeJSON(a.stdout, out)
				}
				for _, r := range lint.Rules() {
					fmt.Fprintf(a.stdout, "%s %-7s %-24s %s\n", r.ID, r.Severity, r.Name, r.Summary)
				}
				return nil
			}
			r, ok := lint.Lookup(args[0])
			if !ok {
				var ids []string
				for _, r := range lint.Rules() {
					ids = append(ids, r.ID)
				}
				return usagef("no rule %s; rules: %s", args[0], strings.Join(ids, ", "))
			}
			fmt.Fprintf(a.stdout, "%s %s (%s)\n\n%s\n\n%s\n", r.ID, r.Name, r.Severity, r.Summary, r.Explanation)
			return nil
		},
	}
	cmd.Flags().BoolVar(&list, "list", false, "list every rule, one a line")
	addFormatFlag(cmd, "text", "json")
	return cmd
}

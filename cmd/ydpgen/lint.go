package main

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/ydpgen/ydpgen/diag"
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
to fix it.

An environment can switch a rule off with a written reason:

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
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: completeSpec,
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

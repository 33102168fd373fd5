package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ydpgen/ydpgen/render"
)

func newValidateCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "validate SPEC",
		Short: "Check a spec against the schema and its profiles",
		Long: `validate checks a spec (YAML, or CUE when the file ends in .cue) against
ydpgen's schema and the profile of each environment, renders it in memory
and runs the lint rules, and prints every problem at once: file:line:col,
the spec path, what is wrong and what is allowed. Lint warnings are printed
but do not fail validation. SPEC - reads the spec (YAML) from standard
input; positions then name <stdin>.`,
		Example: `  ydpgen validate platform.yaml
  ydpgen validate --format json --env prod platform.yaml
  ydpgen init --profile k3s-pi | ydpgen validate -`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeSpec,
		RunE: func(cmd *cobra.Command, args []string) error {
			res, findings, err := a.gate(args[0], render.Options{ObjectsOnly: true})
			if err != nil {
				return err
			}
			p := res.Platform
			var names []string
			for _, e := range p.Environments {
				if !a.selected(e.Name) {
					continue
				}
				names = append(names, e.Name+" ("+e.Profile+")")
			}
			if a.output == "json" {
				return writeJSON(a.stdout, report{OK: true, Findings: findings, Summary: map[string]any{"platform": p.Name, "environments": names}})
			}
			fmt.Fprintf(a.stdout, "%s: platform %s is valid; environments: %s\n", displayPath(args[0]), p.Name, strings.Join(names, ", "))
			return nil
		},
	}
	addFormatFlag(cmd, "text", "json")
	a.addEnvFlag(cmd)
	return cmd
}

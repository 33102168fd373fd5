package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func newValidateCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "validate SPEC",
		Short: "Check a spec against the schema and its profiles",
		Long: `validate checks a spec (YAML, or CUE when the file ends in .cue) against
ydpgen's schema and the profile of each environment, and prints every
problem at once: file:line:col, the spec path, what is wrong and what is
allowed.`,
		Example: `  ydpgen validate platform.yaml
  ydpgen validate --output json platform.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.loadSchema()
			if err != nil {
				return err
			}
			src, err := readSpec(args[0])
			if err != nil {
				return err
			}
			p, err := s.Load(args[0], src)
			if err != nil {
				return err
			}
			var names []string
			for _, e := range p.Environments {
				names = append(names, e.Name+" ("+e.Profile+")")
			}
			if a.output == "json" {
				return writeJSON(a.stdout, report{OK: true, Findings: nil, Summary: map[string]any{"platform": p.Name, "environments": names}})
			}
			fmt.Fprintf(a.stdout, "%s: platform %s is valid; environments: %s\n", displayPath(args[0]), p.Name, strings.Join(names, ", "))
			return nil
		},
	}
}

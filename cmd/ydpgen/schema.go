package main

import (
	"github.com/spf13/cobra"

	"github.com/ydpgen/ydpgen/spec"
)

func newSchemaCommand(a *app) *cobra.Command {
	var jsonSchema bool
	cmd := &cobra.Command{
		Use:   "schema",
		Short: "Print the spec's schema (CUE, or JSON Schema for editors)",
		Long: `schema prints the CUE definitions a spec is checked against, profiles
included. With --json-schema it prints a JSON Schema of the spec that YAML
editors use for completion and checks, e.g. with a first line
  # yaml-language-server: $schema=platform.schema.json`,
		Example: `  ydpgen schema
  ydpgen schema --json-schema > platform.schema.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if jsonSchema {
				s, err := a.loadSchema()
				if err != nil {
					return err
				}
				b, err := s.JSONSchema()
				if err != nil {
					return err
				}
				_, err = a.stdout.Write(b)
				return err
			}
			files, err := spec.Source()
			if err != nil {
				return err
			}
			for i, f := range files {
				if i > 0 {
					a.stdout.Write([]byte("\n"))
				}
				a.stdout.Write([]byte("// " + f.Name + "\n"))
				if _, err := a.stdout.Write(f.Data); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&jsonSchema, "json-schema", false, "print a JSON Schema (draft 2020-12) of the spec instead")
	return cmd
}

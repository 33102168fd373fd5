package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ydpgen/ydpgen/render"
	"github.com/ydpgen/ydpgen/spec"
)

func newResolveCommand(a *app) *cobra.Command {
	var showOrigin bool
	var format *string
	cmd := &cobra.Command{
		Use:   "resolve SPEC [--env NAME] [--show-origin]",
		Short: "Print the effective spec of each environment",
		Long: `resolve prints each environment as ydpgen uses it: the profile's
defaults, then the platform's sections, then the environment's overrides,
merged and checked. With --show-origin every value says where it came
from: the file:line:col of the spec that wrote it, or "profile <name>
default". YAML documents, one per environment (--env narrows them), or
with --format json a list of {environment, profile, spec[, origins]}.
The spec must be valid: findings stop the command as validate would.`,
		Example: `  ydpgen resolve platform.yaml --env prod
  ydpgen resolve platform.yaml --show-origin
  ydpgen resolve platform.yaml --format json`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeSpec,
		RunE: func(cmd *cobra.Command, args []string) error {
			// The envelope of findings stays text unless JSON was asked for.
			res, _, err := a.gate(args[0], render.Options{ObjectsOnly: true})
			if err != nil {
				return err
			}
			type entry struct {
				Environment string             `json:"environment"`
				Profile     string             `json:"profile"`
				Spec        any                `json:"spec"`
				Origins     []spec.ValueOrigin `json:"origins,omitempty"`
			}
			entries := []entry{}
			for i := range res.Platform.Environments {
				env := &res.Platform.Environments[i]
				if !a.selected(env.Name) {
					continue
				}
				if *format == "json" {
					data, origins, err := spec.Effective(env, displayPath)
					if err != nil {
						return err
					}
					e := entry{Environment: env.Name, Profile: env.Profile, Spec: data}
					if showOrigin {
						e.Origins = origins
					}
					entries = append(entries, e)
					continue
				}
				b, err := spec.EffectiveYAML(env, showOrigin, displayPath)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "---\n# environment %s (profile %s)\n", env.Name, env.Profile)
				if _, err := a.stdout.Write(b); err != nil {
					return err
				}
			}
			if *format == "json" {
				return writeJSON(a.stdout, entries)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&showOrigin, "show-origin", false, "say where each value came from: file:line:col, or the profile's default")
	format = addFormatFlag(cmd, "yaml", "json")
	a.addEnvFlag(cmd)
	return cmd
}

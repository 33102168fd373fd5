package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ydpgen/ydpgen/fsys"
	"github.com/ydpgen/ydpgen/overlays"
	"github.com/ydpgen/ydpgen/render"
)

func newRenderCommand(a *app) *cobra.Command {
	var out string
	var verify, durable bool
	cmd := &cobra.Command{
		Use:   "render SPEC -o DIR",
		Short: "Render a spec into a GitOps tree",
		Long: `render validates a spec, renders every environment and writes the tree:
base/, overlays/<env>/ (with the Airflow Helm values in overlays/<env>/airflow/)
and .ydpgen/manifest.json. With --verify, every overlay is first built with
kustomize in memory and compared with its environment's render. The write
is atomic: if it fails or is interrupted, DIR keeps the previous render
(--durable extends that to a power loss, at the cost of flushing the
disk). Files ydpgen did not write are never touched; files the previous
render wrote and this one does not are removed.

The lint rules run first: errors stop the render, warnings are printed.
Each overlay also gets capacity.svg, the memory budget of its nodes.`,
		Example: `  ydpgen render platform.yaml -o deploy/
  kubectl kustomize deploy/overlays/prod`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("render needs an output directory: -o DIR")
			}
			if exists, isDir, err := (fsys.OnDisk{}).Stat(out); err != nil {
				return err
			} else if exists && !isDir {
				return usagef("the output %s is a file, not a directory", displayPath(out))
			}
			res, findings, err := a.compile(args[0], render.Options{Verify: verify})
			if err != nil {
				return err
			}
			if findings.HasErrors() {
				return findings
			}
			if err := a.warn(findings); err != nil {
				return err
			}
			rep, err := overlays.Write(fsys.OnDisk{Durable: durable}, out, res.Tree)
			var conflict *overlays.ConflictError
			if errors.As(err, &conflict) {
				return usageError{err}
			}
			if err != nil {
				return fmt.Errorf("writing %s: %w", displayPath(out), err)
			}
			if a.output == "json" {
				return writeJSON(a.stdout, report{OK: true, Findings: findings, Summary: map[string]any{
					"output": displayPath(out), "written": nonNil(rep.Written), "unchanged": nonNil(rep.Unchanged), "pruned": nonNil(rep.Pruned),
				}})
			}
			fmt.Fprintf(a.stdout, "rendered %s into %s: %d written, %d unchanged, %d pruned\n",
				plural(len(res.Environments), "environment"), displayPath(out), len(rep.Written), len(rep.Unchanged), len(rep.Pruned))
			for _, e := range res.Environments {
				fmt.Fprintf(a.stdout, "  kubectl kustomize %s\n", displayPath(out)+"/"+overlays.OverlayDir(e.Name))
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "directory to write the tree into (required)")
	cmd.Flags().BoolVar(&durable, "durable", false, "flush the tree to disk before the write counts as done, so that it also survives a power loss")
	cmd.Flags().BoolVar(&verify, "verify", false, "build every overlay with kustomize in memory and compare it with the render before writing")
	return cmd
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

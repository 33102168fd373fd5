package main

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/fsys"
	"github.com/ydpgen/ydpgen/overlays"
	"github.com/ydpgen/ydpgen/render"
	"github.com/ydpgen/ydpgen/review"
)

func newRenderCommand(a *app) *cobra.Command {
	var out *string
	var verify, durable, check bool
	cmd := &cobra.Command{
		Use:   "render SPEC -o DIR",
		Short: "Render a spec into a GitOps tree",
		Long: `render validates a spec, renders every environment and writes the tree:
base/, overlays/<env>/ (with the Airflow Helm values in overlays/<env>/airflow/),
gitops/ (the Argo CD or Flux objects of gitops.engine), README.md (the apply
order) and .ydpgen/manifest.json. With --verify, every overlay is first built with
kustomize in memory and compared with its environment's render. The write
is atomic: if it fails or is interrupted, DIR keeps the previous render
(--durable extends that to a power loss, at the cost of flushing the
disk), and the next render finishes or rolls back what a killed one left.
Files ydpgen did not write are never touched; a file the previous render
wrote and this one does not is removed while it holds what ydpgen wrote,
and kept (and reported) otherwise. Nothing is read, written or removed
through a symbolic link inside DIR. Renders into one directory take turns
(the lock .ydpgen/lock; a render gives up after waiting 30 seconds).

The lint rules run first: errors stop the render, warnings are printed.
Each overlay also gets capacity.svg, the memory budget of its nodes.

With --check, nothing is written: the render is compared with the tree in
DIR (the files its .ydpgen/manifest.json lists) and the differences are
printed as by ydpgen diff; the exit code is 1 when the tree is not what the
spec renders, 0 when it is; --env narrows the comparison to some
environments (the files outside every overlay are always compared).

SPEC - reads the spec (YAML) from standard input.`,
		Example: `  ydpgen render platform.yaml -o deploy/
  kubectl kustomize deploy/overlays/prod
  ydpgen render --check platform.yaml -o deploy/   # in CI
  ydpgen render --check --env prod platform.yaml -o deploy/`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeSpec,
		RunE: func(cmd *cobra.Command, args []string) error {
			out := *out
			if len(a.envs) > 0 && !check {
				return usagef("--env goes with --check: render writes every environment of the spec")
			}
			if out == "" {
				return usagef("render needs an output directory: -o DIR")
			}
			if err := outputDir("the output", out); err != nil {
				return err
			}
			res, findings, err := a.gate(args[0], render.Options{Verify: verify, DrySource: drySource(args[0], out)})
			if err != nil {
				return err
			}
			if check {
				return a.check(args[0], out, res, findings)
			}
			// Paths in the writer's errors are then as users see them.
			out = displayPath(out)
			rep, err := overlays.Write(fsys.OnDisk{Durable: durable}, out, res.Tree)
			if err != nil {
				return writeError(out, err)
			}
			kept := rep.Kept
			if kept == nil {
				kept = []overlays.KeptFile{}
			}
			if a.output == "json" {
				return writeJSON(a.stdout, report{OK: true, Findings: findings, Summary: map[string]any{
					"output": out, "written": nonNil(rep.Written), "unchanged": nonNil(rep.Unchanged), "pruned": nonNil(rep.Pruned), "kept": kept,
				}})
			}
			fmt.Fprintf(a.stdout, "rendered %s into %s: %d written, %d unchanged, %d pruned\n",
				plural(len(res.Environments), "environment"), out, len(rep.Written), len(rep.Unchanged), len(rep.Pruned))
			for _, e := range res.Environments {
				fmt.Fprintf(a.stdout, "  kubectl kustomize %s\n", out+"/"+overlays.OverlayDir(e.Name))
			}
			for _, k := range kept {
				fmt.Fprintf(a.stderr, "ydpgen: kept %s, which the previous render wrote and this one does not: %s; delete it if nothing needs it\n",
					filepath.Join(out, filepath.FromSlash(k.Path)), k.Reason)
			}
			return nil
		},
	}
	out = addOutFlag(cmd, "the directory `DIR` to write the tree into (required)")
	addFormatFlag(cmd, "text", "json")
	a.addEnvFlag(cmd)
	cmd.Flags().BoolVar(&durable, "durable", false, "flush the tree to disk before the write counts as done, so that it also survives a power loss")
	cmd.Flags().BoolVar(&check, "check", false, "write nothing; compare the render with the tree in DIR and exit 1 when they differ")
	cmd.Flags().BoolVar(&verify, "verify", false, "build every overlay with kustomize in memory and compare it with the render before writing")
	return cmd
}

// check compares a render with the tree in out and prints the differences.
func (a *app) check(spec, out string, res *render.Result, findings diag.List) error {
	out = displayPath(out)
	old, err := review.FromDir(fsys.OnDisk{}, out)
	if err != nil {
		return inputError(err)
	}
	old.Label = displayPath(out)
	rep, err := review.Compare(old, review.Side{Label: displayPath(spec), Tree: res.Tree})
	if err != nil {
		return err
	}
	if err := rep.Only(a.envs); err != nil {
		return usageError{err}
	}
	// Another ydpgen may render the same spec differently: say so first.
	if m, err := overlays.ReadManifest(fsys.OnDisk{}, out); err == nil && m.Version != "" && m.Version != res.Tree.Provenance.Version && a.output != "json" {
		fmt.Fprintf(a.stdout, "%s was rendered by ydpgen %s, checked with ydpgen %s\n", displayPath(out), m.Version, res.Tree.Provenance.Version)
	}
	if !rep.Differs && a.output != "json" {
		fmt.Fprintf(a.stdout, "%s is up to date: %s renders the same %s\n", displayPath(out), displayPath(spec), plural(len(res.Tree.Files()), "file"))
		return nil
	}
	err = a.printReport(rep, findings, "text")
	if rep.Differs && a.output != "json" {
		fmt.Fprintf(a.stderr, "ydpgen: %s is not what %s renders; run: ydpgen render %s -o %s\n", displayPath(out), displayPath(spec), displayPath(spec), displayPath(out))
	}
	return err
}

// writeError makes what is wrong in the output directory a usage error:
// a file ydpgen did not write, a link or special file in the tree, a
// manifest it cannot trust, another render holding the lock.
func writeError(out string, err error) error {
	var conflict *overlays.ConflictError
	var unsafe *fsys.UnsafeError
	var manifest *overlays.ManifestError
	var locked *fsys.LockedError
	// The tree is complete and checked before Write starts, so what stops
	// Write is the directory: a foreign file or a link in the way, a
	// manifest ydpgen did not write, another render holding the lock, a
	// file system that refuses. None of it is a bug in ydpgen.
	if errors.As(err, &conflict) || errors.As(err, &unsafe) || errors.As(err, &manifest) || errors.As(err, &locked) {
		return filesError{err}
	}
	return filesErrorf("cannot write the tree into %s: %w", out, err)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/fsys"
	"github.com/ydpgen/ydpgen/overlays"
	"github.com/ydpgen/ydpgen/render"
	"github.com/ydpgen/ydpgen/review"
)

func newDiffCommand(a *app) *cobra.Command {
	var against, againstRef, treePath string
	var exitCode *string
	cmd := &cobra.Command{
		Use:   "diff SPEC (--against DIR | --against-ref REV [--path DIR])",
		Short: "Show what a render would change, object by object",
		Long: `diff renders a spec in memory and compares it with a rendered tree: a
directory (--against) or the tree committed at a git revision (--against-ref,
with --path naming the tree's directory, deploy by default). Every
environment's overlay is built with kustomize on both sides and the objects
are compared field by field; Helm values and other files are compared as
YAML or text. Values of Secret-like fields are masked. Risk flags mark
changes a sync will reject or that lose data or disrupt; docs/review.md
explains each. Only files in the tree's .ydpgen/manifest.json count.

A change that reads the same in several environments is shown once, under
all of them. --env limits the report to some environments (files outside
the overlays are always shown). --format markdown is a pull-request comment
(it starts with the marker <!-- ydpgen-diff --> and stays under 60000
bytes), --format json the report for machines. Text is coloured on a
terminal, unless NO_COLOR is set.

Exit codes: 0 nothing differs, 1 something differs, 2 usage error,
3 internal error, 4 a directory, revision or the git binary that cannot
be used. --exit-code says what exit 1 means: change (the default: any
difference), risk (only a change with a risk flag, for CI that lets
reviewed changes through but stops on what needs planning), or none
(never; the report is still printed).`,
		Example: `  ydpgen diff platform.yaml --against deploy/
  ydpgen diff platform.yaml --against-ref origin/main --path deploy --format markdown
  ydpgen diff platform.yaml --against deploy/ --env prod --exit-code risk`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (against == "") == (againstRef == "") {
				return usagef("diff needs exactly one of --against DIR and --against-ref REV")
			}
			if cmd.Flags().Changed("path") && againstRef == "" {
				return usagef("--path goes with --against-ref; --against names the directory itself")
			}
			var old review.Side
			var err error
			if against != "" {
				if fi, err := os.Stat(against); err != nil || !fi.IsDir() {
					return filesErrorf("--against %s is not a directory", displayPath(against))
				}
			}
			res, findings, err := a.gate(args[0], render.Options{})
			if err != nil {
				return err
			}
			if against != "" {
				old, err = review.FromDir(fsys.OnDisk{}, displayPath(against))
				old.Label = displayPath(against)
				// A directory without a manifest is almost always the wrong
				// directory (the repository root, a typo): comparing with it
				// would show every object as added, which reads as a plan.
				if err == nil && old.Note != "" {
					return filesErrorf("--against %s holds no %s: expected a tree written by ydpgen render (run ydpgen render %s -o %s first, or name the tree's directory)",
						displayPath(against), overlays.ManifestPath, displayPath(args[0]), displayPath(against))
				}
			} else {
				old, err = review.FromRevision(treePath, againstRef)
			}
			if err != nil {
				return inputError(err)
			}
			rep, err := review.Compare(old, review.Side{Label: displayPath(args[0]), Tree: res.Tree})
			if err != nil {
				return err
			}
			if err := rep.Only(a.envs); err != nil {
				return usageError{err}
			}
			err = a.printReport(rep, findings, a.format)
			var fe findingsError
			if errors.As(err, &fe) {
				switch {
				case *exitCode == "none":
					return nil
				case *exitCode == "risk" && len(rep.Flags()) == 0:
					return nil
				}
			}
			return err
		},
	}
	cmd.Flags().StringVar(&against, "against", "", "compare with the rendered tree in this directory")
	cmd.Flags().StringVar(&againstRef, "against-ref", "", "compare with the rendered tree committed at this git revision")
	cmd.Flags().StringVar(&treePath, "path", "deploy", "with --against-ref: the tree's directory, in the working tree of the repository")
	exitCode = addChoiceFlag(cmd.Flags(), "exit-code", "when to exit 1: change (anything differs), risk (a risk flag is raised) or none", "change", "risk", "none")
	_ = cmd.RegisterFlagCompletionFunc("exit-code", fixedCompletion("change", "risk", "none"))
	addFormatFlag(cmd, "text", "json", "markdown")
	a.addEnvFlag(cmd)
	return cmd
}

// inputError says that what to compare with cannot be used (a revision or
// repository that is not there, a manifest that cannot be read).
func inputError(err error) error {
	var ie *review.InputError
	if errors.As(err, &ie) {
		return filesError{err}
	}
	return err
}

// diffSummary is the JSON shape of a diff or check result.
type diffSummary struct {
	Summary string           `json:"summary"`
	Flags   []review.Flagged `json:"flags"`
	Report  *review.Report   `json:"report"`
}

// printReport prints a comparison and returns findingsError when the trees
// differ, so that the exit code is 1.
func (a *app) printReport(rep *review.Report, findings diag.List, format string) error {
	var err error
	switch {
	case a.output == "json":
		flags := rep.Flags()
		if flags == nil {
			flags = []review.Flagged{}
		}
		err = writeJSON(a.stdout, report{OK: !rep.Differs, Findings: findings, Summary: diffSummary{Summary: rep.Summary(), Flags: flags, Report: rep}})
	case format == "markdown":
		err = rep.Markdown(a.stdout)
	default:
		err = rep.TextColor(a.stdout, a.colourFor(a.stdout))
	}
	if err != nil {
		return fmt.Errorf("printing the diff: %w", err)
	}
	if rep.Differs {
		return findingsError{len(rep.Flags())}
	}
	return nil
}

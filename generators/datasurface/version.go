package datasurface

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// release is a DataSurface version MAJOR.MINOR.PATCH.
type release struct{ major, minor, patch int }

func parseRelease(v string) (release, error) {
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return release{}, fmt.Errorf("DataSurface version %q is not MAJOR.MINOR.PATCH", v)
	}
	var n [3]int
	for i, p := range parts {
		x, err := strconv.Atoi(p)
		if err != nil || x < 0 {
			return release{}, fmt.Errorf("DataSurface version %q is not MAJOR.MINOR.PATCH", v)
		}
		n[i] = x
	}
	return release{n[0], n[1], n[2]}, nil
}

func (r release) before(major, minor int) bool {
	return r.major < major || (r.major == major && r.minor < minor)
}

// Command is one DataSurface command line that ydpgen writes: into a Job,
// into the infrastructure DAG's publish Job, or into deploy/README.md.
type Command string

// The commands, by what they do.
const (
	// Ring0 is generatePlatformBootstrap --ringLevel 0: it writes the
	// infrastructure DAG (and the ring-1 Job YAMLs ydpgen renders itself).
	Ring0 Command = "generatePlatformBootstrap --ringLevel 0"
	// Ring1 is generatePlatformBootstrap --ringLevel 1: the platform tables.
	Ring1 Command = "generatePlatformBootstrap --ringLevel 1"
	// ModelMerge is handleModelMerge, a Job of its own before 1.5.
	ModelMerge Command = "handleModelMerge"
	// ReconcileViews reconciles the workspace views.
	ReconcileViews Command = "reconcile_workspace_views"
)

// ReleaseCommands is what one range of DataSurface releases runs: the
// modules of its commands, whether the model merge is a Job of its own, and
// which commands take --rte-name. Every other flag ydpgen passes
// (--ringLevel, --model, --output, --psp and the git-cache flags) is taken
// by every release in the table.
type ReleaseCommands struct {
	// Since is the first release of the range, MAJOR.MINOR; the range ends
	// where the next row starts.
	Since string
	// PlatformModule holds generatePlatformBootstrap and handleModelMerge.
	PlatformModule string
	// ReconcileModule reconciles the workspace views.
	ReconcileModule string
	// ModelMergeJob: the model merge runs as a Job (from 1.8 it is a task
	// of the infrastructure DAG).
	ModelMergeJob bool
	// RTEName lists the commands that take --rte-name.
	RTEName []Command
	// Source says where the row was read.
	Source string
	// Assumed says which parts of the row no DataSurface release or
	// document showed, and what they are taken from instead.
	Assumed string
}

// Releases is the one table of DataSurface's command lines by release,
// oldest first. ModulesFor, HasModelMergeJob and TakesRTEName read it; so
// do the Jobs, the publish Job and the README.
func Releases() []ReleaseCommands {
	const (
		cmdPlatform   = "datasurface.cmd.platform"
		cmdReconcile  = "datasurface.platforms.yellow.reconcile_workspace_views"
		entryPlatform = "datasurface.entrypoints.platform"
		entryRecon    = "datasurface.entrypoints.reconcile_workspace_views"
	)
	return []ReleaseCommands{{
		Since:          "0.0",
		PlatformModule: cmdPlatform, ReconcileModule: cmdReconcile,
		Source: "DataSurface's public pre-1.0 source (github.com/billynewport/datasurface, src/datasurface/cmd/platform.py): " +
			"generatePlatformBootstrap and handleModelMerge parse --ringLevel, --model, --output, --psp and the git-cache flags, and no --rte-name",
		Assumed: "that the reconcile module takes --psp and the git-cache flags as the 1.x Job templates show",
	}, {
		Since:          "1.0",
		PlatformModule: cmdPlatform, ReconcileModule: cmdReconcile,
		RTEName: []Command{Ring0, Ring1},
		Source:  "none: no 1.0 document was read",
		Assumed: "the whole row: 1.0 is taken to run as 1.1 without the model-merge Job",
	}, {
		Since:          "1.1",
		PlatformModule: cmdPlatform, ReconcileModule: cmdReconcile, ModelMergeJob: true,
		RTEName: []Command{Ring0, Ring1},
		Source: "seed 002 (DataSurface 1.1 install guide, Phase 5): python -m datasurface.cmd.platform generatePlatformBootstrap " +
			"--ringLevel 0 --model --output --psp --rte-name, and the ring1-init, model-merge and reconcile-views Jobs",
		Assumed: "that --rte-name, read for ring 0, is also taken at ring 1 (one subcommand parses both), and not by handleModelMerge or the reconcile module",
	}, {
		Since:          "1.5",
		PlatformModule: cmdPlatform, ReconcileModule: cmdReconcile,
		RTEName: []Command{Ring0, Ring1},
		Source:  "none: no 1.5 to 1.7 document was read",
		Assumed: "the whole row: the 1.1 modules and flags, and no model-merge Job, as from 1.8",
	}, {
		Since:          "1.8",
		PlatformModule: entryPlatform, ReconcileModule: entryRecon,
		RTEName: []Command{Ring0, Ring1},
		Source: "DataSurface's 1.8.4 guides (github.com/datasurface/demo1, .claude/skills/generate-bootstrap and setup-walkthrough): " +
			"python -m datasurface.entrypoints.platform generatePlatformBootstrap --ringLevel 0 --model --output --psp --rte-name; " +
			"ring 0 writes no model-merge Job, the infrastructure DAG merges the model",
		Assumed: "the reconcile module's entrypoint name, and --rte-name at ring 1 (one subcommand parses both rings)",
	}}
}

// CommandsFor returns the table row of a DataSurface release.
func CommandsFor(version string) (ReleaseCommands, error) {
	r, err := parseRelease(version)
	if err != nil {
		return ReleaseCommands{}, err
	}
	rows := Releases()
	for i := len(rows) - 1; i >= 0; i-- {
		var major, minor int
		if _, err := fmt.Sscanf(rows[i].Since, "%d.%d", &major, &minor); err != nil {
			return ReleaseCommands{}, fmt.Errorf("release table row %q: %w", rows[i].Since, err)
		}
		if !r.before(major, minor) {
			return rows[i], nil
		}
	}
	return rows[0], nil
}

// HasModelMergeJob reports whether a DataSurface release merges the model in
// a Job of its own (see Releases).
func HasModelMergeJob(version string) (bool, error) {
	rc, err := CommandsFor(version)
	return rc.ModelMergeJob, err
}

// TakesRTEName reports whether a release's command takes --rte-name.
func TakesRTEName(version string, c Command) (bool, error) {
	rc, err := CommandsFor(version)
	return slices.Contains(rc.RTEName, c), err
}

// Modules are the Python modules a DataSurface release runs its bootstrap
// commands from.
type Modules struct {
	// Platform holds generatePlatformBootstrap and handleModelMerge.
	Platform string
	// ReconcileViews reconciles the workspace views.
	ReconcileViews string
}

// ModulesFor returns the modules of a DataSurface release (see Releases).
func ModulesFor(version string) (Modules, error) {
	rc, err := CommandsFor(version)
	if err != nil {
		return Modules{}, err
	}
	return Modules{Platform: rc.PlatformModule, ReconcileViews: rc.ReconcileModule}, nil
}

// Ring0Args are the arguments of ring 0 for a release, after `python -m
// <platform module>`: the model directory and the output directory as the
// caller has them.
func Ring0Args(version, psp, rte, modelDir, outputDir string) ([]string, error) {
	args := []string{"generatePlatformBootstrap", "--ringLevel", "0", "--model", modelDir, "--output", outputDir, "--psp", psp}
	rteName, err := TakesRTEName(version, Ring0)
	if err != nil {
		return nil, err
	}
	if rteName {
		args = append(args, "--rte-name", rte)
	}
	return args, nil
}

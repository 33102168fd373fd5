package datasurface

import (
	"fmt"
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

// HasModelMergeJob reports whether a DataSurface release merges the model in
// a Job of its own: 1.1 to 1.4 do; from 1.8 on the infrastructure DAG does
// it, and releases in between are taken to behave like 1.8.
func HasModelMergeJob(version string) (bool, error) {
	r, err := parseRelease(version)
	if err != nil {
		return false, err
	}
	return r.major == 1 && r.minor >= 1 && r.minor <= 4, nil
}

// Modules are the Python modules a DataSurface release runs its bootstrap
// commands from.
type Modules struct {
	// Platform holds generatePlatformBootstrap and handleModelMerge.
	Platform string
	// ReconcileViews reconciles the workspace views.
	ReconcileViews string
}

// entrypointsSince is the first release whose documentation runs the
// commands from datasurface.entrypoints; older ones use the modules
// themselves (1.8 images still ship those, compiled, behind the new names).
const entrypointsSinceMajor, entrypointsSinceMinor = 1, 8

// ModulesFor returns the modules of a DataSurface release.
func ModulesFor(version string) (Modules, error) {
	r, err := parseRelease(version)
	if err != nil {
		return Modules{}, err
	}
	if r.before(entrypointsSinceMajor, entrypointsSinceMinor) {
		return Modules{Platform: "datasurface.cmd.platform", ReconcileViews: "datasurface.platforms.yellow.reconcile_workspace_views"}, nil
	}
	return Modules{Platform: "datasurface.entrypoints.platform", ReconcileViews: "datasurface.entrypoints.reconcile_workspace_views"}, nil
}

package hydrate

import (
	"context"
	"os"
	"path/filepath"
	"sync"

	"github.com/ydpgen/ydpgen/chart"
	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/model"
)

// Charts supplies the Airflow chart of each hydrated environment: each
// chart reference is resolved once and shared by the environments that
// name it. Safe for concurrent use.
type Charts struct {
	// Resolver finds the archives; its BaseDir is the spec's directory,
	// where local chart paths start.
	Resolver *chart.Resolver
	// Lock is the spec's ydpgen.lock.
	Lock *chart.Lock
	// RenderCacheDir keeps rendered charts between runs; empty means none.
	RenderCacheDir string

	mu   sync.Mutex
	memo map[chart.Ref]resolved
}

type resolved struct {
	c   *chart.Chart
	err error
}

// OfflineEnv names the environment variable that, set to 1, keeps ForSpec's
// resolver off the network.
const OfflineEnv = "YDPGEN_OFFLINE"

// ForSpec is the chart source of the spec at specFile: local charts and
// ydpgen.lock are read next to it; archives come from ~/.cache/ydpgen/charts
// (or, when missing there, from the chart's source); rendered charts are
// cached in ~/.cache/ydpgen/rendered. YDPGEN_OFFLINE=1 forbids the
// network: a chart missing from the cache is then an error at once. A lock
// that cannot be read is a finding about the lock file.
func ForSpec(specFile string) (*Charts, error) {
	dir := filepath.Dir(specFile)
	lockPath := filepath.Join(dir, chart.LockFileName)
	lock, err := chart.ReadLock(lockPath)
	if err != nil {
		return nil, diag.List{{Severity: diag.Error, File: lockPath, Message: err.Error(),
			Allowed: "a lock file written by ydpgen chart update", Fix: "run ydpgen chart update " + specFile}}
	}
	// Without a render cache, every render runs Helm: slower, not wrong.
	rc, _ := chart.DefaultRenderCacheDir()
	offline := os.Getenv(OfflineEnv) == "1"
	return &Charts{Resolver: &chart.Resolver{BaseDir: dir, Offline: offline}, Lock: lock, RenderCacheDir: rc}, nil
}

// Ref is the chart an environment renders, as the chart package names it:
// the spec's local path when it gives one, else the repository.
func Ref(env *model.Environment) chart.Ref {
	c := env.Airflow.Chart
	src := c.Repository
	if c.Path != "" {
		src = c.Path
	}
	return chart.Ref{Name: c.Name, Version: c.Version, Source: src}
}

// Chart resolves the environment's chart.
func (cs *Charts) Chart(ctx context.Context, env *model.Environment) (*chart.Chart, error) {
	ref := Ref(env)
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if r, ok := cs.memo[ref]; ok {
		return r.c, r.err
	}
	c, err := cs.Resolver.Resolve(ctx, ref, cs.Lock)
	if cs.memo == nil {
		cs.memo = map[chart.Ref]resolved{}
	}
	cs.memo[ref] = resolved{c, err}
	return c, err
}

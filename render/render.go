package render

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"runtime/debug"
	"sync"

	"github.com/ydpgen/ydpgen/capacity"
	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/generators"
	"github.com/ydpgen/ydpgen/generators/airflow"
	"github.com/ydpgen/ydpgen/generators/database"
	"github.com/ydpgen/ydpgen/generators/datasurface"
	"github.com/ydpgen/ydpgen/generators/maintenance"
	"github.com/ydpgen/ydpgen/generators/namespace"
	"github.com/ydpgen/ydpgen/generators/rbac"
	"github.com/ydpgen/ydpgen/generators/secrets"
	"github.com/ydpgen/ydpgen/generators/smoketest"
	"github.com/ydpgen/ydpgen/gitops"
	"github.com/ydpgen/ydpgen/hydrate"
	"github.com/ydpgen/ydpgen/kube/apivalidate"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
	"github.com/ydpgen/ydpgen/overlays"
	"github.com/ydpgen/ydpgen/passes/jobhash"
	"github.com/ydpgen/ydpgen/passes/stages"
	"github.com/ydpgen/ydpgen/passes/syncpolicy"
	"github.com/ydpgen/ydpgen/sealedfiles"
	"github.com/ydpgen/ydpgen/spec"
)

// Generators returns every generator, in the order they run.
func Generators() []generators.Generator {
	return []generators.Generator{
		namespace.Generator{},
		secrets.Generator{},
		rbac.Generator{},
		database.Generator{},
		airflow.Generator{},
		datasurface.Generator{},
		maintenance.Generator{},
		smoketest.Generator{},
	}
}

// Result is a rendered platform.
type Result struct {
	Platform     *model.Platform
	Environments []objset.RenderedEnvironment
	// GitOps is the engine's wiring (also in Tree), for tests and review.
	GitOps *gitops.Output
	Tree   *overlays.Tree
	// Warnings are findings that do not stop the render: a sealed key or
	// Secret that nothing reads.
	Warnings diag.List
	// Charts are the charts rendered into each environment (Charts[i]
	// for Environments[i]); nil for an environment that does not hydrate.
	Charts []*hydrate.Rendered
}

// Options change how a platform is rendered.
type Options struct {
	// Verify builds every overlay with kustomize in memory and checks it
	// gives back its environment's objects, before anything is written.
	// The test suite does this for every example; users turn it on to
	// prove the layout of their own spec.
	Verify bool
	// ObjectsOnly stops after the generators: Result.Tree stays nil. The
	// commands that only read objects (validate, lint, capacity) skip the
	// layout and its encoding, most of a render's work.
	ObjectsOnly bool
	// SpecDir is the spec's directory, where the environments of providers
	// sops and sealed-secrets keep their encrypted files (and the
	// controller's certificate). Render reads them, checks them without
	// decrypting and copies them into the overlays; it never encrypts.
	SpecDir fs.FS
	// Charts supplies the Airflow chart of the environments that hydrate
	// it (airflow.chart.hydrate). When nil, Spec reads ydpgen.lock and
	// local charts next to the spec; Platform needs it as soon as one
	// environment hydrates.
	Charts *hydrate.Charts
	// DrySource says which git commit the spec came from; each hydrated
	// environment's overlay gets it as hydrator.metadata (an empty one
	// when nil).
	DrySource *DrySource
}

// Spec loads, validates and renders a spec. Problems with the spec come back
// as diag.List; any other error means ydpgen itself failed.
func Spec(s *spec.Schema, filename string, src []byte, opts Options) (*Result, error) {
	p, err := s.Load(filename, src)
	if err != nil {
		return nil, err
	}
	if opts.Charts == nil && hydrates(p) {
		if opts.Charts, err = hydrate.ForSpec(filename); err != nil {
			return nil, err
		}
	}
	return Platform(p, opts)
}

func hydrates(p *model.Platform) bool {
	for i := range p.Environments {
		if p.Environments[i].Airflow.Chart.Hydrate {
			return true
		}
	}
	return false
}

// Platform renders a loaded platform.
func Platform(p *model.Platform, opts Options) (*Result, error) {
	return platform(p, opts, Generators())
}

func platform(p *model.Platform, opts Options, gens []generators.Generator) (*Result, error) {
	res := &Result{Platform: p, Environments: make([]objset.RenderedEnvironment, len(p.Environments)),
		Charts: make([]*hydrate.Rendered, len(p.Environments))}
	// Environments render independently; each goroutine writes only its
	// own slot, so the result does not depend on scheduling.
	errs := make([]error, len(p.Environments))
	plans := make([]*capacity.Report, len(p.Environments))
	var wg sync.WaitGroup
	for i := range p.Environments {
		wg.Go(func() {
			res.Environments[i], plans[i], res.Charts[i], errs[i] = environment(context.Background(), &p.Environments[i], gens, opts.Charts)
		})
	}
	wg.Wait()
	if err := joinErrors(errs); err != nil {
		return nil, err
	}
	stackCharts(p, res.Environments, plans)
	// Without the spec's directory, a caller that wants only the objects
	// (a test of the generators) does without the sealed files.
	if opts.SpecDir != nil || !opts.ObjectsOnly {
		if err := addSealed(p, res, opts.SpecDir); err != nil {
			return nil, err
		}
	}
	for i := range p.Environments {
		if !p.Environments[i].Airflow.Chart.Hydrate {
			continue
		}
		var ds DrySource
		if opts.DrySource != nil {
			ds = *opts.DrySource
		}
		f, err := hydratorMetadata(ds)
		if err != nil {
			return nil, err
		}
		res.Environments[i].Files = append(res.Environments[i].Files, f)
	}
	// The engine's wiring is checked even when only objects are wanted, so
	// that validate refuses what render would.
	wiring, err := gitops.Build(p, res.Environments)
	if err != nil {
		return nil, fmt.Errorf("gitops: %w", err)
	}
	if findings := checkWiring(p, wiring); len(findings) > 0 {
		return nil, findings.Sort()
	}
	if opts.ObjectsOnly {
		return res, nil
	}
	t, err := overlays.Layout(res.Environments)
	if err != nil {
		return nil, fmt.Errorf("laying out the tree: %w", err)
	}
	for _, o := range wiring.Objects {
		data, err := objset.EncodeFile(o.Entry.Content)
		if err != nil {
			return nil, err
		}
		if err := t.Add(o.Path, data); err != nil {
			return nil, fmt.Errorf("gitops: %w", err)
		}
	}
	for _, f := range wiring.Files {
		if err := t.Add(f.Path, f.Data); err != nil {
			return nil, fmt.Errorf("gitops: %w", err)
		}
	}
	res.GitOps = wiring
	t.Provenance = provenance(p, res.Charts)
	if opts.Verify {
		if err := overlays.Verify(t, res.Environments); err != nil {
			return nil, err
		}
	}
	res.Tree = t
	return res, nil
}

// stackCharts draws, for environments that declare one cluster, the chart
// of the whole cluster in each of their overlays: their pods share its
// nodes, so each environment's own chart would show room that the others
// take.
func stackCharts(p *model.Platform, envs []objset.RenderedEnvironment, plans []*capacity.Report) {
	for _, group := range p.ClusterGroups() {
		var reports []*capacity.Report
		for _, i := range group {
			reports = append(reports, plans[i])
		}
		chart := capacity.Stack(p.Environments[group[0]].Cluster.Name, reports, capacity.DefaultOptions()).SVG()
		for _, i := range group {
			for j := range envs[i].Files {
				if envs[i].Files[j].Path == ChartPath {
					envs[i].Files[j].Data = chart
				}
			}
		}
	}
}

// ChartPath is where an overlay's capacity chart goes.
const ChartPath = "capacity.svg"

// joinErrors gives the findings of every environment as one list, so that
// the user sees all of them; any other error wins.
func joinErrors(errs []error) error {
	var findings diag.List
	var others []error
	for _, err := range errs {
		var dl diag.List
		switch {
		case err == nil:
		case errors.As(err, &dl):
			findings = append(findings, dl...)
		default:
			others = append(others, err)
		}
	}
	if len(others) > 0 {
		return errors.Join(others...)
	}
	if len(findings) > 0 {
		return findings.Sort()
	}
	return nil
}

// Environment runs every generator for one environment; charts supplies
// the Airflow chart when the environment hydrates it.
func Environment(env *model.Environment, charts *hydrate.Charts) (objset.RenderedEnvironment, error) {
	out, _, _, err := environment(context.Background(), env, Generators(), charts)
	return out, err
}

func environment(ctx context.Context, env *model.Environment, gens []generators.Generator, charts *hydrate.Charts) (objset.RenderedEnvironment, *capacity.Report, *hydrate.Rendered, error) {
	var set objset.Set
	out := objset.RenderedEnvironment{Name: env.Name, Namespace: env.Namespace.Name}
	for _, g := range gens {
		a, err := g.Generate(env)
		if err != nil {
			return out, nil, nil, fmt.Errorf("environment %s: generator %s: %w", env.Name, g.Name(), err)
		}
		if err := set.Add(a.Objects...); err != nil {
			return out, nil, nil, fmt.Errorf("environment %s: generator %s: %w", env.Name, g.Name(), err)
		}
		for _, f := range a.Files {
			out.Files = append(out.Files, objset.File{Path: f.Path, Data: f.Data})
		}
	}
	// The chart's objects join before capacity and the passes, so that
	// they are sized, named, labelled and annotated like ydpgen's own.
	rel, err := hydrateChart(ctx, env, charts)
	if err != nil {
		return out, nil, nil, err
	}
	if rel != nil {
		for _, e := range rel.Objects {
			if err := set.AddEntry(e); err != nil {
				return out, nil, nil, fmt.Errorf("environment %s: chart %s: %w", env.Name, rel.Chart.Name, err)
			}
		}
	}
	entries := set.Entries()
	// The capacity chart sits next to the overlay so that a reviewer sees
	// in the pull request what a change does to the nodes' memory. It is
	// drawn before Jobs get their hashed names, which mean nothing there.
	plan, err := capacity.Plan(env, entries, capacity.DefaultOptions())
	if err != nil {
		return out, nil, nil, fmt.Errorf("environment %s: capacity: %w", env.Name, err)
	}
	chart := plan.SVG()

	// Passes over the whole set, so that every generator's objects get
	// them: the smoke test's digest of everything else (before Jobs are
	// named after their content), immutable Job names, stage labels, the
	// engine's annotations.
	if err := smoketest.Stamp(entries, out.Files); err != nil {
		return out, nil, nil, fmt.Errorf("environment %s: smoke test: %w", env.Name, err)
	}
	renames, err := jobhash.Apply(entries)
	if err != nil {
		return out, nil, nil, fmt.Errorf("environment %s: naming Jobs: %w", env.Name, err)
	}
	stages.LabelAll(entries)
	syncpolicy.Annotate(env, entries)
	var final objset.Set
	for _, e := range entries {
		if err := final.AddEntry(e); err != nil {
			return out, nil, nil, fmt.Errorf("environment %s: %w", env.Name, err)
		}
	}
	out.Objects = final.Entries()
	for i := range out.Files {
		out.Files[i].Data = jobhash.RewriteText(out.Files[i].Data, renames)
	}
	out.Files = append(out.Files, objset.File{Path: ChartPath, Data: chart})
	return out, plan, rel, nil
}

// hydrateChart renders the environment's Airflow chart when it hydrates
// it; nil when it does not.
func hydrateChart(ctx context.Context, env *model.Environment, charts *hydrate.Charts) (*hydrate.Rendered, error) {
	if !env.Airflow.Chart.Hydrate {
		return nil, nil
	}
	if charts == nil {
		return nil, fmt.Errorf("environment %s hydrates the Airflow chart, but no chart source was given (render.Options.Charts)", env.Name)
	}
	c, err := charts.Chart(ctx, env)
	if err != nil {
		return nil, diag.List{hydrate.ResolveFinding(env, err)}
	}
	rel, err := hydrate.Release(ctx, env, c, charts.RenderCacheDir)
	var dl diag.List
	if err != nil && !errors.As(err, &dl) {
		return nil, fmt.Errorf("environment %s: %s: %w", env.Name, c, err)
	}
	return rel, err
}

// checkWiring refuses engine objects the API server would refuse: their
// names and labels join the platform's and an environment's names, each
// valid alone. The finding points at the environment whose name the object
// carries (the longest that matches), or the first.
func checkWiring(p *model.Platform, wiring *gitops.Output) diag.List {
	var out diag.List
	var first string
	count := 0
	for _, o := range wiring.Objects {
		probs := apivalidate.Metadata(o.Entry)
		if len(probs) == 0 {
			continue
		}
		if count == 0 {
			first = fmt.Sprintf("%s %s: %s", o.Entry.GVK.Kind, o.Entry.Name, probs[0].Message)
		}
		count++
	}
	if count == 0 {
		return nil
	}
	// The names join the platform's and the longest environment's names.
	env := &p.Environments[0]
	for i := range p.Environments {
		if len(p.Environments[i].Name) > len(env.Name) {
			env = &p.Environments[i]
		}
	}
	org := env.Origins[model.EnvironmentNamePath]
	out = append(out, diag.Finding{Severity: diag.Error, File: org.File, Line: org.Line, Col: org.Col, Path: org.Path,
		Message: fmt.Sprintf("%d of the %s engine's objects would be refused by the API server, such as %s", count, env.GitOps.Engine, first),
		Allowed: "a platform name (metadata.name) and environment names short enough that the engine's object names and labels stay within 63 characters"})
	return out
}

// addSealed verifies the encrypted files of every environment that keeps
// its Secrets in git and adds them, unchanged, to its overlay files.
// Errors of every environment come back together as findings.
func addSealed(p *model.Platform, res *Result, specDir fs.FS) error {
	var errs diag.List
	for i := range p.Environments {
		c, err := sealedfiles.Collect(&p.Environments[i], specDir)
		if err != nil {
			return err
		}
		for _, f := range c.Findings {
			if f.Severity == diag.Error {
				errs = append(errs, f)
			} else {
				res.Warnings = append(res.Warnings, f)
			}
		}
		res.Environments[i].Files = append(res.Environments[i].Files, c.Files...)
	}
	if len(errs) > 0 {
		return append(errs, res.Warnings...).Sort()
	}
	res.Warnings = res.Warnings.Sort()
	return nil
}

// Version is ydpgen's version as its build information gives it: the module
// version of a released build, "(devel)" for one built from a work tree
// (and in tests).
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// provenance is what the tree's manifest records about its render.
func provenance(p *model.Platform, charts []*hydrate.Rendered) overlays.Provenance {
	out := overlays.Provenance{Version: Version(), SpecSHA256: p.SpecSHA256}
	for i, c := range charts {
		if c == nil {
			continue
		}
		out.Charts = append(out.Charts, overlays.ChartProvenance{Environment: p.Environments[i].Name,
			Name: c.Chart.Name, Version: c.Chart.Version, Source: c.Chart.Source, Digest: c.Chart.Digest})
	}
	return out
}

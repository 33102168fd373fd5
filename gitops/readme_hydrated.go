package gitops

import (
	"path"

	"github.com/ydpgen/ydpgen/generators/airflow"
	"github.com/ydpgen/ydpgen/internal/markdown"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/overlays"
)

// The README's words for environments whose Airflow chart ydpgen rendered
// into the overlay (airflow.chart.hydrate).

func allHydrated(p *model.Platform) bool {
	for i := range p.Environments {
		if !hydrated(&p.Environments[i]) {
			return false
		}
	}
	return true
}

func anyHydrated(p *model.Platform) bool {
	for i := range p.Environments {
		if hydrated(&p.Environments[i]) {
			return true
		}
	}
	return false
}

// valuesLine says what the values file is for.
func valuesLine(d *markdown.Doc, p *model.Platform) {
	values := path.Join(overlays.OverlaysDir, "<env>", airflow.ValuesPath)
	switch {
	case allHydrated(p):
		d.Line("  The overlay holds the objects of the official Airflow Helm chart, rendered by ydpgen; `%s` keeps the values it was", values)
		d.Line("  rendered with (no kustomization reads it), so that `helm template` can re-run the chart by hand.")
	case anyHydrated(p):
		d.Line("  `%s` holds the values of the official Airflow Helm chart; where ydpgen rendered the chart into the overlay, no kustomization reads it.", values)
	default:
		d.Line("  `%s` holds the values of the official Airflow Helm chart.", values)
	}
	if anyHydrated(p) {
		d.Line("  `%s` (hydrated environments): the spec repository it was rendered from and, when the tree lives outside that repository, the commit (drySha)", path.Join(overlays.OverlaysDir, "<env>", "hydrator.metadata"))
		d.Line("  (`drySha`, only when the spec and its lock were committed; `repoURL`; the commit's `subject`), the file Argo CD's source hydrator")
		d.Line("  and GitOps Promoter read; a render whose content did not change writes nothing.")
	}
}

// hooksSection says what became of the chart's Helm hooks, which no GitOps
// engine runs as Helm does.
func hooksSection(d *markdown.Doc, p *model.Platform) {
	if !anyHydrated(p) {
		return
	}
	d.Line("The chart's Helm hooks are ordinary objects here: install and upgrade hooks are applied with the stage of their kind")
	d.Line("(a Secret with the Secrets, a Job with Airflow), without the `helm.sh/hook` annotations; test hooks and hooks that only run")
	d.Line("on delete or rollback are left out.")
}

// chartSource is where the environment's chart comes from.
func chartSource(env *model.Environment) string {
	if env.Airflow.Chart.Path != "" {
		return markdown.Code(env.Airflow.Chart.Path)
	}
	return env.Airflow.Chart.Repository
}

// hydratedNote ends the environment's chart line.
func hydratedNote(env *model.Environment) string {
	if !hydrated(env) {
		return ""
	}
	return ", rendered into the overlay by ydpgen"
}

// hydratedJobs says that the Jobs of a chart ydpgen rendered follow the
// same lifecycle as ydpgen's own.
func hydratedJobs(d *markdown.Doc, p *model.Platform) {
	if !anyHydrated(p) {
		return
	}
	d.Blank()
	d.Line("Where ydpgen rendered the Airflow chart into the overlay, the chart's Jobs (the database migrations and the admin user)")
	d.Line("are Jobs like the ones above: rendered without hooks or a time to live, named after a hash of what they run, so each runs")
	d.Line("once per content, and the engine treats them as it treats every other Job here.")
}

package gitops

import (
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	helmv2 "github.com/fluxcd/helm-controller/api/v2"
	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	"github.com/fluxcd/pkg/apis/meta"
	sourcev1 "github.com/fluxcd/source-controller/api/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/kustomize/api/types"

	"github.com/ydpgen/ydpgen/generators/airflow"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
	"github.com/ydpgen/ydpgen/overlays"
	"github.com/ydpgen/ydpgen/passes/stages"
)

// FluxDir is the directory of an environment's Flux objects: the entry
// point a cluster's Flux is bootstrapped with. Each environment has its
// own, so that a cluster applies only the environments it runs.
func FluxDir(env string) string { return overlays.GitOpsDir + "/" + env }

// ClustersDir holds one directory per environment for `flux bootstrap
// --path`: its kustomization.yaml lists flux-system/, which bootstrap
// writes next to it (and uses as is when the directory already has a
// kustomization.yaml), and the environment's Flux objects.
const ClustersDir = "clusters"

// ClusterDir is an environment's bootstrap directory.
func ClusterDir(env string) string { return ClustersDir + "/" + env }

// FluxSystemDir is the directory flux bootstrap writes Flux's own
// manifests to, under the bootstrap path.
const FluxSystemDir = "flux-system"

// StageDir is the kustomization that selects one stage's objects.
func StageDir(env string, s stages.Stage) string { return FluxDir(env) + "/stages/" + string(s) }

// ReleaseDir is the directory of the Airflow release wrapper (HelmRelease,
// HelmRepository and the values ConfigMap generated from values.yaml),
// next to the values file in the overlay. The overlay's own
// kustomization.yaml does not include it.
func ReleaseDir(env string) string {
	return overlays.OverlayDir(env) + "/" + path.Dir(airflow.ValuesPath)
}

// ValuesConfigMap is the name (before kustomize's hash suffix) of the
// ConfigMap that carries the Airflow values to the HelmRelease.
func ValuesConfigMap(env *model.Environment) string { return env.Airflow.ReleaseName + "-values" }

// ChartSource is the name of the HelmRepository of the Airflow chart.
const ChartSource = "airflow"

// Intervals and timeouts. Stages are small and quick, except the Airflow
// release (images pulled on small nodes, migrations) and Jobs.
const (
	sourceInterval  = time.Minute
	chartInterval   = 24 * time.Hour
	stageInterval   = 10 * time.Minute
	stageRetry      = time.Minute
	stageTimeout    = 5 * time.Minute
	jobStageTimeout = 30 * time.Minute
	releaseTimeout  = 20 * time.Minute
	releaseInterval = 30 * time.Minute
	releaseRetries  = 3
	kustomizeConfig = "kustomizeconfig.yaml"
	valuesConfigKey = "values.yaml"
	notInStage      = "not-in-this-stage"
)

func dur(d time.Duration) metav1.Duration   { return metav1.Duration{Duration: d} }
func durp(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }

// SourceName is the name of an environment's GitRepository.
func SourceName(env *model.Environment) string { return env.Platform + "-" + env.Name }

// StageName is the name of an environment's Flux Kustomization for a stage.
func StageName(env *model.Environment, s stages.Stage) string {
	return env.Platform + "-" + env.Name + "-" + string(s)
}

func buildFlux(out *Output, env *model.Environment, r objset.RenderedEnvironment) error {
	g := env.GitOps
	dir := FluxDir(env.Name)
	entry := &types.Kustomization{}
	add := func(o objset.Object) error {
		n := len(out.Objects)
		if err := out.object(dir, o); err != nil {
			return err
		}
		entry.Resources = append(entry.Resources, out.Objects[n].Entry.FileName())
		return nil
	}
	if err := add(gitRepository(env)); err != nil {
		return err
	}

	// The release wrapper belongs to stage airflow: it always exists.
	present := fluxStages(env, r)
	var previous string
	for _, s := range present {
		var members []objset.Entry
		for _, e := range r.Objects {
			if stages.Of(e) == s {
				members = append(members, e)
			}
		}
		if err := add(stageKustomization(env, s, members, previous)); err != nil {
			return err
		}
		previous = StageName(env, s)
		resources := []string{relative(StageDir(env.Name, s), overlays.OverlayDir(env.Name))}
		if s == stages.Airflow && !hydrated(env) {
			resources = append(resources, relative(StageDir(env.Name, s), ReleaseDir(env.Name)))
		}
		if err := out.kustomization(StageDir(env.Name, s), &types.Kustomization{
			Resources: resources,
			Patches:   []types.Patch{stageFilter(s)},
		}, "The objects of stage "+string(s)+" of environment "+env.Name+", selected from the overlay by their",
			stages.Label+" label: every other object is deleted from the build."); err != nil {
			return err
		}
	}
	if err := out.kustomization(dir, entry,
		"Flux's objects for environment "+env.Name+": "+ClusterDir(env.Name)+"/ includes them for flux bootstrap,",
		"or kubectl apply -k this directory once on a cluster whose Flux is installed otherwise."); err != nil {
		return err
	}
	if err := out.kustomization(ClusterDir(env.Name), &types.Kustomization{
		Resources: []string{FluxSystemDir, relative(ClusterDir(env.Name), dir)},
	}, "The entry point of environment "+env.Name+" for flux bootstrap --path="+g.TreePath(ClusterDir(env.Name))+":",
		"bootstrap writes "+FluxSystemDir+"/ here (Flux's own manifests) and keeps this file, so Flux manages",
		"itself and the platform's Kustomizations. It builds only after bootstrap wrote "+FluxSystemDir+"/."); err != nil {
		return err
	}
	if hydrated(env) {
		return nil // the overlay holds the chart's objects
	}
	return release(out, env)
}

// fluxStages are the stages of an environment that get a Kustomization:
// those that hold objects, and airflow for the release wrapper of a chart
// the engine installs.
func fluxStages(env *model.Environment, r objset.RenderedEnvironment) []stages.Stage {
	present := stages.Present(r.Objects)
	// Sealed Secrets are files the overlay lists; their stage counts too.
	for _, f := range r.Files {
		if f.Object != nil && !slices.Contains(present, stages.Of(*f.Object)) {
			present = insertStage(present, stages.Of(*f.Object))
		}
	}
	if hydrated(env) {
		return present
	}
	return insertStage(present, stages.Airflow)
}

// insertStage puts s into l at its place in the apply order.
func insertStage(l []stages.Stage, s stages.Stage) []stages.Stage {
	var out []stages.Stage
	for _, x := range stages.All() {
		if x == s || slices.Contains(l, x) {
			out = append(out, x)
		}
	}
	return out
}

// relative is the path from directory from to directory to, both relative
// to the tree's root.
func relative(from, to string) string {
	up := strings.Repeat("../", strings.Count(from, "/")+1)
	return up + to
}

// stageFilter deletes from a stage's build every object of another stage.
// Kustomize has no "keep only" selector; a delete patch whose target is
// the complement does the same.
func stageFilter(s stages.Stage) types.Patch {
	return types.Patch{
		Target: &types.Selector{LabelSelector: stages.Label + "!=" + string(s)},
		Patch: strings.Join([]string{
			"$patch: delete",
			"apiVersion: v1",
			"kind: Object",
			"metadata:",
			"  name: " + notInStage,
		}, "\n") + "\n",
	}
}

var commitRe = regexp.MustCompile(`^[0-9a-f]{40}$`)

// gitReference reads a revision as Flux's GitRepository needs it.
func gitReference(rev string) *sourcev1.GitRepositoryRef {
	switch {
	case commitRe.MatchString(rev):
		return &sourcev1.GitRepositoryRef{Commit: rev}
	case strings.HasPrefix(rev, "refs/"):
		return &sourcev1.GitRepositoryRef{Name: rev}
	default:
		return &sourcev1.GitRepositoryRef{Branch: rev}
	}
}

// fluxGitURL writes an scp-like address (git@host:owner/repo.git), which
// Flux does not accept, as the ssh:// URL it means.
func fluxGitURL(u string) string {
	if rest, ok := strings.CutPrefix(u, "git@"); ok {
		if host, p, ok := strings.Cut(rest, ":"); ok && !strings.Contains(host, "/") {
			return "ssh://git@" + host + "/" + p
		}
	}
	return u
}

func gitRepository(env *model.Environment) *sourcev1.GitRepository {
	g := env.GitOps
	repo := &sourcev1.GitRepository{
		TypeMeta:   metav1.TypeMeta{APIVersion: sourcev1.GroupVersion.String(), Kind: sourcev1.GitRepositoryKind},
		ObjectMeta: metav1.ObjectMeta{Name: SourceName(env), Namespace: g.Flux.Namespace, Labels: metaLabels(env, SourceName(env))},
		Spec: sourcev1.GitRepositorySpec{
			URL:       fluxGitURL(g.RepoURL),
			Interval:  dur(sourceInterval),
			Reference: gitReference(g.Revision),
		},
	}
	if g.Flux.SecretName != "" {
		repo.Spec.SecretRef = &meta.LocalObjectReference{Name: g.Flux.SecretName}
	}
	return repo
}

// stageKustomization applies one stage after the one before is ready:
// every stage waits for its objects, Jobs included (complete). Nothing is
// forced at the stage: a Job carries its own force policy
// (passes/syncpolicy), the one object whose replacement is safe.
func stageKustomization(env *model.Environment, s stages.Stage, members []objset.Entry, after string) *kustomizev1.Kustomization {
	g := env.GitOps
	name := StageName(env, s)
	k := &kustomizev1.Kustomization{
		TypeMeta:   metav1.TypeMeta{APIVersion: kustomizev1.GroupVersion.String(), Kind: kustomizev1.KustomizationKind},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: g.Flux.Namespace, Labels: metaLabels(env, name)},
		Spec: kustomizev1.KustomizationSpec{
			Interval:      dur(stageInterval),
			RetryInterval: durp(stageRetry),
			Timeout:       durp(stageTimeout),
			Path:          "./" + g.TreePath(StageDir(env.Name, s)),
			Prune:         true,
			SourceRef:     kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.GitRepositoryKind, Name: SourceName(env)},
		},
	}
	if after != "" {
		k.Spec.DependsOn = []kustomizev1.DependencyReference{{Name: after}}
	}
	if s == stages.Airflow {
		k.Spec.Timeout = durp(releaseTimeout)
	}
	// SOPS files are decrypted by the controller as it applies them, with
	// the age key in a Secret of Flux's namespace created once by hand.
	// Every stage carries it, so that no stage depends on where the
	// encrypted Secrets are selected.
	if env.Secrets.Provider == model.ProviderSOPS {
		k.Spec.Decryption = &kustomizev1.Decryption{
			Provider:  "sops",
			SecretRef: &meta.LocalObjectReference{Name: env.Secrets.SOPS.KeySecret},
		}
	}
	// Every stage waits for what it applied to be ready, Jobs included
	// (complete). Naming the Jobs in healthChecks instead would tie the
	// Kustomization object to the Jobs' hash names: a new Kustomization
	// applied before its source has the new commit would wait for a Job the
	// old revision lacks until the timeout, since Flux does not cancel a
	// running health check on a spec change.
	k.Spec.Wait = true
	for _, e := range members {
		if isJob(e) {
			k.Spec.Timeout = durp(jobStageTimeout)
			break
		}
	}
	return k
}

// release writes the Airflow release wrapper into overlays/<env>/airflow/:
// the chart's HelmRepository, the HelmRelease pinned to the chart version,
// and a kustomization that generates the values ConfigMap from
// values.yaml. The generated name carries a hash of the values, so a
// change of values is a change of the HelmRelease, which upgrades the
// release; kustomizeconfig.yaml tells kustomize where the HelmRelease names
// the ConfigMap.
func release(out *Output, env *model.Environment) error {
	dir := ReleaseDir(env.Name)
	a := env.Airflow
	l := metaLabels(env, a.ReleaseName)
	l["app.kubernetes.io/component"] = "airflow"
	l[stages.Label] = string(stages.Airflow)
	repo := &sourcev1.HelmRepository{
		TypeMeta:   metav1.TypeMeta{APIVersion: sourcev1.GroupVersion.String(), Kind: sourcev1.HelmRepositoryKind},
		ObjectMeta: metav1.ObjectMeta{Name: ChartSource, Namespace: env.Namespace.Name, Labels: l},
		Spec:       sourcev1.HelmRepositorySpec{URL: a.Chart.Repository, Interval: dur(chartInterval)},
	}
	if strings.HasPrefix(a.Chart.Repository, "oci://") {
		repo.Spec.Type = sourcev1.HelmRepositoryTypeOCI
	}
	rel := &helmv2.HelmRelease{
		TypeMeta:   metav1.TypeMeta{APIVersion: helmv2.GroupVersion.String(), Kind: helmv2.HelmReleaseKind},
		ObjectMeta: metav1.ObjectMeta{Name: a.ReleaseName, Namespace: env.Namespace.Name, Labels: l},
		Spec: helmv2.HelmReleaseSpec{
			ReleaseName: a.ReleaseName,
			Interval:    dur(releaseInterval),
			Timeout:     durp(releaseTimeout),
			Chart: &helmv2.HelmChartTemplate{Spec: helmv2.HelmChartTemplateSpec{
				Chart: a.Chart.Name, Version: a.Chart.Version,
				SourceRef: helmv2.CrossNamespaceObjectReference{Kind: sourcev1.HelmRepositoryKind, Name: ChartSource},
			}},
			// Off is helm-controller's default; said here because the Job
			// lifecycle relies on it: with drift correction on, a chart Job
			// removed by its time to live would be created and run again.
			DriftDetection: &helmv2.DriftDetection{Mode: helmv2.DriftDetectionDisabled},
			Install:        &helmv2.Install{Remediation: &helmv2.InstallRemediation{Retries: releaseRetries}},
			Upgrade:        &helmv2.Upgrade{Remediation: &helmv2.UpgradeRemediation{Retries: releaseRetries}},
			ValuesFrom:     []helmv2.ValuesReference{{Kind: "ConfigMap", Name: ValuesConfigMap(env), ValuesKey: valuesConfigKey}},
		},
	}
	k := &types.Kustomization{Namespace: env.Namespace.Name, Configurations: []string{kustomizeConfig}}
	for _, o := range []objset.Object{repo, rel} {
		n := len(out.Objects)
		if err := out.object(dir, o); err != nil {
			return err
		}
		k.Resources = append(k.Resources, out.Objects[n].Entry.FileName())
	}
	k.ConfigMapGenerator = []types.ConfigMapArgs{{GeneratorArgs: types.GeneratorArgs{
		Name:          ValuesConfigMap(env),
		KvPairSources: types.KvPairSources{FileSources: []string{valuesConfigKey + "=" + path.Base(airflow.ValuesPath)}},
		Options:       &types.GeneratorOptions{Labels: map[string]string{stages.Label: string(stages.Airflow)}},
	}}}
	if err := out.kustomization(dir, k,
		"The Airflow release for Flux: not part of the overlay; stage airflow applies it."); err != nil {
		return err
	}
	cfg, err := objset.EncodeFile(nameReference())
	if err != nil {
		return err
	}
	out.Files = append(out.Files, objset.File{Path: dir + "/" + kustomizeConfig, Data: cfg})
	return nil
}

// nameReference is a kustomize transformer configuration: the HelmRelease's
// valuesFrom names a ConfigMap, so kustomize puts the generated name there.
func nameReference() map[string]any {
	return map[string]any{"nameReference": []any{map[string]any{
		"kind":    "ConfigMap",
		"version": "v1",
		"fieldSpecs": []any{map[string]any{
			"kind": helmv2.HelmReleaseKind,
			"path": "spec/valuesFrom/name",
		}},
	}}}
}

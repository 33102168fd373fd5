package gitops

import (
	"fmt"
	"path"
	"strings"

	"sigs.k8s.io/kustomize/api/types"

	"github.com/ydpgen/ydpgen/kube/labels"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

// ReadmePath is where the tree's README goes.
const ReadmePath = "README.md"

// Placed is an engine object and the tree path of its file.
type Placed struct {
	Path  string
	Entry objset.Entry
}

// Output is the GitOps wiring of a platform.
type Output struct {
	// Objects are the engine's objects (Argo CD, Flux), which no overlay
	// includes.
	Objects []Placed
	// Files are the other files: kustomization.yaml files and README.md.
	Files []objset.File
}

func (o *Output) object(dir string, obj objset.Object) error {
	e, err := objset.NewEntry(obj)
	if err != nil {
		return err
	}
	o.Objects = append(o.Objects, Placed{Path: path.Join(dir, e.FileName()), Entry: e})
	return nil
}

func (o *Output) kustomization(dir string, k *types.Kustomization, comments ...string) error {
	k.APIVersion = types.KustomizationVersion
	k.Kind = types.KustomizationKind
	data, err := objset.EncodeFile(k, comments...)
	if err != nil {
		return err
	}
	o.Files = append(o.Files, objset.File{Path: path.Join(dir, "kustomization.yaml"), Data: data})
	return nil
}

// Build makes the wiring for a platform from its environments' renders
// (envs[i] is the render of p.Environments[i]).
func Build(p *model.Platform, envs []objset.RenderedEnvironment) (*Output, error) {
	if len(p.Environments) == 0 || len(envs) != len(p.Environments) {
		return nil, fmt.Errorf("%d environments rendered for %d in the platform", len(envs), len(p.Environments))
	}
	for i := range envs {
		if envs[i].Name != p.Environments[i].Name {
			return nil, fmt.Errorf("render of environment %s given for %s", envs[i].Name, p.Environments[i].Name)
		}
	}
	out := &Output{}
	var err error
	switch engine := p.Environments[0].GitOps.Engine; engine {
	case model.EngineArgoCD:
		err = buildArgoCD(out, p, envs)
	case model.EngineFlux:
		for i := range envs {
			if err = buildFlux(out, &p.Environments[i], envs[i]); err != nil {
				break
			}
		}
	case model.EngineNone:
	default:
		err = fmt.Errorf("unknown gitops engine %q", engine)
	}
	if err != nil {
		return nil, err
	}
	doc, err := readme(p, envs)
	if err != nil {
		return nil, err
	}
	out.Files = append(out.Files, objset.File{Path: ReadmePath, Data: doc})
	return out, nil
}

// hydrated says that ydpgen rendered the environment's Airflow chart into
// its overlay: the engine applies plain kustomize, with no HelmRelease,
// HelmRepository, values reference or Airflow Application.
func hydrated(env *model.Environment) bool { return env.Airflow.Chart.Hydrate }

func isJob(e objset.Entry) bool { return e.GVK.Group == "batch" && e.GVK.Kind == "Job" }

// metaLabels are the labels of the engine's objects: as on the rendered
// objects (passes/syncpolicy), the platform label, and under Argo CD no
// instance label, which its label tracking reserves for the owning
// Application.
func metaLabels(env *model.Environment, name string) map[string]string {
	l := labels.For(env, name, "gitops")
	l[labels.Platform] = env.Platform
	if env.GitOps.Engine == model.EngineArgoCD {
		delete(l, labels.Instance)
	}
	return l
}

// chartRepoURL is the chart repository as Argo CD names it: OCI registries
// without their scheme (Argo CD then needs the repository registered as an
// OCI Helm repository).
func chartRepoURL(repo string) string { return strings.TrimPrefix(repo, "oci://") }

package argocd

import (
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// APIVersion is the Argo CD API of every object here.
const APIVersion = "argoproj.io/v1alpha1"

// Annotations Argo CD reads on the objects it syncs.
const (
	// SyncWave orders objects within a sync: lower waves are applied, and
	// must be healthy, before higher ones start.
	SyncWave = "argocd.argoproj.io/sync-wave"
	// Hook makes an object a resource hook of a sync phase.
	Hook = "argocd.argoproj.io/hook"
	// HookDeletePolicy says when a hook's object is deleted.
	HookDeletePolicy = "argocd.argoproj.io/hook-delete-policy"
	// SyncOptions are per-object sync options, comma-separated.
	SyncOptions = "argocd.argoproj.io/sync-options"
	// KeepData is the sync options of an object that holds data: Argo CD
	// neither prunes it when it leaves git nor deletes it with its
	// Application.
	KeepData = "Prune=false,Delete=false"
)

// Application deploys one source (or several) to one destination.
type Application struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              ApplicationSpec `json:"spec"`
}

// ApplicationSpec is what an Application deploys, where and how.
type ApplicationSpec struct {
	Project     string              `json:"project"`
	Source      *ApplicationSource  `json:"source,omitempty"`
	Sources     []ApplicationSource `json:"sources,omitempty"`
	Destination Destination         `json:"destination"`
	SyncPolicy  *SyncPolicy         `json:"syncPolicy,omitempty"`
}

// ApplicationSource is a directory of a git repository or a Helm chart.
type ApplicationSource struct {
	RepoURL        string `json:"repoURL"`
	TargetRevision string `json:"targetRevision,omitempty"`
	Path           string `json:"path,omitempty"`
	Chart          string `json:"chart,omitempty"`
	// Ref names this source so that another source of the same
	// Application can read files from it as $<ref>/<path>.
	Ref  string `json:"ref,omitempty"`
	Helm *Helm  `json:"helm,omitempty"`
}

// Helm are the options of a chart source.
type Helm struct {
	ReleaseName string   `json:"releaseName,omitempty"`
	ValueFiles  []string `json:"valueFiles,omitempty"`
}

// Destination is a cluster, by its API server URL or by its name in Argo
// CD, and a namespace.
type Destination struct {
	Server    string `json:"server,omitempty"`
	Name      string `json:"name,omitempty"`
	Namespace string `json:"namespace,omitempty"`
}

// SyncPolicy says when and how Argo CD syncs.
type SyncPolicy struct {
	Automated   *Automated `json:"automated,omitempty"`
	SyncOptions []string   `json:"syncOptions,omitempty"`
	Retry       *Retry     `json:"retry,omitempty"`
}

// Automated syncs on every change of the source.
type Automated struct {
	Prune    bool `json:"prune"`
	SelfHeal bool `json:"selfHeal"`
}

// Retry retries a failed sync.
type Retry struct {
	Limit   int64    `json:"limit"`
	Backoff *Backoff `json:"backoff,omitempty"`
}

// Backoff spaces retries out.
type Backoff struct {
	Duration    string `json:"duration"`
	Factor      int64  `json:"factor"`
	MaxDuration string `json:"maxDuration"`
}

// AppProject restricts what its Applications may deploy, from where, to where.
type AppProject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              AppProjectSpec `json:"spec"`
}

// AppProjectSpec lists what the project allows.
type AppProjectSpec struct {
	Description              string        `json:"description,omitempty"`
	SourceRepos              []string      `json:"sourceRepos"`
	Destinations             []Destination `json:"destinations"`
	ClusterResourceWhitelist []GroupKind   `json:"clusterResourceWhitelist"`
}

// GroupKind names a kind of object.
type GroupKind struct {
	Group string `json:"group"`
	Kind  string `json:"kind"`
}

// ApplicationSet generates Applications from a template.
type ApplicationSet struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              ApplicationSetSpec `json:"spec"`
}

// ApplicationSetSpec is the generators and the template.
type ApplicationSetSpec struct {
	GoTemplate        bool                   `json:"goTemplate"`
	GoTemplateOptions []string               `json:"goTemplateOptions,omitempty"`
	Generators        []Generator            `json:"generators"`
	Template          ApplicationSetTemplate `json:"template"`
}

// Generator yields one set of template parameters per match.
type Generator struct {
	List *ListGenerator `json:"list,omitempty"`
}

// ListGenerator yields one set of template parameters per element.
type ListGenerator struct {
	Elements []map[string]string `json:"elements"`
}

// ApplicationSetTemplate is the Application each generated set of
// parameters becomes.
type ApplicationSetTemplate struct {
	Metadata TemplateMeta    `json:"metadata"`
	Spec     ApplicationSpec `json:"spec"`
}

// TemplateMeta is the generated Application's metadata.
type TemplateMeta struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
}

// DeepCopyObject implements runtime.Object.
func (a *Application) DeepCopyObject() runtime.Object { return deepCopy(a, &Application{}) }

// DeepCopyObject implements runtime.Object.
func (a *AppProject) DeepCopyObject() runtime.Object { return deepCopy(a, &AppProject{}) }

// DeepCopyObject implements runtime.Object.
func (a *ApplicationSet) DeepCopyObject() runtime.Object { return deepCopy(a, &ApplicationSet{}) }

// deepCopy copies through JSON: the types hold only data (strings, numbers,
// booleans, and maps and lists of those), which always survives the round
// trip.
func deepCopy[T runtime.Object](from, to T) runtime.Object {
	b, err := json.Marshal(from)
	if err == nil {
		err = json.Unmarshal(b, to)
	}
	if err != nil {
		return nil
	}
	return to
}

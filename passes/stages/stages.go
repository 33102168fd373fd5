package stages

import (
	"slices"
	"strings"

	"github.com/ydpgen/ydpgen/objset"
)

// Stage is one step of the apply order.
type Stage string

// The stages, in the order they are applied.
const (
	Namespace         Stage = "namespace"
	RBAC              Stage = "rbac"
	Secrets           Stage = "secrets"
	Database          Stage = "database"
	DatabaseBootstrap Stage = "database-bootstrap"
	Airflow           Stage = "airflow"
	// InfrastructureDAG publishes DataSurface's ring-0 DAG to the DAG
	// repository: after Airflow, whose git-sync then serves it, and before
	// ring1-init, which the DAG needs only once it runs.
	InfrastructureDAG Stage = "infrastructure-dag"
	Ring1Init         Stage = "ring1-init"
	ModelMerge        Stage = "model-merge"
	Workloads         Stage = "workloads"
	// SmokeTest is last: its Job checks that what came before works, so
	// that the engine's health of the whole means the platform runs.
	SmokeTest Stage = "smoke-test"
)

// All returns every stage in apply order.
func All() []Stage {
	return []Stage{Namespace, RBAC, Secrets, Database, DatabaseBootstrap, Airflow, InfrastructureDAG, Ring1Init, ModelMerge, Workloads, SmokeTest}
}

// Index is the stage's position in the apply order, from 0; Argo CD uses
// it as the sync wave.
func (s Stage) Index() int { return slices.Index(All(), s) }

// Label is the label every rendered object carries with its stage's name:
// kustomize selects a stage with it (Flux's per-stage Kustomizations) and
// so does `kubectl apply -l` (the plain tree's README).
const Label = "ydpgen.dev/stage"

// componentLabel is where generators put an object's component.
const componentLabel = "app.kubernetes.io/component"

// Of returns the stage of an object. Kinds that every later step relies on
// decide first (a NetworkPolicy that lets the bootstrap Job reach its
// database must exist before the Job runs, whatever component it belongs
// to); then the component label; then configuration and claims, which
// Airflow and the Jobs mount, go before Airflow; the rest comes last.
func Of(e objset.Entry) Stage {
	// A generator that knows better says so with the label itself.
	if s := Stage(label(e, Label)); s.Index() >= 0 {
		return s
	}
	switch e.GVK.Kind {
	case "Namespace", "LimitRange", "ResourceQuota", "NetworkPolicy":
		return Namespace
	case "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding":
		return RBAC
	case "Secret", "ExternalSecret", "SecretStore", "ClusterSecretStore", "SealedSecret":
		return Secrets
	}
	switch c := component(e); {
	case c == "database":
		return Database
	case c == "database-bootstrap":
		return DatabaseBootstrap
	case c == "infrastructure-dag":
		return InfrastructureDAG
	case c == "ring1-init":
		return Ring1Init
	case c == "model-merge":
		return ModelMerge
	case c == string(SmokeTest):
		return SmokeTest
	case c == "airflow" || strings.HasPrefix(c, "airflow-"):
		return Airflow
	}
	switch e.GVK.Kind {
	case "ConfigMap", "PersistentVolumeClaim":
		return Airflow
	}
	return Workloads
}

func component(e objset.Entry) string { return label(e, componentLabel) }

func label(e objset.Entry, key string) string {
	md, _ := e.Content["metadata"].(map[string]any)
	l, _ := md["labels"].(map[string]any)
	v, _ := l[key].(string)
	return v
}

// LabelAll puts the stage label on every entry (in place) and returns them.
func LabelAll(entries []objset.Entry) []objset.Entry {
	for _, e := range entries {
		SetMetadata(e, "labels", Label, string(Of(e)))
	}
	return entries
}

// SetMetadata sets metadata.<field>[key] = value in an entry's content,
// creating the map when it is missing.
func SetMetadata(e objset.Entry, field, key, value string) {
	md, ok := e.Content["metadata"].(map[string]any)
	if !ok {
		md = map[string]any{}
		e.Content["metadata"] = md
	}
	m, ok := md[field].(map[string]any)
	if !ok {
		m = map[string]any{}
		md[field] = m
	}
	m[key] = value
}

// Present returns the stages that hold at least one of the entries, in
// apply order.
func Present(entries []objset.Entry) []Stage {
	seen := map[Stage]bool{}
	for _, e := range entries {
		seen[Of(e)] = true
	}
	var out []Stage
	for _, s := range All() {
		if seen[s] {
			out = append(out, s)
		}
	}
	return out
}

package model

import "strings"

// DataSurfaceJobs are DataSurface's bootstrap Jobs.
type DataSurfaceJobs struct {
	Ring1Init      DataSurfaceJob `json:"ring1Init"`
	ModelMerge     DataSurfaceJob `json:"modelMerge"`
	ReconcileViews DataSurfaceJob `json:"reconcileViews"`
}

// How the infrastructure DAG reaches the DAG repository.
const (
	// PublishJob is a Job of the infrastructure-dag stage that runs ring 0
	// and pushes the DAG.
	PublishJob = "job"
	// PublishManual leaves it to the commands deploy/README.md gives.
	PublishManual = "manual"
)

// InfrastructureDAG is how DataSurface's ring-0 infrastructure DAG reaches
// the DAG repository git-sync serves Airflow from.
type InfrastructureDAG struct {
	// Publish is PublishJob or PublishManual; the loader fills it in when
	// the spec leaves it out: a Job when a credential that may push is
	// named, else manual.
	Publish string `json:"publish,omitempty"`
	// Credential may push to airflow.dags.gitSync.repository over HTTPS.
	Credential string    `json:"credential,omitempty"`
	Resources  Resources `json:"resources"`
}

// DataSurfaceJob is one bootstrap Job.
type DataSurfaceJob struct {
	Resources Resources `json:"resources"`
}

// Logging is what DataSurface's processes log and how.
type Logging struct {
	Level  string `json:"level"`
	Format string `json:"format"`
}

// RepoOwnerName splits a git URL into the owner (user, organisation or
// group path) and repository name that DataSurface's command line asks
// for: https://github.com/acme/model.git gives acme and model. ok is false
// when the URL has no owner and name.
func RepoOwnerName(url string) (owner, name string, ok bool) {
	rest := url
	switch {
	case strings.HasPrefix(rest, "https://"), strings.HasPrefix(rest, "ssh://"):
		rest = rest[strings.Index(rest, "://")+3:]
		// Drop the host (and any user@ or :port in front of the path).
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			return "", "", false
		}
		rest = rest[i+1:]
	case strings.HasPrefix(rest, "git@"):
		i := strings.IndexByte(rest, ':')
		if i < 0 {
			return "", "", false
		}
		rest = rest[i+1:]
	default:
		return "", "", false
	}
	rest = strings.TrimSuffix(strings.TrimSuffix(rest, "/"), ".git")
	i := strings.LastIndexByte(rest, '/')
	if i <= 0 || i == len(rest)-1 {
		return "", "", false
	}
	owner, name = rest[:i], rest[i+1:]
	if strings.Contains(owner, "//") || strings.HasPrefix(owner, "/") {
		return "", "", false
	}
	return owner, name, true
}

package model

import (
	"slices"
	"strconv"
	"strings"
)

// Share is something an environment uses together with another
// environment of the platform on purpose, with the reason written down:
// without one, the loader refuses two environments that meet on a database,
// a database user or a remote secret.
type Share struct {
	// With is the other environment.
	With string `json:"with"`
	// Exactly one of Database and Credential is set.
	Database   string `json:"database,omitempty"`
	Credential string `json:"credential,omitempty"`
	Reason     string `json:"reason"`
	// Partner is what this environment needs to know of the other one; the
	// loader fills it in.
	Partner SharePartner `json:"-"`
}

// SharePartner is the other environment of a share, as a shared
// credential's remote key and a copied Secret need it.
type SharePartner struct {
	Namespace string
	Ecosystem string
	// SameCluster is true when both environments name the same cluster,
	// so that a Secret can be copied from the partner's namespace.
	SameCluster bool
	// Provider is the partner's secrets provider.
	Provider string
}

// SharedWith lists, sorted, the other environments that share credential
// name with this one, whichever of the two declared the share.
func (e *Environment) SharedWith(credential string) []string {
	var out []string
	for _, s := range append(slices.Clone(e.Shares), e.Borrowers...) {
		if s.Credential == credential && !slices.Contains(out, s.With) {
			out = append(out, s.With)
		}
	}
	slices.Sort(out)
	return out
}

// SharedCredential returns the share of a credential with another
// environment, if the spec declares one.
func (e *Environment) SharedCredential(name string) (Share, bool) {
	i := slices.IndexFunc(e.Shares, func(s Share) bool { return s.Credential == name })
	if i < 0 {
		return Share{}, false
	}
	return e.Shares[i], true
}

// IsSSHURL reports whether git reaches a repository URL over SSH (git@host:path
// or ssh://), and so needs a key rather than a token.
func IsSSHURL(url string) bool {
	return strings.HasPrefix(url, "git@") || strings.HasPrefix(url, "ssh://")
}

// ClusterID identifies the cluster an environment runs on among the
// platform's environments: the declared cluster name, or, without one, a
// cluster of the environment's own.
func (e *Environment) ClusterID() string {
	if e.Cluster.Name != "" {
		return "cluster " + e.Cluster.Name
	}
	return "the cluster of environment " + e.Name
}

// DatabaseServerID identifies the PostgreSQL server of an environment's
// databases: its address and port. An in-cluster address means something
// only inside its cluster, so it is qualified by the cluster.
func (e *Environment) DatabaseServerID() string {
	md := e.Airflow.MetadataDatabase
	id := md.Host + ":" + strconv.Itoa(md.Port)
	if md.Mode == InCluster || strings.HasSuffix(md.Host, ".svc") || strings.Contains(md.Host, ".svc.") || !strings.Contains(md.Host, ".") {
		id += " in " + e.ClusterID()
	}
	return id
}

// ServerRoles returns the credentials whose database users the bootstrap
// creates and sets the password of: the owners and DataTransformers of
// ServerDatabases, without the administrator (whose password belongs to
// whoever made the server), sorted.
func (e *Environment) ServerRoles() []string {
	admin := e.Airflow.MetadataDatabase.Server.AdminCredential
	var out []string
	for _, d := range e.ServerDatabases() {
		for _, c := range append([]string{d.Owner}, d.DataTransformers...) {
			if c != admin && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	slices.Sort(out)
	return out
}

// ClusterGroups lists, for every cluster name that more than one
// environment declares, the indexes of those environments, in order: they
// share the cluster's nodes.
func (p *Platform) ClusterGroups() [][]int {
	var names []string
	by := map[string][]int{}
	for i, env := range p.Environments {
		n := env.Cluster.Name
		if n == "" {
			continue
		}
		if _, seen := by[n]; !seen {
			names = append(names, n)
		}
		by[n] = append(by[n], i)
	}
	var out [][]int
	for _, n := range names {
		if len(by[n]) > 1 {
			out = append(out, by[n])
		}
	}
	return out
}

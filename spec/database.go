package spec

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/model"
)

// checkDatabases checks what the schema alone cannot about the database
// server of one resolved environment: an in-cluster server has no host of
// the spec's and no TLS certificate, an external one needs a host; a
// database named twice has one owner; requests fit under limits; the
// in-cluster server's storage class is one the cluster declares.
func checkDatabases(env *model.Environment) diag.List {
	c := &envChecker{env: env}
	add := c.addIn
	md := env.Airflow.MetadataDatabase
	mdPath := func(sels ...string) cue.Path {
		all := []cue.Selector{cue.Str("airflow"), cue.Str("metadataDatabase")}
		for _, s := range sels {
			all = append(all, cue.Str(s))
		}
		return cue.MakePath(all...)
	}

	switch md.Mode {
	case model.InCluster:
		// The loader sets Host for an in-cluster server; only a host the
		// spec wrote has an origin of its own.
		if _, written := env.Origins[mdPath("host").String()]; written {
			add(mdPath("host"), fmt.Sprintf("host is set, but the in-cluster server is reached at %s", model.InClusterDatabaseHost(env.Namespace.Name)),
				"no host with mode in-cluster", "remove host, or set mode: external to use that server")
		}
		if md.SSLMode != "disable" && md.SSLMode != "prefer" {
			add(mdPath("sslMode"), fmt.Sprintf("sslMode %s needs TLS, which the in-cluster server does not offer", md.SSLMode),
				"disable or prefer with mode in-cluster", "")
		}
		class := md.Server.Storage.StorageClass
		classPath := mdPath("server", "storage", "storageClass")
		what := "storage class " + class
		if class == "" {
			class, classPath = env.Cluster.DefaultStorageClass, cue.MakePath(cue.Str("environment"), cue.Str("cluster"), cue.Str("defaultStorageClass"))
			what = "the cluster's default storage class " + class
		}
		if _, ok := env.Cluster.StorageClasses[class]; !ok {
			declared := slices.Sorted(maps.Keys(env.Cluster.StorageClasses))
			add(classPath, fmt.Sprintf("the in-cluster database's volume uses %s, which the cluster does not declare", what),
				"a storage class declared under cluster.storageClasses: "+strings.Join(declared, ", "),
				"set airflow.metadataDatabase.server.storage.storageClass, or declare the class")
		}
		checkRequests(md.Server.Resources, mdPath("server", "resources"), add)
	case model.External:
		if md.Host == "" {
			add(mdPath("mode"), "an external metadata database has no host", "a host name or IP address in airflow.metadataDatabase.host", "")
		}
	}
	if md.Bootstrap.Enabled {
		checkRequests(md.Bootstrap.Resources, mdPath("bootstrap", "resources"), add)
	}

	// The bootstrap creates each database once, with one owner.
	owners := map[string]string{
		md.Name:                            md.Credential,
		env.DataSurface.MergeDatabase.Name: env.DataSurface.MergeDatabase.Credential,
	}
	firstAt := map[string]string{
		md.Name:                            "airflow.metadataDatabase.credential",
		env.DataSurface.MergeDatabase.Name: "datasurface.mergeDatabase.credential",
	}
	if md.Name == env.DataSurface.MergeDatabase.Name && md.Credential != env.DataSurface.MergeDatabase.Credential {
		add(cue.ParsePath("datasurface.mergeDatabase.name"),
			fmt.Sprintf("the merge database %s is also Airflow's metadata database, owned by %s", md.Name, md.Credential),
			"a merge database of its own", "")
	}
	for i, d := range env.Databases {
		p := cue.MakePath(cue.Str("databases"), cue.Index(i), cue.Str("owner"))
		if owner, ok := owners[d.Name]; ok {
			if owner != d.Owner {
				add(p, fmt.Sprintf("database %s is owned by %s here but by %s in %s", d.Name, d.Owner, owner, firstAt[d.Name]),
					"one owner per database", "write the same owner credential, or remove this entry")
			}
			continue
		}
		owners[d.Name] = d.Owner
		firstAt[d.Name] = fmt.Sprintf("databases[%d].owner", i)
	}
	return c.out
}

// checkRequests reports requests above their limits, which the API server
// refuses.
func checkRequests(r model.Resources, path cue.Path, add func(cue.Path, string, string, string)) {
	for _, q := range []struct{ name, req, lim string }{
		{"cpu", r.Requests.CPU, r.Limits.CPU},
		{"memory", r.Requests.Memory, r.Limits.Memory},
	} {
		req, err1 := resource.ParseQuantity(q.req)
		lim, err2 := resource.ParseQuantity(q.lim)
		if err1 != nil || err2 != nil {
			continue // the schema reports malformed quantities
		}
		if req.Cmp(lim) > 0 {
			p := cue.MakePath(append(slices.Clone(path.Selectors()), cue.Str("requests"), cue.Str(q.name))...)
			add(p, fmt.Sprintf("the %s request %s is above its limit %s", q.name, q.req, q.lim), "a request no larger than the limit", "")
		}
	}
}

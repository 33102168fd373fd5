package model

import "slices"

// The modes of the metadata database.
const (
	// InCluster is a PostgreSQL that ydpgen renders next to Airflow.
	InCluster = "in-cluster"
	// External is a server that exists outside what ydpgen renders.
	External = "external"
)

// InClusterDatabaseService is the Service of the in-cluster PostgreSQL.
// DataSurface's own model examples call their database host postgres, so a
// model written for them resolves it inside the namespace unchanged.
const InClusterDatabaseService = "postgres"

// InClusterDatabaseHost is the in-cluster PostgreSQL's address as every
// pod of the cluster can resolve it.
func InClusterDatabaseHost(namespace string) string {
	return InClusterDatabaseService + "." + namespace + ".svc.cluster.local"
}

// DatabaseServer is the PostgreSQL server the platform's databases live on.
type DatabaseServer struct {
	// AdminCredential is the superuser of an in-cluster server, or an
	// administrator of an external one; the bootstrap connects with it.
	AdminCredential string          `json:"adminCredential"`
	Image           Image           `json:"image"`
	Storage         DatabaseStorage `json:"storage"`
	Resources       Resources       `json:"resources"`
}

// DatabaseStorage is the in-cluster server's data volume.
type DatabaseStorage struct {
	Size string `json:"size"`
	// StorageClass is empty for the cluster's default class.
	StorageClass string `json:"storageClass,omitempty"`
}

// DatabaseBootstrap is the Job that creates databases and users.
type DatabaseBootstrap struct {
	Enabled   bool      `json:"enabled"`
	Resources Resources `json:"resources"`
}

// ServerDatabases returns every database the bootstrap makes on the server:
// Airflow's metadata database, DataSurface's merge database, then those of
// spec.databases in their order. A database named more than once appears
// once, with the first owner named and every DataTransformer of every entry.
func (e *Environment) ServerDatabases() []Database {
	all := []Database{
		{Name: e.Airflow.MetadataDatabase.Name, Owner: e.Airflow.MetadataDatabase.Credential},
		{Name: e.DataSurface.MergeDatabase.Name, Owner: e.DataSurface.MergeDatabase.Credential},
	}
	all = append(all, e.Databases...)
	var out []Database
	for _, d := range all {
		i := slices.IndexFunc(out, func(o Database) bool { return o.Name == d.Name })
		if i < 0 {
			out = append(out, Database{Name: d.Name, Owner: d.Owner})
			i = len(out) - 1
		}
		for _, dt := range d.DataTransformers {
			if !slices.Contains(out[i].DataTransformers, dt) {
				out[i].DataTransformers = append(out[i].DataTransformers, dt)
			}
		}
	}
	return out
}

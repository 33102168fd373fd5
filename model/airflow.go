package model

// Broker is where Celery's queue lives.
type Broker string

const (
	// BrokerRedis is the chart's built-in Redis, with a fixed password.
	BrokerRedis Broker = "redis"
	// BrokerExternal is a broker the platform does not run.
	BrokerExternal Broker = "external"
)

// PgBouncer pools the metadata database connections of every component.
type PgBouncer struct {
	Enabled           bool      `json:"enabled"`
	Replicas          int       `json:"replicas"`
	MaxClientConn     int       `json:"maxClientConn"`
	MetadataPoolSize  int       `json:"metadataPoolSize"`
	Resources         Resources `json:"resources"`
	ExporterResources Resources `json:"exporterResources"`
}

// DAGVolume is a ReadWriteMany claim holding the DAG files.
type DAGVolume struct {
	Enabled      bool   `json:"enabled"`
	Size         string `json:"size,omitempty"`
	StorageClass string `json:"storageClass,omitempty"`
}

// LogGroomer sizes the chart's log groomer sidecars.
type LogGroomer struct {
	Resources Resources `json:"resources"`
}

// SmokeTest is the Job of the last stage that checks the platform works:
// migrations at their head, a live scheduler, a healthy API server and the
// infrastructure DAG imported.
type SmokeTest struct {
	Enabled   bool      `json:"enabled"`
	Resources Resources `json:"resources"`
}

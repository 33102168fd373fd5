package model

// Where DataSurface's containers find things; its own templates use the
// same paths, so every pod that shares the git cache agrees on them.
const (
	// DataSurfaceGitCachePath is where DataSurface's containers find the git cache claim.
	DataSurfaceGitCachePath = "/cache/git-cache"
	// DataSurfaceWorkspacePath is the scratch emptyDir, also HOME.
	DataSurfaceWorkspacePath = "/workspace"
)

// DataSurfaceNames are the Kubernetes names of DataSurface's objects in an
// environment. Every reference to one of them, here and in other
// generators, goes through DataSurfaceNames.
type DataSurfaceNames struct {
	GitCacheClaim  string
	LoggingConfig  string
	Ring1Init      string
	ModelMerge     string
	ReconcileViews string
	MCPServer      string // the Deployment
	MCPService     string // the Service and the Ingress
	// MCPTLSSecret is where cert-manager writes the MCP certificate when the
	// spec names an issuer but no Secret.
	MCPTLSSecret string
	// ModelKnownHosts holds the model repository's SSH host keys (known_hosts)
	// when its URL is an SSH one.
	ModelKnownHosts string
	// InfrastructureDAG names the publish Job and its script's ConfigMap.
	InfrastructureDAG string
	// InfrastructureDAGFile is the file ring 0 writes the DAG to, and
	// git-sync serves it from.
	InfrastructureDAGFile string
}

// DataSurfaceNames returns the names of DataSurface's objects in the
// environment, derived from the PSP's Kubernetes name.
func (env *Environment) DataSurfaceNames() DataSurfaceNames {
	psp := K8sName(env.DataSurface.PSP)
	return DataSurfaceNames{
		GitCacheClaim:   "git-cache-pvc",
		LoggingConfig:   psp + "-logging-config",
		Ring1Init:       psp + "-ring1-init",
		ModelMerge:      psp + "-model-merge-job",
		ReconcileViews:  psp + "-reconcile-views-job",
		MCPServer:       psp + "-mcp-server",
		MCPService:      psp + "-mcp",
		MCPTLSSecret:    psp + "-mcp-tls",
		ModelKnownHosts: psp + "-model-known-hosts",

		InfrastructureDAG:     psp + "-infrastructure-dag",
		InfrastructureDAGFile: PythonName(env.DataSurface.PSP) + "_infrastructure_dag.py",
	}
}

package model

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDataSurfaceNames(t *testing.T) {
	env := &Environment{DataSurface: DataSurface{PSP: "Demo_PSP"}}
	want := DataSurfaceNames{
		GitCacheClaim: "git-cache-pvc", LoggingConfig: "demo-psp-logging-config",
		Ring1Init: "demo-psp-ring1-init", ModelMerge: "demo-psp-model-merge-job", ReconcileViews: "demo-psp-reconcile-views-job",
		MCPServer: "demo-psp-mcp-server", MCPService: "demo-psp-mcp", MCPTLSSecret: "demo-psp-mcp-tls", ModelKnownHosts: "demo-psp-model-known-hosts",
		// Ring 0 writes <psp lower-case>_infrastructure_dag.py.
		InfrastructureDAG: "demo-psp-infrastructure-dag", InfrastructureDAGFile: "demo_psp_infrastructure_dag.py",
	}
	if d := cmp.Diff(want, env.DataSurfaceNames()); d != "" {
		t.Errorf("DataSurfaceNames (-want +got):\n%s", d)
	}
}

package namespace

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/utils/ptr"

	"github.com/ydpgen/ydpgen/model"
)

func testEnv() *model.Environment {
	return &model.Environment{
		Name: "dev", Profile: "kubeadm", Platform: "demo",
		Namespace: model.Namespace{Name: "demo", PodSecurity: "restricted",
			NetworkPolicy: model.NetworkPolicy{Enabled: true, IngressControllerNamespace: "ingress-nginx",
				DatabaseCIDRs: []string{"10.1.0.0/16"}, DatabasePorts: []int{5432, 1433}, APIServerCIDRs: []string{"10.0.0.1/32"}},
			LimitRange: model.LimitRange{Enabled: true, DefaultRequests: model.CPUMemory{CPU: "100m", Memory: "128Mi"},
				DefaultLimits: model.CPUMemory{CPU: "1", Memory: "1Gi"}},
		},
		Airflow: model.Airflow{ReleaseName: "airflow", MetadataDatabase: model.MetadataDatabase{Mode: "external"},
			APIServer: model.APIServer{ServiceType: "ClusterIP"}},
		DataSurface: model.DataSurface{MCPServer: model.MCPServer{Enabled: true, ServiceType: "NodePort"}},
	}
}

func policies(env *model.Environment) map[string]*networkingv1.NetworkPolicy {
	out := map[string]*networkingv1.NetworkPolicy{}
	for _, p := range networkPolicies(env) {
		out[p.Name] = p
	}
	return out
}

func TestNetworkPolicies(t *testing.T) {
	cases := []struct {
		name   string
		change func(*model.Environment)
		want   []string
		check  func(*testing.T, map[string]*networkingv1.NetworkPolicy)
	}{
		{
			name: "external database, ingress controller, NodePort MCP server",
			want: []string{"allow-airflow-components", "allow-api-server", "allow-databases", "allow-dns", "allow-git", "allow-kubernetes-api", "allow-mcp-server", "default-deny"},
			check: func(t *testing.T, ps map[string]*networkingv1.NetworkPolicy) {
				deny := ps["default-deny"].Spec
				if len(deny.PodSelector.MatchLabels) != 0 || len(deny.Ingress) != 0 || len(deny.Egress) != 0 || len(deny.PolicyTypes) != 2 {
					t.Errorf("default-deny does not deny all: %+v", deny)
				}
				db := ps["allow-databases"].Spec.Egress
				if len(db) != 1 || len(db[0].Ports) != 2 || db[0].To[0].IPBlock.CIDR != "10.1.0.0/16" {
					t.Errorf("allow-databases: %+v", db)
				}
				api := ps["allow-api-server"].Spec
				if api.PodSelector.MatchLabels["component"] != "api-server" || api.PodSelector.MatchLabels["release"] != "airflow" ||
					len(api.Ingress) != 1 || len(api.Ingress[0].From) != 1 ||
					api.Ingress[0].From[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] != "ingress-nginx" {
					t.Errorf("allow-api-server: %+v", api)
				}
				// A NodePort brings traffic from outside: no source to name.
				if mcp := ps["allow-mcp-server"].Spec.Ingress; len(mcp) != 1 || mcp[0].From != nil || mcp[0].Ports[0].Port.IntValue() != mcpServerPort {
					t.Errorf("allow-mcp-server: %+v", mcp)
				}
				dns := ps["allow-dns"].Spec.Egress[0]
				if len(dns.Ports) != 2 || *dns.Ports[0].Protocol != corev1.ProtocolUDP || dns.Ports[0].Port.IntValue() != 53 {
					t.Errorf("allow-dns: %+v", dns)
				}
				af := ps["allow-airflow-components"].Spec
				if af.PodSelector.MatchLabels["release"] != "airflow" || af.Ingress[0].From[0].PodSelector.MatchLabels["release"] != "airflow" ||
					af.Egress[0].To[0].PodSelector.MatchLabels["release"] != "airflow" {
					t.Errorf("allow-airflow-components: %+v", af)
				}
			},
		},
		{
			name: "in-cluster database",
			change: func(e *model.Environment) {
				e.Airflow.MetadataDatabase.Mode = "in-cluster"
				e.DataSurface.MCPServer.Enabled = false
			},
			want: []string{"allow-airflow-components", "allow-api-server", "allow-database-clients", "allow-databases", "allow-dns", "allow-git", "allow-kubernetes-api", "default-deny"},
			check: func(t *testing.T, ps map[string]*networkingv1.NetworkPolicy) {
				if eg := ps["allow-databases"].Spec.Egress; len(eg) != 2 || eg[1].To[0].PodSelector == nil {
					t.Errorf("allow-databases has no rule for the namespace's PostgreSQL: %+v", eg)
				}
				in := ps["allow-database-clients"].Spec.Ingress
				if len(in) != 1 || in[0].Ports[0].Port.IntValue() != postgresPort {
					t.Errorf("allow-database-clients: %+v", in)
				}
			},
		},
		{
			name: "nothing to let in, no database ports",
			change: func(e *model.Environment) {
				e.Namespace.NetworkPolicy.IngressControllerNamespace = ""
				e.Namespace.NetworkPolicy.DatabasePorts = nil
				e.DataSurface.MCPServer.ServiceType = "ClusterIP"
			},
			want: []string{"allow-airflow-components", "allow-dns", "allow-git", "allow-kubernetes-api", "default-deny"},
		},
		{
			name: "address ranges of a load balancer",
			change: func(e *model.Environment) {
				e.Namespace.NetworkPolicy.IngressControllerNamespace = ""
				e.Namespace.NetworkPolicy.IngressCIDRs = []string{"10.0.0.0/8"}
				e.DataSurface.MCPServer.Enabled = false
			},
			want: []string{"allow-airflow-components", "allow-api-server", "allow-databases", "allow-dns", "allow-git", "allow-kubernetes-api", "default-deny"},
			check: func(t *testing.T, ps map[string]*networkingv1.NetworkPolicy) {
				from := ps["allow-api-server"].Spec.Ingress[0].From
				if len(from) != 1 || from[0].IPBlock == nil || from[0].IPBlock.CIDR != "10.0.0.0/8" {
					t.Errorf("allow-api-server from %+v", from)
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := testEnv()
			if c.change != nil {
				c.change(env)
			}
			ps := policies(env)
			var names []string
			for n, p := range ps {
				names = append(names, n)
				if p.Namespace != "demo" || p.Labels["app.kubernetes.io/managed-by"] != "ydpgen" {
					t.Errorf("%s: namespace %q, labels %v", n, p.Namespace, p.Labels)
				}
			}
			slices.Sort(names)
			if !slices.Equal(names, c.want) {
				t.Errorf("policies %v, want %v", names, c.want)
			}
			if c.check != nil {
				c.check(t, ps)
			}
		})
	}
}

func TestGuardRailsSwitches(t *testing.T) {
	env := testEnv()
	env.Namespace.NetworkPolicy.Enabled = false
	env.Namespace.LimitRange.Enabled = false
	objs, err := guardRails(env)
	if err != nil || len(objs) != 0 {
		t.Fatalf("guard rails switched off gave %d objects, %v", len(objs), err)
	}

	env.Namespace.LimitRange.Enabled = true
	env.Namespace.ResourceQuota = model.ResourceQuota{Enabled: true, Requests: &model.CPUMemory{CPU: "8", Memory: "16Gi"},
		Pods: 40, PersistentVolumeClaims: ptr.To(0), Storage: "100Gi"}
	objs, err = guardRails(env)
	if err != nil || len(objs) != 2 {
		t.Fatalf("got %d objects, %v", len(objs), err)
	}
	lr := objs[0].(*corev1.LimitRange).Spec.Limits[0]
	if lr.Type != corev1.LimitTypeContainer || lr.Default.Memory().String() != "1Gi" || lr.DefaultRequest.Cpu().String() != "100m" {
		t.Errorf("LimitRange %+v", lr)
	}
	hard := objs[1].(*corev1.ResourceQuota).Spec.Hard
	var keys []string
	for k := range hard {
		keys = append(keys, string(k))
	}
	slices.Sort(keys)
	if want := []string{"persistentvolumeclaims", "pods", "requests.cpu", "requests.memory", "requests.storage"}; !slices.Equal(keys, want) {
		t.Errorf("quota keys %v, want %v", keys, want)
	}
	if q := hard[corev1.ResourcePersistentVolumeClaims]; !q.IsZero() {
		t.Errorf("a quota of zero claims became %s", q.String())
	}

	env.Namespace.ResourceQuota.Storage = "lots"
	if _, err := guardRails(env); err == nil {
		t.Error("a bad quantity was accepted")
	}
}

func egressPorts(r networkingv1.NetworkPolicyEgressRule) []int {
	var out []int
	for _, p := range r.Ports {
		out = append(out, p.Port.IntValue())
	}
	return out
}

func egressTo(r networkingv1.NetworkPolicyEgressRule) []string {
	var out []string
	for _, p := range r.To {
		if p.IPBlock != nil {
			out = append(out, p.IPBlock.CIDR)
		}
	}
	return out
}

// The database policy follows the databases the spec names: the metadata
// database's own port, each external database at its address and its
// engine's port, the declared extra ports within the declared ranges.
func TestDatabaseEgressFollowsSpec(t *testing.T) {
	type rule struct {
		to    []string
		ports []int
	}
	for _, tc := range []struct {
		name   string
		change func(*model.Environment)
		want   []rule
	}{
		{"metadata database on a port of its own", func(e *model.Environment) {
			e.Namespace.NetworkPolicy.DatabasePorts = nil
			e.Airflow.MetadataDatabase.Host = "db.example.internal"
			e.Airflow.MetadataDatabase.Port = 5433
		}, []rule{{[]string{"10.1.0.0/16"}, []int{5433}}}},
		{"databases by address, range and name", func(e *model.Environment) {
			e.Namespace.NetworkPolicy.DatabasePorts = nil
			e.Namespace.NetworkPolicy.DatabaseCIDRs = []string{"10.0.0.0/8"}
			e.Airflow.MetadataDatabase.Host = "10.1.2.3"
			e.Airflow.MetadataDatabase.Port = 5432
			e.DataSurface.ExternalDatabases = []model.ExternalDatabase{
				{Name: "cqrs", Engine: model.EngineSQLServer, Host: "10.1.2.3", Port: model.EnginePort(model.EngineSQLServer)},
				{Name: "oracle", Engine: model.EngineOracle, CIDR: "10.9.0.0/24", Port: model.EnginePort(model.EngineOracle)},
				{Name: "warehouse", Engine: model.EngineSnowflake, Host: "acme.snowflakecomputing.com", Port: model.EnginePort(model.EngineSnowflake)},
			}
		}, []rule{
			{[]string{"10.0.0.0/8"}, []int{443}},
			{[]string{"10.1.2.3/32"}, []int{1433, 5432}},
			{[]string{"10.9.0.0/24"}, []int{1521}},
		}},
		{"in-cluster database only: no rule outside the namespace", func(e *model.Environment) {
			e.Namespace.NetworkPolicy.DatabasePorts = nil
			e.Airflow.MetadataDatabase.Mode = "in-cluster"
		}, []rule{{nil, []int{postgresPort}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := testEnv()
			tc.change(env)
			var got []rule
			for _, r := range policies(env)["allow-databases"].Spec.Egress {
				got = append(got, rule{egressTo(r), egressPorts(r)})
			}
			if len(got) != len(tc.want) {
				t.Fatalf("rules %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if !slices.Equal(got[i].to, tc.want[i].to) || !slices.Equal(got[i].ports, tc.want[i].ports) {
					t.Errorf("rule %d: %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// Git egress opens the ports of the git URLs the spec names, and 443 for
// DataSurface's own HTTPS clones.
func TestGitEgressPorts(t *testing.T) {
	env := testEnv()
	env.DataSurface.Model.Repository = "ssh://git@git.example.internal:2222/team/model.git"
	env.Airflow.DAGs.GitSync = model.GitSync{Enabled: true, Repository: "git@github.com:acme/dags.git"}
	r := policies(env)["allow-git"].Spec.Egress
	if len(r) != 1 || !slices.Equal(egressPorts(r[0]), []int{22, 443, 2222}) {
		t.Errorf("allow-git: %+v", r)
	}
}

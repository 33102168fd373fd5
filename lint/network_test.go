package lint

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

// dbEnv is an environment with one external database at addr:port and the
// NetworkPolicies on, declaring cidrs and ports for databases.
func dbEnv(addr string, port int, cidrs []string, ports []int) *model.Environment {
	e := env()
	e.Namespace.NetworkPolicy = model.NetworkPolicy{Enabled: true, DatabaseCIDRs: cidrs, DatabasePorts: ports}
	e.DataSurface.ExternalDatabases = []model.ExternalDatabase{{Name: "cqrs", Engine: "sqlserver", Host: addr, Port: port}}
	e.Origins["datasurface.externalDatabases[0].host"] = model.Origin{File: "p.yaml", Line: 12, Col: 9, Path: "spec.datasurface.externalDatabases[0].host"}
	return e
}

func egressTo(name string, peers []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name},
		Spec: networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress:      []networkingv1.NetworkPolicyEgressRule{{To: peers, Ports: ports}},
		},
	}
}

func tcp(p int) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To(intstr.FromInt32(int32(p)))}
}

func block(cidr string, except ...string) []networkingv1.NetworkPolicyPeer {
	return []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: cidr, Except: except}}}
}

func TestDatabaseReach(t *testing.T) {
	denyAll := &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "default-deny"},
		Spec:       networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}},
	}
	for _, tc := range []struct {
		name  string
		env   *model.Environment
		objs  []objset.Object
		wants []string // substrings, one per finding
	}{
		{"opened at its address and port", dbEnv("10.1.2.3", 1433, nil, nil),
			[]objset.Object{denyAll, egressTo("db", block("10.1.2.3/32"), tcp(1433))}, nil},
		{"opened by a range and a port range", dbEnv("10.1.2.3", 1433, nil, nil),
			[]objset.Object{denyAll, egressTo("db", block("10.0.0.0/8"), networkingv1.NetworkPolicyPort{Port: ptr.To(intstr.FromInt32(1400)), EndPort: ptr.To(int32(1500))})}, nil},
		{"no egress policy: nothing blocks", dbEnv("10.1.2.3", 1433, nil, nil), nil, nil},
		{"policies off", func() *model.Environment {
			e := dbEnv("10.1.2.3", 1433, []string{"10.9.0.0/16"}, nil)
			e.Namespace.NetworkPolicy.Enabled = false
			return e
		}(),
			[]objset.Object{denyAll}, nil},
		{"rendered policy opens another port", dbEnv("10.1.2.3", 1433, nil, nil),
			[]objset.Object{denyAll, egressTo("db", block("10.1.2.3/32"), tcp(5432))},
			[]string{"p.yaml:12:9: YDP013: spec.datasurface.externalDatabases[0].host: no rendered NetworkPolicy lets the platform's pods reach database server cqrs (sqlserver) at 10.1.2.3 on port 1433"}},
		{"rendered policy excepts the address", dbEnv("10.1.2.3", 1433, nil, nil),
			[]objset.Object{denyAll, egressTo("db", block("10.0.0.0/8", "10.1.0.0/16"), tcp(1433))},
			[]string{"no rendered NetworkPolicy"}},
		{"a pod selector is not an outside address", dbEnv("10.1.2.3", 1433, nil, nil),
			[]objset.Object{denyAll, egressTo("db", []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}}, tcp(1433))},
			[]string{"no rendered NetworkPolicy"}},
		{"a DNS name is checked by its port", dbEnv("db.example.internal", 1433, nil, nil),
			[]objset.Object{denyAll, egressTo("db", block("10.0.0.0/8"), tcp(1433))}, nil},
		{"address outside the declared ranges", dbEnv("192.168.5.5", 1433, []string{"10.1.0.0/16"}, nil),
			[]objset.Object{denyAll, egressTo("db", block("192.168.5.5/32"), tcp(1433))},
			[]string{"is at 192.168.5.5, outside namespace.networkPolicy.databaseCIDRs (10.1.0.0/16)"}},
		{"port outside the declared ports", dbEnv("db.example.internal", 1433, nil, []int{5432, 5433}),
			[]objset.Object{denyAll, egressTo("db", block("10.0.0.0/8"), tcp(1433))},
			[]string{"listens on port 1433, which namespace.networkPolicy.databasePorts (5432, 5433) does not open"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := run(t, "YDP013", tc.env, entries(t, tc.objs...))
			if len(got) != len(tc.wants) {
				t.Fatalf("got %d findings, want %d: %v", len(got), len(tc.wants), got)
			}
			for i, w := range tc.wants {
				if s := got[i].String(); !strings.Contains(s, w) {
					t.Errorf("finding %q does not say %q", s, w)
				}
			}
		})
	}
}

package namespace

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/ydpgen/ydpgen/kube/labels"
	"github.com/ydpgen/ydpgen/kube/pod"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

// Ports the allows name: the Airflow API server's container port and the
// DataSurface MCP server's, DNS, git over HTTPS and SSH, and the
// Kubernetes API server (443 behind the kubernetes Service, 6443 on
// kubeadm and k3s control planes).
const (
	apiServerPort = 8080
	mcpServerPort = 8000
	dnsPort       = 53
	httpsPort     = 443
	kubeAPIPort   = 6443
	postgresPort  = 5432
)

// MCPServerSelector selects the DataSurface MCP server's pods: the
// component label every object of the MCP server carries.
func MCPServerSelector() map[string]string {
	return map[string]string{"app.kubernetes.io/component": "mcp-server"}
}

// guardRails are the namespace's LimitRange, ResourceQuota and
// NetworkPolicies, as the environment asks for them.
func guardRails(env *model.Environment) ([]objset.Object, error) {
	var out []objset.Object
	ns := env.Namespace
	if ns.LimitRange.Enabled {
		lr, err := limitRange(env)
		if err != nil {
			return nil, err
		}
		out = append(out, lr)
	}
	if ns.ResourceQuota.Enabled {
		q, err := resourceQuota(env)
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	if ns.NetworkPolicy.Enabled {
		for _, p := range networkPolicies(env) {
			out = append(out, p)
		}
	}
	return out, nil
}

func meta(env *model.Environment, name, component string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: env.Namespace.Name, Labels: labels.For(env, name, component)}
}

// limitRange gives every container that sets no requests or limits the
// profile's defaults, so that nothing runs unbounded.
func limitRange(env *model.Environment) (*corev1.LimitRange, error) {
	lr := env.Namespace.LimitRange
	req, err := pod.ResourceList("namespace.limitRange.defaultRequests", lr.DefaultRequests)
	if err != nil {
		return nil, err
	}
	lim, err := pod.ResourceList("namespace.limitRange.defaultLimits", lr.DefaultLimits)
	if err != nil {
		return nil, err
	}
	return &corev1.LimitRange{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "LimitRange"},
		ObjectMeta: meta(env, "container-defaults", "guard-rails"),
		Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
			Type: corev1.LimitTypeContainer, DefaultRequest: req, Default: lim,
		}}},
	}, nil
}

// resourceQuota caps what the namespace may request, use and claim.
func resourceQuota(env *model.Environment) (*corev1.ResourceQuota, error) {
	q := env.Namespace.ResourceQuota
	hard := corev1.ResourceList{}
	set := func(name corev1.ResourceName, value, path string) error {
		if value == "" {
			return nil
		}
		v, err := resource.ParseQuantity(value)
		if err != nil {
			return fmt.Errorf("%s: %q: %w", path, value, err)
		}
		hard[name] = v
		return nil
	}
	var errs []error
	if r := q.Requests; r != nil {
		errs = append(errs, set(corev1.ResourceRequestsCPU, r.CPU, "namespace.resourceQuota.requests.cpu"),
			set(corev1.ResourceRequestsMemory, r.Memory, "namespace.resourceQuota.requests.memory"))
	}
	if l := q.Limits; l != nil {
		errs = append(errs, set(corev1.ResourceLimitsCPU, l.CPU, "namespace.resourceQuota.limits.cpu"),
			set(corev1.ResourceLimitsMemory, l.Memory, "namespace.resourceQuota.limits.memory"))
	}
	if q.Pods > 0 {
		hard[corev1.ResourcePods] = *resource.NewQuantity(int64(q.Pods), resource.DecimalSI)
	}
	if q.PersistentVolumeClaims != nil {
		hard[corev1.ResourcePersistentVolumeClaims] = *resource.NewQuantity(int64(*q.PersistentVolumeClaims), resource.DecimalSI)
	}
	errs = append(errs, set(corev1.ResourceRequestsStorage, q.Storage, "namespace.resourceQuota.storage"))
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return &corev1.ResourceQuota{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ResourceQuota"},
		ObjectMeta: meta(env, "platform-quota", "guard-rails"),
		Spec:       corev1.ResourceQuotaSpec{Hard: hard},
	}, nil
}

// networkPolicies deny all traffic in and out of the namespace's pods, then
// allow what the platform needs: DNS, the Kubernetes API, git, the
// databases, the Airflow release's components among themselves, and the
// way in to the API server and the MCP server.
func networkPolicies(env *model.Environment) []*networkingv1.NetworkPolicy {
	np := env.Namespace.NetworkPolicy
	all := metav1.LabelSelector{}
	release := metav1.LabelSelector{MatchLabels: map[string]string{"release": env.Airflow.ReleaseName}}
	both := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	egress := []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
	ingress := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}

	policy := func(name string, selector metav1.LabelSelector, types []networkingv1.PolicyType) *networkingv1.NetworkPolicy {
		return &networkingv1.NetworkPolicy{
			TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
			ObjectMeta: meta(env, name, "network-policy"),
			Spec:       networkingv1.NetworkPolicySpec{PodSelector: selector, PolicyTypes: types},
		}
	}

	deny := policy("default-deny", all, both)

	dns := policy("allow-dns", all, egress)
	dns.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{
		To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{
			MatchLabels: map[string]string{"kubernetes.io/metadata.name": "kube-system"}}}},
		Ports: []networkingv1.NetworkPolicyPort{port(corev1.ProtocolUDP, dnsPort), port(corev1.ProtocolTCP, dnsPort)},
	}}

	// Airflow components read Secrets and (KubernetesExecutor) start pods;
	// DataSurface reads credentials through the API.
	kubeAPI := policy("allow-kubernetes-api", all, egress)
	kubeAPI.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{
		To: cidrPeers(np.APIServerCIDRs), Ports: []networkingv1.NetworkPolicyPort{port(corev1.ProtocolTCP, httpsPort), port(corev1.ProtocolTCP, kubeAPIPort)},
	}}

	// git-sync, the git cache, DataSurface's model and the DAG publish Job:
	// any git host (a NetworkPolicy cannot name one), on the ports of the
	// git URLs the spec names.
	git := policy("allow-git", all, egress)
	var gitPorts []networkingv1.NetworkPolicyPort
	for _, p := range env.GitPorts() {
		gitPorts = append(gitPorts, port(corev1.ProtocolTCP, p))
	}
	git.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{To: cidrPeers([]string{"0.0.0.0/0"}), Ports: gitPorts}}

	out := []*networkingv1.NetworkPolicy{deny, dns, kubeAPI, git}

	db := policy("allow-databases", all, egress)
	db.Spec.Egress = databaseEgress(env)
	inCluster := env.Airflow.MetadataDatabase.Mode == "in-cluster"
	if inCluster {
		// The dedicated PostgreSQL runs in this namespace.
		db.Spec.Egress = append(db.Spec.Egress, networkingv1.NetworkPolicyEgressRule{
			To: []networkingv1.NetworkPolicyPeer{{PodSelector: &all}}, Ports: []networkingv1.NetworkPolicyPort{port(corev1.ProtocolTCP, postgresPort)},
		})
	}
	if len(db.Spec.Egress) > 0 {
		out = append(out, db)
	}
	if inCluster {
		dbIn := policy("allow-database-clients", all, ingress)
		dbIn.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
			From: []networkingv1.NetworkPolicyPeer{{PodSelector: &all}}, Ports: []networkingv1.NetworkPolicyPort{port(corev1.ProtocolTCP, postgresPort)},
		}}
		out = append(out, dbIn)
	}

	// Scheduler, workers, triggerer, DAG processor, API server (the task
	// execution API), Redis, StatsD and PgBouncer of one release.
	af := policy("allow-airflow-components", release, both)
	af.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &release}}}}
	af.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{{PodSelector: &release}}}}
	out = append(out, af)

	from := entryPeers(np)
	apiSel := metav1.LabelSelector{MatchLabels: map[string]string{"component": "api-server", "release": env.Airflow.ReleaseName}}
	if rule, ok := entryRule(env.Airflow.APIServer.ServiceType, from, apiServerPort); ok {
		p := policy("allow-api-server", apiSel, ingress)
		p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{rule}
		out = append(out, p)
	}
	if mcp := env.DataSurface.MCPServer; mcp.Enabled {
		if rule, ok := entryRule(mcp.ServiceType, from, mcpServerPort); ok {
			p := policy("allow-mcp-server", metav1.LabelSelector{MatchLabels: MCPServerSelector()}, ingress)
			p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{rule}
			out = append(out, p)
		}
	}
	return out
}

// databaseEgress lets pods reach every database the spec names outside the
// namespace: those named by DNS name, and the ports of
// namespace.networkPolicy.databasePorts, within databaseCIDRs; those named
// by IP address or range at exactly that address. So no named database is
// left out; lint rule YDP013 reports those outside the declared
// databaseCIDRs and databasePorts, and reads these rules back.
func databaseEgress(env *model.Environment) []networkingv1.NetworkPolicyEgressRule {
	np := env.Namespace.NetworkPolicy
	ranged := slices.Clone(np.DatabasePorts)
	type exact struct {
		prefix string
		ports  []int
	}
	var exacts []exact
	for _, d := range env.DatabaseEndpoints() {
		p, ok := d.Prefix()
		if !ok {
			ranged = append(ranged, d.Port)
			continue
		}
		i := slices.IndexFunc(exacts, func(e exact) bool { return e.prefix == p.String() })
		if i < 0 {
			exacts = append(exacts, exact{prefix: p.String()})
			i = len(exacts) - 1
		}
		exacts[i].ports = append(exacts[i].ports, d.Port)
	}
	tcp := func(ps []int) []networkingv1.NetworkPolicyPort {
		ps = slices.Clone(ps)
		slices.Sort(ps)
		var out []networkingv1.NetworkPolicyPort
		for _, p := range slices.Compact(ps) {
			out = append(out, port(corev1.ProtocolTCP, p))
		}
		return out
	}
	var rules []networkingv1.NetworkPolicyEgressRule
	if len(ranged) > 0 {
		rules = append(rules, networkingv1.NetworkPolicyEgressRule{To: cidrPeers(np.DatabaseCIDRs), Ports: tcp(ranged)})
	}
	for _, e := range exacts {
		rules = append(rules, networkingv1.NetworkPolicyEgressRule{To: cidrPeers([]string{e.prefix}), Ports: tcp(e.ports)})
	}
	return rules
}

// entryPeers are where traffic to the entry points comes from: the ingress
// controller's pods and the address ranges the environment names.
func entryPeers(np model.NetworkPolicy) []networkingv1.NetworkPolicyPeer {
	var from []networkingv1.NetworkPolicyPeer
	if np.IngressControllerNamespace != "" {
		from = append(from, networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{
			MatchLabels: map[string]string{"kubernetes.io/metadata.name": np.IngressControllerNamespace}}})
	}
	return append(from, cidrPeers(np.IngressCIDRs)...)
}

// entryRule lets traffic in to an entry point's port. A NodePort or
// LoadBalancer Service brings it from outside the cluster, from any
// address; otherwise only from the ingress controller. ok is false when
// nothing may come in.
func entryRule(serviceType string, from []networkingv1.NetworkPolicyPeer, p int) (networkingv1.NetworkPolicyIngressRule, bool) {
	rule := networkingv1.NetworkPolicyIngressRule{Ports: []networkingv1.NetworkPolicyPort{port(corev1.ProtocolTCP, p)}}
	if serviceType == "NodePort" || serviceType == "LoadBalancer" {
		return rule, true
	}
	rule.From = from
	return rule, len(from) > 0
}

func cidrPeers(cidrs []string) []networkingv1.NetworkPolicyPeer {
	var out []networkingv1.NetworkPolicyPeer
	for _, c := range cidrs {
		out = append(out, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: c}})
	}
	return out
}

func port(proto corev1.Protocol, p int) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Protocol: ptr.To(proto), Port: ptr.To(intstr.FromInt32(int32(p)))}
}

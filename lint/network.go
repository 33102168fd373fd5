package lint

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/ydpgen/ydpgen/model"
)

// checkDatabaseReach holds every database the spec names outside the
// namespace against the NetworkPolicies: first against the ranges and
// ports the spec declares for databases (an address outside them is one
// the owner of the policy did not mean to open), then against the rendered
// policies themselves, which must let the platform's pods reach each
// address on its port. A blocked database is a timeout in every pod that
// connects to it, found only in the cluster; here it is found at the line
// that names the database.
func checkDatabaseReach(in *Input, r *Report) {
	env := in.Env
	np := env.Namespace.NetworkPolicy
	if !np.Enabled {
		return
	}
	var ranges []netip.Prefix
	for _, s := range np.DatabaseCIDRs {
		if p, err := netip.ParsePrefix(s); err == nil {
			ranges = append(ranges, p.Masked())
		}
	}
	policies, err := egressPolicies(in)
	if err != nil {
		r.At("environment.namespace.networkPolicy", "a rendered NetworkPolicy cannot be read: "+err.Error(), "report this as a bug of ydpgen")
		return
	}
	for _, d := range env.DatabaseEndpoints() {
		addrPath, portPath := d.AddressPath, d.PortPath
		if _, written := env.Origins[portPath]; !written {
			// The port is the engine's default: the line that names the
			// database is the one to show.
			portPath = addrPath
		}
		prefix, known := d.Prefix()
		declared := true
		if known && len(ranges) > 0 && !slices.ContainsFunc(ranges, func(r netip.Prefix) bool { return within(prefix, r) }) {
			declared = false
			r.At(addrPath, fmt.Sprintf("%s is at %s, outside namespace.networkPolicy.databaseCIDRs (%s), the ranges declared for databases", d.What, address(d), strings.Join(np.DatabaseCIDRs, ", ")),
				"add its range to namespace.networkPolicy.databaseCIDRs, or correct the address")
		}
		if len(np.DatabasePorts) > 0 && !slices.Contains(np.DatabasePorts, d.Port) {
			declared = false
			r.At(portPath, fmt.Sprintf("%s listens on port %d, which namespace.networkPolicy.databasePorts (%s) does not open", d.What, d.Port, joinInts(np.DatabasePorts)),
				fmt.Sprintf("add %d to namespace.networkPolicy.databasePorts, or leave databasePorts empty to open the ports of the databases the spec names", d.Port))
		}
		if declared && len(policies) > 0 && !egressAllows(policies, prefix, known, d.Port) {
			r.At(addrPath, fmt.Sprintf("no rendered NetworkPolicy lets the platform's pods reach %s at %s on port %d: every connection to it would time out", d.What, address(d), d.Port),
				"report this as a bug of ydpgen; until it is fixed, switch namespace.networkPolicy off for this environment")
		}
	}
}

// egressPolicies are the rendered NetworkPolicies that restrict egress.
// With none, nothing blocks a connection.
func egressPolicies(in *Input) ([]networkingv1.NetworkPolicy, error) {
	var out []networkingv1.NetworkPolicy
	for _, e := range in.Objects {
		if e.GVK.Group != networkingv1.GroupName || e.GVK.Kind != "NetworkPolicy" {
			continue
		}
		b, err := json.Marshal(e.Content)
		if err != nil {
			return nil, err
		}
		var np networkingv1.NetworkPolicy
		if err := json.Unmarshal(b, &np); err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name, err)
		}
		if slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
			out = append(out, np)
		}
	}
	return out, nil
}

// egressAllows reports whether some egress rule lets TCP traffic out to an
// address outside the cluster on port. An address known only by its DNS
// name can be checked for its port only: a rule on any address range that
// opens the port counts. Pod and namespace selectors name pods in the
// cluster, never an outside database, so they do not count. Every policy
// ydpgen renders for databases selects all pods of the namespace, so the
// pods a rule applies to are not told apart here.
func egressAllows(policies []networkingv1.NetworkPolicy, prefix netip.Prefix, known bool, port int) bool {
	for _, np := range policies {
		for _, rule := range np.Spec.Egress {
			if !opensPort(rule.Ports, port) {
				continue
			}
			if len(rule.To) == 0 {
				return true
			}
			for _, peer := range rule.To {
				if peer.IPBlock == nil || peer.PodSelector != nil || peer.NamespaceSelector != nil {
					continue
				}
				if !known {
					return true
				}
				block, err := netip.ParsePrefix(peer.IPBlock.CIDR)
				if err != nil || !within(prefix, block.Masked()) {
					continue
				}
				excepted := slices.ContainsFunc(peer.IPBlock.Except, func(s string) bool {
					x, err := netip.ParsePrefix(s)
					return err == nil && x.Masked().Overlaps(prefix)
				})
				if !excepted {
					return true
				}
			}
		}
	}
	return false
}

// opensPort reports whether a rule's port list lets TCP traffic to port
// through: no list opens every port; named ports name container ports of
// pods in the cluster, not an outside server's.
func opensPort(ports []networkingv1.NetworkPolicyPort, port int) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		if p.Protocol != nil && *p.Protocol != "TCP" {
			continue
		}
		if p.Port == nil {
			return true
		}
		if p.Port.Type != 0 { // a named port
			continue
		}
		lo := int(p.Port.IntVal)
		hi := lo
		if p.EndPort != nil {
			hi = int(*p.EndPort)
		}
		if port >= lo && port <= hi {
			return true
		}
	}
	return false
}

// within reports whether range p lies inside range r.
func within(p, r netip.Prefix) bool {
	return r.Bits() <= p.Bits() && r.Contains(p.Addr())
}

func address(d model.DatabaseEndpoint) string {
	if d.CIDR != "" {
		return d.CIDR
	}
	return d.Host
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

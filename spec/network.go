package spec

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/model"
)

// checkNetwork checks that the NetworkPolicies the environment asks for let
// its pods reach every database the spec names outside the namespace: each
// external database is named by a host or a range, not both; an address
// outside namespace.networkPolicy.databaseCIDRs, or a port outside its
// databasePorts, would be a database the policies block, refused here at
// the line that names it rather than found as a timeout in the cluster.
func checkNetwork(env *model.Environment) diag.List {
	c := &envChecker{env: env}
	for i, d := range env.DataSurface.ExternalDatabases {
		if (d.Host == "") == (d.CIDR == "") {
			c.addIn(cue.MakePath(cue.Str("datasurface"), cue.Str("externalDatabases"), cue.Index(i)),
				fmt.Sprintf("database server %s names %s", d.Name, map[bool]string{true: "neither a host nor a cidr", false: "both a host and a cidr"}[d.Host == ""]),
				"one of host (a DNS name or IP address) or cidr (the range its addresses are in)", "")
		}
	}
	np := env.Namespace.NetworkPolicy
	if !np.Enabled {
		return c.out
	}
	var ranges []netip.Prefix
	for _, s := range np.DatabaseCIDRs {
		if p, err := netip.ParsePrefix(s); err == nil {
			ranges = append(ranges, p.Masked())
		}
	}
	for _, d := range env.DatabaseEndpoints() {
		if p, ok := d.Prefix(); ok && len(ranges) > 0 && !slices.ContainsFunc(ranges, func(r netip.Prefix) bool { return within(p, r) }) {
			c.addIn(cue.ParsePath(d.AddressPath),
				fmt.Sprintf("%s is at %s, outside namespace.networkPolicy.databaseCIDRs (%s): the NetworkPolicy would block it", d.What, address(d), strings.Join(np.DatabaseCIDRs, ", ")),
				"an address inside namespace.networkPolicy.databaseCIDRs",
				"add its range to namespace.networkPolicy.databaseCIDRs, or correct the address")
		}
		if len(np.DatabasePorts) > 0 && !slices.Contains(np.DatabasePorts, d.Port) {
			path := d.PortPath
			if _, written := env.Origins[path]; !written {
				// The port is the engine's default: the line that names
				// the database is the one to show.
				path = d.AddressPath
			}
			var ports []string
			for _, p := range np.DatabasePorts {
				ports = append(ports, strconv.Itoa(p))
			}
			c.addIn(cue.ParsePath(path),
				fmt.Sprintf("%s listens on port %d, which namespace.networkPolicy.databasePorts (%s) does not open: the NetworkPolicy would block it", d.What, d.Port, strings.Join(ports, ", ")),
				"a port among namespace.networkPolicy.databasePorts, or databasePorts left empty to open the ports of the databases the spec names",
				fmt.Sprintf("add %d to namespace.networkPolicy.databasePorts", d.Port))
		}
	}
	return c.out
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

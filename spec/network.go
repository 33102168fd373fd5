package spec

import (
	"fmt"

	"cuelang.org/go/cue"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/model"
)

// checkNetwork checks the shape of the databases the NetworkPolicies are
// built from: each external database is named by a host or a range, not
// both. Whether the policies let the platform reach each of them is lint
// rule YDP013 (lint/network.go), which can be suppressed with a reason.
func checkNetwork(env *model.Environment) diag.List {
	c := &envChecker{env: env}
	for i, d := range env.DataSurface.ExternalDatabases {
		if (d.Host == "") == (d.CIDR == "") {
			c.addIn(cue.MakePath(cue.Str("datasurface"), cue.Str("externalDatabases"), cue.Index(i)),
				fmt.Sprintf("database server %s names %s", d.Name, map[bool]string{true: "neither a host nor a cidr", false: "both a host and a cidr"}[d.Host == ""]),
				"one of host (a DNS name or IP address) or cidr (the range its addresses are in)", "")
		}
	}
	return c.out
}

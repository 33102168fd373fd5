package main

import "testing"

func TestBuildVersionString(t *testing.T) {
	for _, c := range []struct {
		v    buildVersion
		want string
	}{
		{buildVersion{Version: "v0.1.0", GoVersion: "go1.26.8"}, "ydpgen v0.1.0 go1.26.8"},
		{buildVersion{Version: "(devel)", Revision: "e96d2cf", Time: "2026-12-03T03:00:00Z", Modified: true, GoVersion: "go1.26.8"},
			"ydpgen (devel) (commit e96d2cf, 2026-12-03T03:00:00Z, modified) go1.26.8"},
	} {
		if got := c.v.String(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}

package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// buildVersion is what the binary knows about its own build: the module
// version (a tag for `go install ...@vX.Y.Z`, "(devel)" for a build from a
// working tree) and, for a build from a git checkout, the commit, its time
// and whether the tree had uncommitted changes.
type buildVersion struct {
	Version   string `json:"version"`
	Revision  string `json:"revision,omitempty"`
	Time      string `json:"time,omitempty"`
	Modified  bool   `json:"modified,omitempty"`
	GoVersion string `json:"go"`
}

func readBuildVersion() buildVersion {
	v := buildVersion{Version: "(devel)"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	v.GoVersion = bi.GoVersion
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

func (v buildVersion) String() string {
	s := "ydpgen " + v.Version
	if v.Revision != "" {
		s += " (commit " + v.Revision
		if v.Time != "" {
			s += ", " + v.Time
		}
		if v.Modified {
			s += ", modified"
		}
		s += ")"
	}
	return s + " " + v.GoVersion
}

func newVersionCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print ydpgen's version and the commit it was built from",
		Long: `version prints the module version ydpgen was built as (the tag of a
go install github.com/ydpgen/ydpgen/cmd/ydpgen@vX.Y.Z, or (devel) for a
build from a working tree), the git commit, its time and whether the tree
had uncommitted changes (for a build from a checkout, such as make build),
and the Go version.`,
		Example: `  ydpgen version
  ydpgen version --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := readBuildVersion()
			if a.format == "json" {
				return writeJSON(a.stdout, v)
			}
			fmt.Fprintln(a.stdout, v.String())
			return nil
		},
	}
	addFormatFlag(cmd, "text", "json")
	return cmd
}

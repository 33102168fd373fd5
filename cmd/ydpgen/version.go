package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func newVersionCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print ydpgen's version",
		Example: "  ydpgen version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := "(devel)"
			goVersion := ""
			if bi, ok := debug.ReadBuildInfo(); ok {
				if bi.Main.Version != "" {
					v = bi.Main.Version
				}
				goVersion = bi.GoVersion
			}
			fmt.Fprintf(a.stdout, "ydpgen %s (%s)\n", v, goVersion)
			return nil
		},
	}
}

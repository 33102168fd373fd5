package main

import (
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ydpgen/ydpgen/diag"
)

// Findings are coloured by severity when a person reads them: on a
// terminal, unless NO_COLOR is set (https://no-color.org) or --color says
// otherwise. Pipes, files and CI logs get plain text.

func addColourFlag(root *cobra.Command) {
	root.PersistentFlags().Var(&choiceValue{value: "auto", allowed: []string{"auto", "always", "never"}}, "color",
		"colour findings by severity: auto (on a terminal, unless NO_COLOR is set)")
	_ = root.RegisterFlagCompletionFunc("color", fixedCompletion("auto", "always", "never"))
}

func (a *app) setColour(cmd *cobra.Command) error {
	a.colourMode = "auto"
	if f := cmd.Flags().Lookup("color"); f != nil {
		a.colourMode = f.Value.String()
	}
	a.colour = a.colourFor(a.stderr)
	return nil
}

// colourFor says whether what goes to w is coloured: --color always or
// never decide; auto colours a terminal unless NO_COLOR is set, and a pipe
// when CLICOLOR_FORCE is set to anything but 0 (for a pager, and tests).
func (a *app) colourFor(w any) bool {
	switch a.colourMode {
	case "always":
		return true
	case "never":
		return false
	}
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	if v := os.Getenv("CLICOLOR_FORCE"); v != "" && v != "0" {
		return true
	}
	return isTerminal(w)
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// ANSI SGR sequences: bold red for errors, yellow for warnings.
const (
	sgrError   = "\x1b[1;31m"
	sgrWarning = "\x1b[33m"
	sgrReset   = "\x1b[0m"
)

// paint colours a finding's line by its severity when colour is on.
func (a *app) paint(f diag.Finding) string {
	s := f.String()
	if !a.colour {
		return s
	}
	if f.Severity == diag.Error {
		return sgrError + s + sgrReset
	}
	return sgrWarning + s + sgrReset
}

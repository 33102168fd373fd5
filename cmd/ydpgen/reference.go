package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// The README's command reference is generated from the command tree, so
// that it says what --help says; a test keeps it current
// (YDPGEN_UPDATE=1 go test ./cmd/ydpgen/ rewrites it).

const (
	referenceBegin = "<!-- command reference: generated from the cobra tree by `YDPGEN_UPDATE=1 go test ./cmd/ydpgen/`; do not edit -->"
	referenceEnd   = "<!-- end of command reference -->"
)

// commandReference renders every visible command, in the order --help
// lists them: the usage line, the first paragraph of its description and
// its flags.
func commandReference(root *cobra.Command) string {
	var b strings.Builder
	b.WriteString(referenceBegin + "\n\n")
	b.WriteString("| command | what it does |\n| --- | --- |\n")
	var cmds []*cobra.Command
	for _, c := range root.Commands() {
		if !c.IsAvailableCommand() || c.Name() == "help" {
			continue
		}
		cmds = append(cmds, c)
		fmt.Fprintf(&b, "| [`%s`](#ydpgen-%s) | %s |\n", c.CommandPath(), c.Name(), c.Short)
	}
	for _, c := range cmds {
		writeCommand(&b, c, "###")
	}
	b.WriteString("\n" + referenceEnd)
	return b.String()
}

func writeCommand(b *strings.Builder, c *cobra.Command, level string) {
	fmt.Fprintf(b, "\n%s %s\n\n", level, c.CommandPath())
	fmt.Fprintf(b, "```\n%s\n```\n\n", c.UseLine())
	long := c.Long
	if long == "" {
		long = c.Short
	}
	first, _, _ := strings.Cut(long, "\n\n")
	fmt.Fprintf(b, "%s\n", strings.Join(strings.Fields(first), " "))
	if c.Example != "" {
		fmt.Fprintf(b, "\n```sh\n%s\n```\n", strings.TrimRight(dedent(c.Example), "\n"))
	}
	if flags := c.NonInheritedFlags(); flags.HasAvailableFlags() {
		fmt.Fprintf(b, "\n```\n%s```\n", flags.FlagUsagesWrapped(100))
	}
	// The shells' own completion commands are cobra's, listed by name only.
	if c.Name() == "completion" {
		var shells []string
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				shells = append(shells, "`"+sub.CommandPath()+"`")
			}
		}
		fmt.Fprintf(b, "\nOne command per shell: %s.\n", strings.Join(shells, ", "))
		return
	}
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() {
			writeCommand(b, sub, level+"#")
		}
	}
}

func dedent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "  ")
	}
	return strings.Join(lines, "\n")
}

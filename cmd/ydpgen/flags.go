package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ydpgen/ydpgen/diag"
)

// Flags every command spells the same way. --format says how to print
// (text, json, and where it means something markdown, yaml or svg);
// -o/--out only ever names a directory. Values are checked before a
// command runs, so that a wrong one is a usage error naming what is
// allowed, and the same lists drive shell completion.

// choiceValue is a flag value out of a fixed set. Set accepts anything:
// checkFlags refuses a value that is not allowed before the command runs,
// with a message that names the allowed ones.
type choiceValue struct {
	value   string
	allowed []string
}

func (c *choiceValue) String() string     { return c.value }
func (c *choiceValue) Set(v string) error { c.value = v; return nil }
func (c *choiceValue) Type() string       { return strings.Join(c.allowed, "|") }

// addFormatFlag gives cmd a --format flag with the values allowed, the
// first being the default, and returns where the chosen one is stored.
func addFormatFlag(cmd *cobra.Command, allowed ...string) *string {
	v := &choiceValue{value: allowed[0], allowed: allowed}
	cmd.Flags().Var(v, "format", "how to print the result")
	_ = cmd.RegisterFlagCompletionFunc("format", fixedCompletion(allowed...))
	return &v.value
}

// addChoiceFlag adds any other flag whose values come from a fixed set.
func addChoiceFlag(fs *pflag.FlagSet, name, usage string, allowed ...string) *string {
	v := &choiceValue{value: allowed[0], allowed: allowed}
	fs.Var(v, name, usage)
	return &v.value
}

func fixedCompletion(values ...string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// formatWords are values of -o that mean a format, as kubectl and Helm
// users type them, not a directory.
var formatWords = []string{"text", "json", "yaml", "yml", "markdown", "md", "svg", "wide", "name", "table"}

// addOutFlag gives cmd its -o/--out directory flag.
func addOutFlag(cmd *cobra.Command, usage string) *string {
	var out string
	cmd.Flags().StringVarP(&out, "out", "o", "", usage)
	_ = cmd.MarkFlagDirname("out")
	return &out
}

// checkFlags refuses, before any command runs, a value of a choice flag
// that is not allowed and an -o/--out that names a format or standard
// output instead of a directory.
func checkFlags(cmd *cobra.Command) error {
	var err error
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if err != nil {
			return
		}
		if c, ok := f.Value.(*choiceValue); ok && !slices.Contains(c.allowed, c.value) {
			msg := fmt.Sprintf("--%s %q is not allowed; %s", f.Name, c.value, oneOf(c.allowed))
			if near := diag.Nearest(c.value, c.allowed); near != "" {
				msg += fmt.Sprintf("; did you mean --%s %s?", f.Name, near)
			}
			err = usagef("%s", msg)
		}
		if f.Name == "out" {
			err = checkOut(cmd, f.Value.String())
		}
	})
	return err
}

func checkOut(cmd *cobra.Command, out string) error {
	if out == "-" {
		return usagef("-o/--out names a directory; %s does not write to standard output with -", cmd.CommandPath())
	}
	word := strings.ToLower(out)
	if !slices.Contains(formatWords, word) {
		return nil
	}
	hint := "name a directory, such as -o deploy"
	if f := cmd.Flags().Lookup("format"); f != nil {
		if c, ok := f.Value.(*choiceValue); ok {
			want := map[string]string{"yml": "yaml", "md": "markdown"}[word]
			if want == "" {
				want = word
			}
			if slices.Contains(c.allowed, want) {
				hint = fmt.Sprintf("did you mean --format %s?", want)
			} else {
				hint = fmt.Sprintf("to choose how to print, use --format (%s)", oneOf(c.allowed))
			}
		}
	}
	return usagef("-o/--out %q names a directory, not an output format; %s (a directory of that name: -o ./%s)", out, hint, out)
}

func oneOf(values []string) string {
	if len(values) == 1 {
		return values[0]
	}
	return "one of " + strings.Join(values, ", ")
}

// useFormat records the format a command was asked for: json switches
// every printer, findings included, to the one JSON envelope.
func (a *app) useFormat(format string) {
	a.format = format
	if format == "json" {
		a.output = "json"
	} else {
		a.output = "text"
	}
}

// completeSpec completes a SPEC argument with spec files and directories.
func completeSpec(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 && cmd.Args != nil && cmd.Args(cmd, append(args, toComplete)) != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return []string{"yaml", "yml", "cue"}, cobra.ShellCompDirectiveFilterFileExt
}

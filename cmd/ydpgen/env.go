package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/model"
)

// --env NAME (repeatable) narrows a command to some environments of the
// spec: the whole spec is still loaded and checked, since environments
// share its platform sections, but only the named environments are
// reported on. Findings about the platform as a whole are kept.

func (a *app) addEnvFlag(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&a.envs, "env", nil, "only the environment `NAME` of the spec (repeatable); default: all")
	_ = cmd.RegisterFlagCompletionFunc("env", completeEnvs)
}

// checkEnvs refuses an --env that names no environment of p.
func (a *app) checkEnvs(p *model.Platform) error {
	var names []string
	for _, e := range p.Environments {
		names = append(names, e.Name)
	}
	for _, want := range a.envs {
		if slices.Contains(names, want) {
			continue
		}
		msg := fmt.Sprintf("--env %s: the spec has no environment %q; environments: %s", want, want, strings.Join(names, ", "))
		if near := diag.Nearest(want, names); near != "" {
			msg += fmt.Sprintf("; did you mean --env %s?", near)
		}
		return usagef("%s", msg)
	}
	return nil
}

// selected says whether environment name is one --env asked for.
func (a *app) selected(name string) bool {
	return len(a.envs) == 0 || slices.Contains(a.envs, name)
}

// onlySelected keeps the findings about the platform as a whole and about
// the selected environments.
func (a *app) onlySelected(l diag.List) diag.List {
	if len(a.envs) == 0 {
		return l
	}
	out := diag.List{}
	for _, f := range l {
		rest, ok := strings.CutPrefix(f.Path, "spec.environments.")
		if !ok {
			out = append(out, f)
			continue
		}
		name, _, _ := strings.Cut(rest, ".")
		if a.selected(name) {
			out = append(out, f)
		}
	}
	return out
}

// completeEnvs completes --env with the environment names of the spec the
// command line names, read leniently so that a spec being written works.
func completeEnvs(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) == 0 || args[0] == stdinArg {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	path, err := specFile(args[0])
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return envNames(path), cobra.ShellCompDirectiveNoFileComp
}

// envNames reads the environment names of a YAML spec without checking it.
func envNames(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var doc struct {
		Spec struct {
			Environments map[string]any `json:"environments"`
		} `json:"spec"`
	}
	if yaml.Unmarshal(b, &doc) != nil {
		return nil
	}
	var names []string
	for name := range doc.Spec.Environments {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

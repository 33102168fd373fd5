package main

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/lint"
	"github.com/ydpgen/ydpgen/spec"
)

// ruleID is what a lint rule ID looks like; anything else given to
// explain is a spec path.
var ruleID = regexp.MustCompile(`^(?i)YDP\d+$`)

func newExplainCommand(a *app) *cobra.Command {
	var list bool
	cmd := &cobra.Command{
		Use:   "explain (RULE | SPEC.PATH) | --list",
		Short: "Explain a field of the spec or a lint rule, or list them",
		Long: `explain, like kubectl explain, describes a field of the spec: its type,
what it may hold, whether it is required, the default and limits of each
profile (with the reason a profile forbids a value), the schema's own
comment on it and, for a mapping, its fields. Paths are dotted, from the
top of the spec file: spec.airflow.executor, metadata.name; an
environment's override works too, with any environment name:
spec.environments.prod.airflow.executor. The text is the schema's (the
comments of ydpgen schema, also the descriptions of the JSON Schema).

Given a rule ID (YDP011), explain prints the rule's page: what it checks,
why it matters and how to fix it. --list prints the spec's top-level
sections and every rule, one a line.`,
		Example: `  ydpgen explain spec.airflow.executor
  ydpgen explain spec.environments.prod.cluster
  ydpgen explain YDP011
  ydpgen explain --list`,
		Args: func(cmd *cobra.Command, args []string) error {
			if list && len(args) > 0 {
				return fmt.Errorf("give a spec path or rule ID, or --list, not both")
			}
			if !list && len(args) != 1 {
				return fmt.Errorf("give one spec path (spec.airflow.executor) or rule ID (YDP011), or --list")
			}
			return nil
		},
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []cobra.Completion
			for _, r := range lint.Rules() {
				if strings.HasPrefix(r.ID, strings.ToUpper(toComplete)) {
					out = append(out, cobra.CompletionWithDesc(r.ID, r.Summary))
				}
			}
			if strings.HasPrefix(toComplete, "s") || strings.HasPrefix(toComplete, "m") {
				out = append(out, completePath(a, toComplete)...)
			}
			return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if list {
				return a.explainList()
			}
			if ruleID.MatchString(args[0]) {
				return a.explainRule(strings.ToUpper(args[0]))
			}
			s, err := a.loadSchema()
			if err != nil {
				return err
			}
			ex, err := s.Explain(args[0])
			var unknown *spec.UnknownPathError
			if errors.As(err, &unknown) {
				return usageError{err}
			}
			if err != nil {
				return err
			}
			if a.output == "json" {
				return writeJSON(a.stdout, ex)
			}
			writeExplanation(a.stdout, ex)
			return nil
		},
	}
	cmd.Flags().BoolVar(&list, "list", false, "list the spec's top-level sections and every rule, one a line")
	addFormatFlag(cmd, "text", "json")
	return cmd
}

// completePath completes a spec path one field at a time.
func completePath(a *app, toComplete string) []cobra.Completion {
	s, err := a.loadSchema()
	if err != nil {
		return nil
	}
	parent, _, _ := cut(toComplete)
	var fields []spec.FieldSummary
	if parent == "" {
		fields = []spec.FieldSummary{{Name: "metadata"}, {Name: "spec"}}
	} else if ex, err := s.Explain(parent); err == nil {
		fields = ex.Fields
	}
	var out []cobra.Completion
	for _, f := range fields {
		p := f.Name
		if parent != "" {
			p = parent + "." + f.Name
		}
		if strings.HasPrefix(p, toComplete) {
			out = append(out, cobra.CompletionWithDesc(p, f.Summary))
		}
	}
	return out
}

// cut splits a partial path at its last dot.
func cut(p string) (parent, last string, ok bool) {
	i := strings.LastIndexByte(p, '.')
	if i < 0 {
		return "", p, false
	}
	return p[:i], p[i+1:], true
}

func (a *app) explainRule(id string) error {
	r, ok := lint.Lookup(id)
	if !ok {
		var ids []string
		for _, r := range lint.Rules() {
			ids = append(ids, r.ID)
		}
		msg := fmt.Sprintf("no rule %s; rules: %s", id, strings.Join(ids, ", "))
		return usagef("%s", msg)
	}
	if a.output == "json" {
		return writeJSON(a.stdout, map[string]any{"id": r.ID, "name": r.Name, "severity": r.Severity, "summary": r.Summary, "explanation": r.Explanation})
	}
	fmt.Fprintf(a.stdout, "%s %s (%s)\n\n%s\n\n%s\n", r.ID, r.Name, r.Severity, r.Summary, r.Explanation)
	return nil
}

func (a *app) explainList() error {
	s, err := a.loadSchema()
	if err != nil {
		return err
	}
	sections := s.Sections()
	if a.output == "json" {
		type entry struct {
			ID       string        `json:"id"`
			Name     string        `json:"name"`
			Severity diag.Severity `json:"severity"`
			Summary  string        `json:"summary"`
		}
		rules := []entry{}
		for _, r := range lint.Rules() {
			rules = append(rules, entry{r.ID, r.Name, r.Severity, r.Summary})
		}
		return writeJSON(a.stdout, map[string]any{"sections": sections, "rules": rules})
	}
	fmt.Fprintln(a.stdout, "SECTIONS (ydpgen explain spec.<section>)")
	for _, f := range sections {
		fmt.Fprintf(a.stdout, "  %-20s %s\n", f.Name, f.Summary)
	}
	fmt.Fprintln(a.stdout, "\nRULES (ydpgen explain <ID>)")
	for _, r := range lint.Rules() {
		fmt.Fprintf(a.stdout, "  %s %-7s %-24s %s\n", r.ID, r.Severity, r.Name, r.Summary)
	}
	return nil
}

func writeExplanation(w io.Writer, ex *spec.Explanation) {
	req := "optional"
	if ex.Required {
		req = "required"
	}
	fmt.Fprintf(w, "FIELD:    %s <%s>, %s\n", ex.Path, ex.Type, req)
	if ex.Allowed != "" {
		fmt.Fprintf(w, "ALLOWED:  %s\n", ex.Allowed)
	}
	if ex.Doc != "" {
		fmt.Fprintf(w, "\nDESCRIPTION:\n%s\n", indent(ex.Doc, "  "))
	}
	if ex.Renders != "" {
		fmt.Fprintf(w, "\nRENDERS:\n  %s\n", ex.Renders)
	}
	if len(ex.Profiles) > 0 {
		fmt.Fprintf(w, "\nPROFILES:\n")
		for _, p := range ex.Profiles {
			var parts []string
			if p.Default != "" {
				parts = append(parts, "default "+p.Default)
			}
			if p.Limit != "" {
				lim := "only " + strings.TrimPrefix(strings.TrimPrefix(p.Limit, "only "), "one of ")
				if p.Why != "" {
					lim += " (" + p.Why + ")"
				}
				parts = append(parts, lim)
			}
			fmt.Fprintf(w, "  %-8s %s\n", p.Profile, strings.Join(parts, "; "))
		}
	}
	if len(ex.Fields) > 0 {
		fmt.Fprintf(w, "\nFIELDS:\n")
		for _, f := range ex.Fields {
			name := f.Name
			if f.Required {
				name += " (required)"
			}
			fmt.Fprintf(w, "  %-28s <%s>  %s\n", name, f.Type, f.Summary)
		}
	}
}

func indent(s, pad string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = pad + l
		}
	}
	return strings.Join(lines, "\n")
}

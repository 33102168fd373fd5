package lint

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ydpgen/ydpgen/capacity"
	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

// Rule is one operational check.
type Rule struct {
	ID       string
	Name     string // short kebab-case name
	Severity diag.Severity
	// Summary is the one line `explain --list` prints.
	Summary string
	// Explanation is the page `explain ID` prints: why it matters, what
	// happened when it was missed, how to fix it.
	Explanation string
	check       func(*Input, *Report)
}

// Input is what rules look at for one environment.
type Input struct {
	Env     *model.Environment
	Objects []objset.Entry
	// Values are the rendered Helm values of the Airflow chart (nil when
	// the caller has none).
	Values map[string]any
	// Workloads and Capacity are derived once from Env and Objects.
	Workloads []capacity.Workload
	Capacity  *capacity.Report
}

// Report collects one rule's findings for one environment.
type Report struct {
	rule     Rule
	env      *model.Environment
	findings diag.List
}

// At reports a finding about the value at path in the resolved environment
// (airflow.executor); its position is where the spec wrote that value or,
// for a profile default, the nearest part of the spec that did.
func (r *Report) At(path, message, fix string) {
	r.add(r.rule.Severity, path, message, fix)
}

// Warn is At with warning severity, for rules whose milder case only warns.
func (r *Report) Warn(path, message, fix string) {
	r.add(diag.Warning, path, message, fix)
}

// AtChartDefault reports a finding about a value neither the spec nor the
// profile wrote, which the chart's own default decides; it is placed
// where the spec would set it.
func (r *Report) AtChartDefault(path, message, fix string) {
	r.place(r.rule.Severity, path, message+" (the value is the chart's default)", fix)
}

func (r *Report) add(sev diag.Severity, path, message, fix string) {
	if _, inSpec := r.env.Origins[path]; !inSpec {
		message += fmt.Sprintf(" (the value is the %s profile's default)", r.env.Profile)
	}
	r.place(sev, path, message, fix)
}

func (r *Report) place(sev diag.Severity, path, message, fix string) {
	at, _ := r.env.Origins.Place(r.env.Name, path)
	r.findings = append(r.findings, diag.Finding{Severity: sev, Rule: r.rule.ID, File: at.File, Line: at.Line, Col: at.Col,
		Path: at.Path, Message: message, Fix: fix})
}

// Rendered is what rules see of one rendered environment.
type Rendered struct {
	Objects []objset.Entry
	// Values are the Airflow chart's values as rendered.
	Values map[string]any
}

// Run checks every environment of a rendered platform: rendered[i] belongs
// to p.Environments[i]. Suppressed rules are skipped; a suppression of an
// unknown rule is itself an error.
func Run(p *model.Platform, rendered []Rendered) (diag.List, error) {
	var out diag.List
	rules := Rules()
	inputs := make([]*Input, len(p.Environments))
	for i := range p.Environments {
		in, err := NewInput(&p.Environments[i], rendered[i].Objects)
		if err != nil {
			return nil, err
		}
		in.Values = rendered[i].Values
		inputs[i] = in
	}
	// Environments on one cluster are sized together: each one's rules
	// see the whole cluster's plan.
	for _, group := range p.ClusterGroups() {
		var reports []*capacity.Report
		for _, i := range group {
			reports = append(reports, inputs[i].Capacity)
		}
		stacked := capacity.Stack(p.Environments[group[0]].Cluster.Name, reports, capacity.DefaultOptions())
		for _, i := range group {
			inputs[i].Capacity = stacked
		}
	}
	for i := range p.Environments {
		env := &p.Environments[i]
		in := inputs[i]
		out = append(out, checkSuppressions(env, rules)...)
		for _, rule := range rules {
			if suppressed(env, rule.ID) {
				continue
			}
			rep := &Report{rule: rule, env: env}
			rule.check(in, rep)
			out = append(out, rep.findings...)
		}
	}
	return out.Sort(), nil
}

// NewInput derives what rules need from an environment and its objects.
func NewInput(env *model.Environment, objects []objset.Entry) (*Input, error) {
	plan, err := capacity.Plan(env, objects, capacity.DefaultOptions())
	if err != nil {
		return nil, err
	}
	return &Input{Env: env, Objects: objects, Workloads: plan.Workloads, Capacity: plan}, nil
}

func suppressed(env *model.Environment, id string) bool {
	return slices.ContainsFunc(env.Lint.Suppress, func(s model.Suppression) bool { return s.Rule == id })
}

func checkSuppressions(env *model.Environment, rules []Rule) diag.List {
	var out diag.List
	for i, s := range env.Lint.Suppress {
		if s.Rule == "YDP014" {
			rep := &Report{rule: Rule{Severity: diag.Error}, env: env}
			rep.At(fmt.Sprintf("environment.lint.suppress[%d].rule", i), "YDP014 cannot be suppressed: the API server refuses the objects it reports", "shorten the names instead")
			out = append(out, rep.findings...)
			continue
		}
		if slices.ContainsFunc(rules, func(r Rule) bool { return r.ID == s.Rule }) {
			continue
		}
		rep := &Report{rule: Rule{Severity: diag.Error}, env: env}
		rep.At(fmt.Sprintf("environment.lint.suppress[%d].rule", i), fmt.Sprintf("no lint rule %s to suppress", s.Rule), "run `ydpgen explain --list` for the rule IDs")
		out = append(out, rep.findings...)
	}
	return out
}

// Lookup finds a rule by ID, case-insensitively.
func Lookup(id string) (Rule, bool) {
	for _, r := range Rules() {
		if strings.EqualFold(r.ID, id) {
			return r, true
		}
	}
	return Rule{}, false
}

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/generators/airflow"
	"github.com/ydpgen/ydpgen/lint"
	"github.com/ydpgen/ydpgen/render"
)

// compile loads, renders in memory and lints one spec. Every problem with
// the spec comes back as findings: the loader's when the spec is invalid
// (res is nil then), or lint's, errors and warnings. err is for the rest: a
// spec that cannot be read, a bug.
func (a *app) compile(path string, opts render.Options) (res *render.Result, findings diag.List, err error) {
	s, err := a.loadSchema()
	if err != nil {
		return nil, nil, err
	}
	path, err = specFile(path)
	if err != nil {
		return nil, nil, err
	}
	path, src, err := a.readSpec(path)
	if err != nil {
		return nil, nil, err
	}
	if opts.SpecDir == nil {
		opts.SpecDir = os.DirFS(filepath.Dir(path))
	}
	res, err = render.Spec(s, path, src, opts)
	var invalid diag.List
	if errors.As(err, &invalid) {
		// A spec that does not load cannot be checked in part: when the
		// errors lie only in other environments, they are all shown.
		if mine := a.onlySelected(invalid); mine.HasErrors() {
			return nil, mine, nil
		}
		return nil, invalid, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if err := a.checkEnvs(res.Platform); err != nil {
		return nil, nil, err
	}
	rendered, err := lintInput(res)
	if err != nil {
		return nil, nil, err
	}
	findings, err = lint.Run(res.Platform, rendered)
	if err != nil {
		return nil, nil, err
	}
	findings = append(findings, res.Warnings...)
	return res, a.onlySelected(findings), nil
}

// gate is the one compile-and-gate path of validate, render, diff and
// capacity: a spec with errors stops the command with its findings (Main
// prints them as text or as the JSON envelope, and exits 1); warnings are
// printed now in text mode and come back to travel in the command's JSON
// result. lint, which reports on many specs, uses compile itself.
func (a *app) gate(path string, opts render.Options) (*render.Result, diag.List, error) {
	res, findings, err := a.compile(path, opts)
	if err != nil {
		return nil, nil, err
	}
	if findings.HasErrors() {
		return nil, nil, findings
	}
	if err := a.warn(findings); err != nil {
		return nil, nil, err
	}
	if findings == nil {
		findings = diag.List{}
	}
	return res, findings, nil
}

// lintInput hands lint each environment's objects and Airflow values.
func lintInput(res *render.Result) ([]lint.Rendered, error) {
	out := make([]lint.Rendered, len(res.Environments))
	for i, e := range res.Environments {
		out[i].Objects = e.Objects
		for _, f := range e.Files {
			if f.Path != airflow.ValuesPath {
				continue
			}
			if err := yaml.Unmarshal(f.Data, &out[i].Values); err != nil {
				return nil, fmt.Errorf("environment %s: reading the rendered values: %w", e.Name, err)
			}
		}
	}
	return out, nil
}

// warn prints findings that do not stop a command (warnings) before its
// result, in text mode; in JSON mode they travel in the report.
func (a *app) warn(l diag.List) error {
	if len(l) == 0 || a.output == "json" {
		return nil
	}
	return a.printFindings(l)
}

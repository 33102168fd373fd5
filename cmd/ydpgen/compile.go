package main

import (
	"fmt"

	"sigs.k8s.io/yaml"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/generators/airflow"
	"github.com/ydpgen/ydpgen/lint"
	"github.com/ydpgen/ydpgen/render"
)

// compile loads, renders in memory and lints a spec: the steps validate,
// render, lint and capacity share. An invalid spec comes back as a
// diag.List error; lint findings, errors or not, come back separately.
func (a *app) compile(path string, opts render.Options) (*render.Result, diag.List, error) {
	s, err := a.loadSchema()
	if err != nil {
		return nil, nil, err
	}
	path, err = specFile(path)
	if err != nil {
		return nil, nil, err
	}
	src, err := readSpec(path)
	if err != nil {
		return nil, nil, err
	}
	res, err := render.Spec(s, path, src, opts)
	if err != nil {
		return nil, nil, err
	}
	rendered, err := lintInput(res)
	if err != nil {
		return nil, nil, err
	}
	findings, err := lint.Run(res.Platform, rendered)
	if err != nil {
		return nil, nil, err
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

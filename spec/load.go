package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"cuelang.org/go/cue"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/model"
)

// overridable are the platform sections an environment may override.
// Credentials an environment adds to the platform's; databases it lists
// replace the platform's list.
func overridable() []string {
	return []string{"datasurface", "airflow", "secrets", "maintenance", "credentials", "databases"}
}

// Load validates a spec and resolves every environment. filename is used in
// positions only; src is the spec in YAML, or in CUE when filename ends in
// .cue. It returns diag.List when the spec has problems, and another error
// only when ydpgen itself is broken.
func (s *Schema) Load(filename string, src []byte) (*model.Platform, error) {
	p, err := s.loadAny(filename, src)
	if p != nil {
		// The file as written, for the provenance of what it renders.
		sum := sha256.Sum256(src)
		p.SpecSHA256 = hex.EncodeToString(sum[:])
	}
	return p, err
}

func (s *Schema) loadAny(filename string, src []byte) (*model.Platform, error) {
	src = lineEndings(src)
	if s.abandoned.Load() {
		return nil, fmt.Errorf("an earlier CUE spec's evaluation did not finish; load each spec in a new process")
	}
	if f := checkSize(filename, src); f != nil {
		return nil, diag.List{*f}
	}
	if !strings.EqualFold(filepath.Ext(filename), ".cue") {
		return s.load(filename, src)
	}
	// CUE can compute without end; give it a deadline.
	type result struct {
		p   *model.Platform
		err error
	}
	done := make(chan result, 1)
	go func() {
		p, err := s.load(filename, src)
		done <- result{p, err}
	}()
	limit := s.EvalTimeout
	if limit == 0 {
		limit = DefaultEvalTimeout
	}
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.p, r.err
	case <-timer.C:
		s.abandoned.Store(true)
		return nil, diag.List{{Severity: diag.Error, File: filename, Line: 1, Col: 1,
			Message: fmt.Sprintf("evaluating the CUE spec took longer than %s", limit),
			Allowed: "a spec that evaluates in well under a second: no comprehensions over large ranges or lists"}}
	}
}

func (s *Schema) load(filename string, src []byte) (*model.Platform, error) {
	if f := checkText(filename, src); f != nil {
		return nil, diag.List{*f}
	}
	doc, findings := s.parse(filename, src)
	if len(findings) > 0 {
		return nil, findings.Sort()
	}
	w := &walker{file: filename, top: s.top, origin: func(p cue.Path) model.Origin { return originOf(filename, doc, p) },
		keyOrigin: func(p cue.Path) model.Origin { return keyOriginOf(filename, doc, p) }, elsewhere: s.FieldsNamed,
		backstopped: s.backstopped}
	w.walk(s.platform, s.platform.Unify(doc), doc, nil)
	if out := dropShadowed(w.out, s.secretValues(filename, doc)); len(out) > 0 {
		return nil, out.Sort()
	}

	envs := doc.LookupPath(cue.ParsePath("spec.environments"))
	var names []string
	iter, err := envs.Fields()
	if err != nil {
		return nil, fmt.Errorf("reading environments: %w", err)
	}
	for iter.Next() {
		names = append(names, iter.Selector().Unquoted())
	}
	if len(names) == 0 {
		org := originOf(filename, doc, cue.ParsePath("spec.environments"))
		return nil, diag.List{{Severity: diag.Error, File: org.File, Line: org.Line, Col: org.Col,
			Path: "spec.environments", Message: "no environment is declared",
			Allowed: "at least one environment, such as dev: {profile: k3s-pi, namespace: ..., cluster: {...}}"}}
	}
	slices.Sort(names)

	p := &model.Platform{Name: mustString(doc.LookupPath(cue.ParsePath("metadata.name")))}
	var data map[string]any
	if err := doc.Decode(&data); err != nil {
		// Only a CUE spec can leave a value open; say where.
		cw := &walker{file: filename, top: s.top, origin: w.origin}
		cw.open(s.platform, doc)
		if len(cw.out) == 0 {
			return nil, fmt.Errorf("reading the spec as data: %w", err)
		}
		return nil, cw.out.Sort()
	}
	if out := append(checkControlCharacters(filename, doc, data), checkBounds(filename, doc, data)...); len(out) > 0 {
		return nil, out.Sort()
	}
	if p.Name == "" {
		org := originOf(filename, doc, cue.ParsePath("metadata"))
		return nil, diag.List{{Severity: diag.Error, File: org.File, Line: org.Line, Col: org.Col, Path: "metadata.name",
			Message: "the platform has no name; every object's name and labels start from it",
			Allowed: "metadata: {name: <a lowercase DNS label>}, such as pi-lab"}}
	}
	origins := docOrigins(filename, doc)
	var all diag.List
	for _, name := range names {
		env, findings, err := s.resolve(filename, doc, data, origins, name)
		if err != nil {
			return nil, err
		}
		if env != nil {
			env.Platform = p.Name
			if env.Secrets.ExternalSecrets.Ecosystem == "" {
				env.Secrets.ExternalSecrets.Ecosystem = p.Name
			}
			defaultSealed(env)
			findings = append(findings, checkCredentials(env)...)
			findings = append(findings, checkSealed(env)...)
			findings = append(findings, checkDataSurface(env)...)
			findings = append(findings, checkAirflow(env)...)
			findings = append(findings, checkNamespace(env)...)
			findings = append(findings, checkKubernetes(env)...)
			findings = append(findings, checkAirflowConfig(env)...)
			findings = append(findings, checkDatabases(env)...)
			findings = append(findings, checkArgoCDCluster(env)...)
			findings = append(findings, checkNetwork(env)...)
			if len(p.Environments) == 0 {
				findings = append(findings, checkGitOps(env)...)
			}
			p.Environments = append(p.Environments, *env)
		}
		all = append(all, findings...)
	}
	if len(all) == 0 {
		all = append(checkArgoCDNames(p), checkEnvironments(p.Environments)...)
	}
	if len(all) > 0 {
		return nil, all.Sort()
	}
	return p, nil
}

package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/model"
)

// resolve builds one environment: the profile's defaults, then the
// platform-wide sections, then the environment's overrides, merged as plain
// data and unified with the profile's constraints, then decoded strictly.
func (s *Schema) resolve(filename string, doc cue.Value, data map[string]any, docOrigins model.Origins, name string) (*model.Environment, diag.List, error) {
	envPath := cue.MakePath(cue.Str("spec"), cue.Str("environments"), cue.Str(name))
	spec, _ := data["spec"].(map[string]any)
	envs, _ := spec["environments"].(map[string]any)
	envData, _ := envs[name].(map[string]any)
	profile, _ := envData["profile"].(string)
	schema, ok := s.profiles[profile]
	if !ok {
		// The platform-wide check accepts a missing profile (a CUE spec may
		// fill it in late); without one there is nothing to resolve against.
		p := appendPath(envPath, cue.Str("profile"))
		org := originOf(filename, doc, p)
		return nil, diag.List{{Severity: diag.Error, File: org.File, Line: org.Line, Col: org.Col, Path: p.String(),
			Message: fmt.Sprintf("environment %s has no profile", name), Allowed: "one of " + strings.Join(ProfileNames(), ", ")}}, nil
	}

	merged := map[string]any{}
	origins := model.Origins{}
	mergeData(merged, s.defaults[profile], nil, nil, nil)
	for _, section := range []string{"datasurface", "airflow", "secrets", "maintenance", "credentials", "databases", "gitops"} {
		if v, ok := spec[section]; ok {
			mergeData(merged, map[string]any{section: v}, nil, []string{"spec"}, func(dst, src string) { origins[dst] = docOrigins[src] })
		}
		if !slices.Contains(overridable(), section) {
			continue
		}
		if v, ok := envData[section]; ok {
			mergeData(merged, map[string]any{section: v}, nil, []string{"spec", "environments", name}, func(dst, src string) { origins[dst] = docOrigins[src] })
		}
	}
	environment, _ := merged["environment"].(map[string]any)
	if environment == nil {
		environment = map[string]any{}
		merged["environment"] = environment
	}
	environment["name"] = name
	origins["environment.name"] = originOf(filename, doc, envPath)
	for _, f := range []string{"profile", "namespace", "cluster", "lint"} {
		v, ok := envData[f]
		if !ok {
			continue
		}
		if n, isName := v.(string); isName && f == "namespace" {
			// A namespace written as a name keeps the profile's guard rails.
			v = map[string]any{"name": n}
			src := dataPath([]string{"spec", "environments", name, "namespace"})
			origins["environment.namespace"] = docOrigins[src]
			origins["environment.namespace.name"] = docOrigins[src]
			mergeData(environment, map[string]any{f: v}, []string{"environment"}, nil, nil)
			continue
		}
		mergeData(environment, map[string]any{f: v}, []string{"environment"}, []string{"spec", "environments", name},
			func(dst, src string) { origins[dst] = docOrigins[src] })
	}

	value := s.ctx.Encode(merged)
	resolved := schema.Unify(value)
	w := &walker{
		file:     filename,
		concrete: true,
		where:    fmt.Sprintf("environment %s (profile %s)", name, profile),
		origin: func(p cue.Path) model.Origin {
			o, ok := origins.Lookup(p.String())
			if !ok {
				return originOf(filename, doc, envPath)
			}
			return o
		},
	}
	w.walk(schema, resolved, value, nil)
	if len(w.out) > 0 {
		return nil, w.out, nil
	}
	// The profile constraints only check (the defaults were merged above),
	// so the validated value is the merged data: decode that rather than
	// export it back from CUE. TestDecodeFromDataMatchesCUE holds the two
	// equal.
	b, err := json.Marshal(merged)
	if err != nil {
		return nil, nil, fmt.Errorf("environment %s: %w", name, err)
	}
	env, err := decode(b)
	if err != nil {
		return nil, nil, fmt.Errorf("environment %s: %w", name, err)
	}
	if s.crossCheck != nil {
		s.crossCheck(name, b, resolved)
	}
	env.Origins = origins
	return env, nil, nil
}

func appendPath(p cue.Path, sels ...cue.Selector) cue.Path {
	return cue.MakePath(append(slices.Clone(p.Selectors()), sels...)...)
}

// mergeData merges src into dst: mappings key by key, anything else (values,
// lists) replaced whole. dstPath and srcPrefix locate the two in the resolved
// environment and in the spec; note, when set, is told of every path
// written, as resolved path and spec path.
func mergeData(dst, src map[string]any, dstPath, srcPrefix []string, note func(dst, src string)) {
	keys := make([]string, 0, len(src))
	for k := range src {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		dp := append(slices.Clone(dstPath), k)
		sp := append(slices.Clone(srcPrefix), k)
		if note != nil {
			note(dataPath(dp), dataPath(sp))
		}
		sv := src[k]
		if sm, ok := sv.(map[string]any); ok {
			dm, ok := dst[k].(map[string]any)
			if !ok {
				dm = map[string]any{}
				dst[k] = dm
			}
			mergeData(dm, sm, dp, sp, note)
			continue
		}
		if sl, ok := sv.([]any); ok && note != nil {
			noteList(sl, dp, sp, note)
		}
		dst[k] = sv
	}
}

func noteList(l []any, dstPath, srcPath []string, note func(dst, src string)) {
	for i, e := range l {
		dp := append(slices.Clone(dstPath), fmt.Sprintf("[%d]", i))
		sp := append(slices.Clone(srcPath), fmt.Sprintf("[%d]", i))
		note(dataPath(dp), dataPath(sp))
		if m, ok := e.(map[string]any); ok {
			mergeData(map[string]any{}, m, dp, sp, note)
		}
	}
}

// dataPath formats a path as cue.Path does, so that keys written by the
// merge and keys the walker looks up agree.
func dataPath(parts []string) string {
	sels := make([]cue.Selector, 0, len(parts))
	for _, p := range parts {
		if len(p) > 2 && p[0] == '[' && p[len(p)-1] == ']' {
			if i, err := strconv.Atoi(p[1 : len(p)-1]); err == nil {
				sels = append(sels, cue.Index(i))
				continue
			}
		}
		sels = append(sels, cue.Str(p))
	}
	return cue.MakePath(sels...).String()
}

// decode reads a resolved environment's JSON strictly into the model,
// refusing any field the Go types do not know: schema and model must agree.
func decode(b []byte) (*model.Environment, error) {
	var r resolvedDoc
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("decoding the resolved environment: %w", err)
	}
	env := &model.Environment{
		Name:        r.Environment.Name,
		Profile:     r.Environment.Profile,
		Namespace:   r.Environment.Namespace,
		Cluster:     r.Environment.Cluster,
		Lint:        r.Environment.Lint,
		DataSurface: r.DataSurface,
		Airflow:     r.Airflow,
		Secrets:     r.Secrets,
		Databases:   r.Databases,
		Maintenance: r.Maintenance,
		GitOps:      r.GitOps,
	}
	if d := &env.DataSurface.InfrastructureDAG; d.Publish == "" {
		d.Publish = model.PublishManual
		if d.Credential != "" {
			d.Publish = model.PublishJob
		}
	}
	for i := range env.DataSurface.ExternalDatabases {
		if d := &env.DataSurface.ExternalDatabases[i]; d.Port == 0 {
			d.Port = model.EnginePort(d.Engine)
		}
	}
	if env.Airflow.MetadataDatabase.Mode == model.InCluster {
		// The Service ydpgen renders is the address: Airflow's connection
		// and DataSurface's model both point at it.
		env.Airflow.MetadataDatabase.Host = model.InClusterDatabaseHost(env.Namespace.Name)
	}
	for name, c := range r.Credentials {
		env.Credentials = append(env.Credentials, model.Credential{Name: name, Type: c.Type})
	}
	slices.SortFunc(env.Credentials, func(a, b model.Credential) int { return strings.Compare(a.Name, b.Name) })
	return env, nil
}

// resolvedDoc mirrors #Resolved field for field.
type resolvedDoc struct {
	DataSurface model.DataSurface `json:"datasurface"`
	Airflow     model.Airflow     `json:"airflow"`
	Secrets     model.Secrets     `json:"secrets"`
	Maintenance model.Maintenance `json:"maintenance"`
	Credentials map[string]struct {
		Type model.CredentialType `json:"type"`
	} `json:"credentials"`
	Databases   []model.Database `json:"databases"`
	GitOps      model.GitOps     `json:"gitops"`
	Environment struct {
		Name      string          `json:"name"`
		Profile   string          `json:"profile"`
		Namespace model.Namespace `json:"namespace"`
		Cluster   model.Cluster   `json:"cluster"`
		Lint      model.Lint      `json:"lint"`
	} `json:"environment"`
}

package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
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
	note := func(dst, src string) { origins[dst] = docOrigins[src] }
	mergeData(merged, s.defaults[profile], nil, nil, nil)
	perEnvironment := ""
	for _, section := range []string{"datasurface", "airflow", "secrets", "maintenance", "credentials", "databases", "gitops"} {
		if v, ok := spec[section]; ok {
			if section == "databases" {
				perEnvironment = mergePlatformDatabases(merged, v, origins, docOrigins)
			} else {
				mergeData(merged, map[string]any{section: v}, nil, []string{"spec"}, note)
			}
		}
		if !slices.Contains(overridable(), section) {
			continue
		}
		if v, ok := envData[section]; ok {
			if section == "databases" {
				// The environment's list replaces the platform's whole.
				dropOrigins(origins, "databases")
			}
			mergeData(merged, map[string]any{section: v}, nil, []string{"spec", "environments", name}, note)
		}
	}
	if perEnvironment == "suffix" {
		suffixDatabaseNames(merged, origins, name)
	}
	environment, _ := merged["environment"].(map[string]any)
	if environment == nil {
		environment = map[string]any{}
		merged["environment"] = environment
	}
	environment["name"] = name
	origins[model.EnvironmentNamePath] = originOf(filename, doc, envPath)
	for _, f := range []string{"profile", "namespace", "cluster", "lint", "share"} {
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
		file:        filename,
		concrete:    true,
		top:         s.top,
		where:       fmt.Sprintf("environment %s (profile %s)", name, profile),
		why:         func(p []cue.Selector) string { return s.limitReason(profile, p) },
		backstopped: s.backstopped,
		origin: func(p cue.Path) model.Origin {
			o, _ := origins.Place(name, p.String())
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
	env.Effective = b
	return env, nil, nil
}

// mergePlatformDatabases puts spec.databases, a list or a mapping with a
// list, into the merged environment, and returns its perEnvironment.
func mergePlatformDatabases(merged map[string]any, v any, origins, docOrigins model.Origins) string {
	src := []string{"spec", "databases"}
	perEnvironment := ""
	if m, ok := v.(map[string]any); ok {
		perEnvironment, _ = m["perEnvironment"].(string)
		v, src = m["list"], append(src, "list")
	}
	list, ok := v.([]any)
	if !ok {
		return perEnvironment
	}
	merged["databases"] = list
	origins["databases"] = docOrigins[dataPath(src)]
	noteList(list, []string{"databases"}, src, func(dst, src string) { origins[dst] = docOrigins[src] })
	return perEnvironment
}

// dropOrigins forgets where the value at path and everything below it
// came from, for a value that is replaced whole.
func dropOrigins(origins model.Origins, path string) {
	for k := range origins {
		if k == path || strings.HasPrefix(k, path+".") || strings.HasPrefix(k, path+"[") {
			delete(origins, k)
		}
	}
}

// suffixDatabaseNames gives every database name the environment did not
// write itself (taken from the platform or the profile) the suffix
// _<environment>, so that environments on one server have databases of
// their own; the environment's own names stay as written.
func suffixDatabaseNames(merged map[string]any, origins model.Origins, env string) {
	own := dataPath([]string{"spec", "environments", env}) + "."
	suffix := "_" + strings.ReplaceAll(env, "-", "_")
	rename := func(m map[string]any, path string) {
		name, ok := m["name"].(string)
		if !ok || name == "" {
			return
		}
		if o, written := origins[path]; written && strings.HasPrefix(o.Path, own) {
			return
		}
		m["name"] = name + suffix
	}
	for _, p := range [][2]string{{"airflow", "metadataDatabase"}, {"datasurface", "mergeDatabase"}} {
		section, _ := merged[p[0]].(map[string]any)
		if db, ok := section[p[1]].(map[string]any); ok {
			rename(db, dataPath([]string{p[0], p[1], "name"}))
		}
	}
	// Lists are shared with the parsed document (and so with every other
	// environment); rename copies.
	list, _ := merged["databases"].([]any)
	renamed := make([]any, len(list))
	for i, e := range list {
		renamed[i] = e
		if db, ok := e.(map[string]any); ok {
			c := maps.Clone(db)
			rename(c, dataPath([]string{"databases", fmt.Sprintf("[%d]", i), "name"}))
			renamed[i] = c
		}
	}
	if list != nil {
		merged["databases"] = renamed
	}
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
		Shares:      r.Environment.Share,
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
		Share     []model.Share   `json:"share"`
	} `json:"environment"`
}

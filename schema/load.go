package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
	cueyaml "cuelang.org/go/encoding/yaml"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/model"
)

// overridable are the platform sections an environment may override.
func overridable() []string { return []string{"datasurface", "airflow", "secrets", "maintenance"} }

// Load validates a spec and resolves every environment. filename is used in
// positions only; src is the spec in YAML, or in CUE when filename ends in
// .cue. It returns diag.List when the spec has problems, and another error
// only when ydpgen itself is broken.
func (s *Schema) Load(filename string, src []byte) (*model.Platform, error) {
	if f := checkText(filename, src); f != nil {
		return nil, diag.List{*f}
	}
	doc, findings := s.parse(filename, src)
	if len(findings) > 0 {
		return nil, findings.Sort()
	}
	w := &walker{file: filename, origin: func(p cue.Path) model.Origin { return originOf(filename, doc, p) }}
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
		cw := &walker{file: filename, concrete: true, origin: w.origin}
		cw.backstop(s.platform.Unify(doc))
		if len(cw.out) == 0 {
			return nil, fmt.Errorf("reading the spec as data: %w", err)
		}
		return nil, cw.out.Sort()
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
			findings = append(findings, checkCredentials(env)...)
			findings = append(findings, checkDataSurface(env)...)
			findings = append(findings, checkAirflow(env)...)
			findings = append(findings, checkNamespace(env)...)
			findings = append(findings, checkDatabases(env)...)
			if len(p.Environments) == 0 {
				findings = append(findings, checkGitOps(env)...)
			}
			p.Environments = append(p.Environments, *env)
		}
		all = append(all, findings...)
	}
	if len(all) > 0 {
		return nil, all.Sort()
	}
	return p, nil
}

// Parse only reads a spec (text checks and YAML or CUE syntax), without
// validating it; Load does this first.
func (s *Schema) Parse(filename string, src []byte) error {
	if f := checkText(filename, src); f != nil {
		return diag.List{*f}
	}
	if _, findings := s.parse(filename, src); len(findings) > 0 {
		return findings.Sort()
	}
	return nil
}

// checkText refuses input that cannot be a spec before any parser sees it.
func checkText(filename string, src []byte) *diag.Finding {
	allowed := "a Platform spec in YAML or CUE, starting with apiVersion: ydpgen.dev/v1alpha1 (ydpgen init writes one)"
	if i := bytes.IndexByte(src, 0); i >= 0 || !utf8.Valid(src) {
		if i < 0 {
			i = firstInvalidUTF8(src)
		}
		line, col := lineCol(src, i)
		return &diag.Finding{Severity: diag.Error, File: filename, Line: line, Col: col,
			Message: "the file is not text: it holds binary data", Allowed: allowed}
	}
	empty := true
	for _, l := range strings.Split(string(src), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "//") && l != "---" {
			empty = false
			break
		}
	}
	if empty {
		return &diag.Finding{Severity: diag.Error, File: filename, Line: 1, Col: 1,
			Message: "the file is empty", Allowed: allowed}
	}
	return nil
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

func lineCol(src []byte, off int) (int, int) {
	line := 1 + bytes.Count(src[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(src[:off], '\n')
	return line, col
}

// parse reads YAML or CUE into a value, reporting syntax errors positioned.
func (s *Schema) parse(filename string, src []byte) (cue.Value, diag.List) {
	var file *ast.File
	var err error
	if strings.EqualFold(filepath.Ext(filename), ".cue") {
		file, err = parser.ParseFile(filename, src)
	} else {
		if n := countYAMLDocuments(src); n > 1 {
			return cue.Value{}, diag.List{{Severity: diag.Error, File: filename, Line: 1, Col: 1,
				Message: fmt.Sprintf("the file holds %d YAML documents", n), Allowed: "exactly one document: one Platform per file"}}
		}
		file, err = cueyaml.Extract(filename, src)
		if err != nil {
			return cue.Value{}, yamlSyntaxError(filename, src, err)
		}
		if dups := duplicateKeys(filename, file); len(dups) > 0 {
			return cue.Value{}, dups
		}
	}
	if err != nil {
		return cue.Value{}, fromCUEErrors(err, "syntax error: ")
	}
	v := s.ctx.BuildFile(file)
	if err := v.Err(); err != nil {
		return cue.Value{}, fromCUEErrors(err, "")
	}
	if v.IncompleteKind() != cue.StructKind {
		return cue.Value{}, diag.List{{Severity: diag.Error, File: filename, Line: 1, Col: 1,
			Message: "the spec is not a mapping", Allowed: "a mapping with apiVersion, kind, metadata and spec"}}
	}
	return v, nil
}

// yamlSyntaxError reports a YAML parser error. The parser gives its
// position only inside its message ("file:line: what"), so the line is read
// back from there; the message is kept as the parser wrote it.
func yamlSyntaxError(filename string, src []byte, err error) diag.List {
	var out diag.List
	for _, e := range errors.Errors(err) {
		f := diag.Finding{Severity: diag.Error, File: filename, Line: 1, Col: 1}
		msg := e.Error()
		if rest, ok := strings.CutPrefix(msg, filename+":"); ok {
			msg = strings.TrimSpace(rest)
			if num, after, ok := strings.Cut(rest, ":"); ok {
				if n, err := strconv.Atoi(num); err == nil {
					f.Line, msg = n, strings.TrimSpace(after)
				}
			}
		}
		// The parser names the line where the construct it was reading
		// began, which for a mis-indented key is far above the mistake. The
		// first line at which a prefix of the file stops parsing is where
		// the text went wrong; point there when it is further down.
		if l := firstFailingLine(filename, src); l > f.Line {
			f.Line = l
			f.Col = firstColumn(src, l)
		}
		f.Message = "YAML syntax error: " + strings.TrimPrefix(msg, "yaml: ")
		f.Allowed = "YAML mappings with consistent indentation; quote values that contain ': ' or start with a special character"
		out = append(out, f)
	}
	return out
}

// firstFailingLine returns the first line n such that lines 1..n do not
// parse as YAML, or 0. Large files are not searched.
func firstFailingLine(filename string, src []byte) int {
	lines := strings.SplitAfter(string(src), "\n")
	if len(lines) > 2000 {
		return 0
	}
	var prefix strings.Builder
	for i, l := range lines {
		prefix.WriteString(l)
		if _, err := cueyaml.Extract(filename, []byte(prefix.String())); err != nil {
			return i + 1
		}
	}
	return 0
}

func firstColumn(src []byte, line int) int {
	lines := strings.Split(string(src), "\n")
	if line < 1 || line > len(lines) {
		return 1
	}
	l := lines[line-1]
	return len(l) - len(strings.TrimLeft(l, " \t")) + 1
}

// duplicateKeys finds keys written twice in one mapping, which YAML forbids
// and which would otherwise be merged silently.
func duplicateKeys(filename string, f *ast.File) diag.List {
	var out diag.List
	var visit func(decls []ast.Decl, path string)
	visit = func(decls []ast.Decl, path string) {
		seen := map[string]token.Pos{}
		for _, d := range decls {
			field, ok := d.(*ast.Field)
			if !ok {
				continue
			}
			name, _, err := ast.LabelName(field.Label)
			if err != nil {
				continue
			}
			p := name
			if path != "" {
				p = path + "." + name
			}
			if first, dup := seen[name]; dup {
				pos := field.Pos()
				out = append(out, diag.Finding{Severity: diag.Error, File: filename, Line: pos.Line(), Col: pos.Column(),
					Path: p, Message: fmt.Sprintf("key %q is written twice in this mapping (first at line %d)", name, first.Line()),
					Allowed: "each key once per mapping"})
				continue
			}
			seen[name] = field.Pos()
			switch v := field.Value.(type) {
			case *ast.StructLit:
				visit(v.Elts, p)
			case *ast.ListLit:
				for i, e := range v.Elts {
					if st, ok := e.(*ast.StructLit); ok {
						visit(st.Elts, fmt.Sprintf("%s[%d]", p, i))
					}
				}
			}
		}
	}
	visit(f.Decls, "")
	return out
}

// countYAMLDocuments counts documents separated by '---' lines, ignoring a
// leading separator and empty documents.
func countYAMLDocuments(src []byte) int {
	n, content := 0, false
	for _, l := range strings.Split(string(src), "\n") {
		t := strings.TrimRight(l, " \t\r")
		if t == "---" || strings.HasPrefix(t, "--- ") {
			if content {
				n++
			}
			content = false
			continue
		}
		if s := strings.TrimSpace(t); s != "" && !strings.HasPrefix(s, "#") {
			content = true
		}
	}
	if content {
		n++
	}
	return n
}

// fromCUEErrors turns parser errors into findings. These come from the YAML or
// CUE parser and already speak of the user's text, so their message is kept.
func fromCUEErrors(err error, prefix string) diag.List {
	var out diag.List
	for _, e := range errors.Errors(err) {
		f := diag.Finding{Severity: diag.Error}
		if pos := e.Position(); pos.IsValid() {
			f.File, f.Line, f.Col = pos.Filename(), pos.Line(), pos.Column()
		} else if ps := e.InputPositions(); len(ps) > 0 {
			f.File, f.Line, f.Col = ps[0].Filename(), ps[0].Line(), ps[0].Column()
		}
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		msg = strings.TrimPrefix(msg, "yaml: ")
		f.Message = prefix + msg
		if p := e.Path(); len(p) > 0 {
			f.Path = strings.Join(p, ".")
		}
		out = append(out, f)
	}
	return out
}

// originOf finds where the value at p was written in the user's document,
// falling back to the nearest ancestor that was.
func originOf(filename string, doc cue.Value, p cue.Path) model.Origin {
	sels := p.Selectors()
	for n := len(sels); n >= 0; n-- {
		q := cue.MakePath(sels[:n]...)
		v := doc.LookupPath(q)
		if !v.Exists() {
			continue
		}
		pos := valuePos(v)
		if n < len(sels) || !pos.IsValid() {
			pos = v.Pos()
		}
		if !pos.IsValid() {
			continue
		}
		return model.Origin{File: filename, Line: pos.Line(), Col: pos.Column(), Path: p.String()}
	}
	return model.Origin{File: filename, Line: 1, Col: 1, Path: p.String()}
}

// valuePos is the position of a field's value (executor: <here>), or of the
// value itself when it is not a field.
func valuePos(v cue.Value) token.Pos {
	if f, ok := v.Source().(*ast.Field); ok && f.Value != nil {
		if p := f.Value.Pos(); p.IsValid() {
			// A block mapping's value starts on the next line; point at the key.
			if _, isStruct := f.Value.(*ast.StructLit); isStruct {
				return f.Pos()
			}
			return p
		}
	}
	return v.Pos()
}

// labelPos is the position of a field's name.
func labelPos(v cue.Value) token.Pos {
	if f, ok := v.Source().(*ast.Field); ok {
		return f.Pos()
	}
	return v.Pos()
}

func mustString(v cue.Value) string {
	s, _ := v.String()
	return s
}

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
	for _, f := range []string{"profile", "namespace", "podSecurity", "cluster", "lint"} {
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

// docOrigins records where every value of the document was written, keyed by
// its path.
func docOrigins(filename string, doc cue.Value) model.Origins {
	out := model.Origins{}
	var visit func(v cue.Value, sels []cue.Selector)
	visit = func(v cue.Value, sels []cue.Selector) {
		p := cue.MakePath(sels...)
		if pos := valuePos(v); pos.IsValid() {
			out[p.String()] = model.Origin{File: filename, Line: pos.Line(), Col: pos.Column(), Path: p.String()}
		}
		switch v.IncompleteKind() {
		case cue.StructKind:
			iter, err := v.Fields()
			for err == nil && iter.Next() {
				visit(iter.Value(), append(slices.Clone(sels), iter.Selector()))
			}
		case cue.ListKind:
			iter, err := v.List()
			for i := 0; err == nil && iter.Next(); i++ {
				visit(iter.Value(), append(slices.Clone(sels), cue.Index(i)))
			}
		}
	}
	visit(doc, nil)
	return out
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
	env.Namespace.PodSecurity = r.Environment.PodSecurity
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
		Name        string          `json:"name"`
		Profile     string          `json:"profile"`
		Namespace   model.Namespace `json:"namespace"`
		PodSecurity string          `json:"podSecurity"`
		Cluster     model.Cluster   `json:"cluster"`
		Lint        model.Lint      `json:"lint"`
	} `json:"environment"`
}

package spec

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sync/atomic"
	"time"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/parser"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/internal/secretscan"
)

//go:embed cue/*.cue
var cueFiles embed.FS

// Schema is the compiled CUE schema. It is safe to use for several loads in
// sequence but not concurrently: CUE contexts are not safe for concurrent use.
type Schema struct {
	ctx      *cue.Context
	root     cue.Value
	platform cue.Value
	// crossCheck, set by tests only, sees each environment's merged data
	// next to the CUE value it was validated as.
	crossCheck func(env string, merged []byte, resolved cue.Value)
	// backstopped, set by tests only, sees each finding the walker's
	// backstop adds: one the walk could not explain in the spec's terms.
	backstopped func(diag.Finding)
	profiles    map[string]cue.Value
	// defaults holds each profile's defaults (common ones included) as plain data.
	defaults map[string]map[string]any
	// scan recognises secret values written into a spec.
	scan *secretscan.Scanner
	// EvalTimeout bounds the evaluation of a CUE spec (DefaultEvalTimeout
	// when zero): CUE is a language, and a comprehension over a large range
	// would otherwise run until memory runs out.
	EvalTimeout time.Duration
	// abandoned is set when an evaluation outlived EvalTimeout: it still
	// runs on ctx, which is not safe for concurrent use, so the Schema
	// refuses further loads.
	abandoned atomic.Bool
	// top is CUE's top value (_), compiled once in ctx: fieldSchema fills
	// it in to read a field that only a pattern constraint declares.
	top cue.Value
	// fieldIndex maps a field name to the spec paths that have it (see
	// FieldsNamed); built on first use.
	fieldIndex map[string][]string
}

// DefaultEvalTimeout is how long a CUE spec may take to evaluate; a real
// spec takes milliseconds.
const DefaultEvalTimeout = 10 * time.Second

// New compiles the embedded schema.
func New() (*Schema, error) {
	ctx := cuecontext.New()
	inst := build.NewContext().NewInstance("ydpgen", nil)
	names, err := fs.Glob(cueFiles, "cue/*.cue")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	for _, name := range names {
		src, err := cueFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile("spec/"+path.Base(name), src, parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("embedded schema: %w", err)
		}
		if err := inst.AddSyntax(f); err != nil {
			return nil, fmt.Errorf("embedded schema: %w", err)
		}
	}
	root := ctx.BuildInstance(inst)
	if err := root.Err(); err != nil {
		return nil, fmt.Errorf("embedded schema: %w", err)
	}
	s := &Schema{
		ctx:      ctx,
		root:     root,
		platform: root.LookupPath(cue.ParsePath("#Platform")),
		profiles: map[string]cue.Value{},
		defaults: map[string]map[string]any{},
		scan:     secretscan.New(),
		top:      ctx.CompileString("_"),
	}
	var common map[string]any
	if err := root.LookupPath(cue.ParsePath("#Defaults.common")).Decode(&common); err != nil {
		return nil, fmt.Errorf("embedded schema: common defaults: %w", err)
	}
	for _, p := range ProfileNames() {
		v := root.LookupPath(cue.MakePath(cue.Def("#Profiles"), cue.Str(p)))
		if !v.Exists() {
			return nil, fmt.Errorf("embedded schema: profile %q is missing", p)
		}
		s.profiles[p] = v
		var own map[string]any
		if err := root.LookupPath(cue.MakePath(cue.Def("#Defaults"), cue.Str(p))).Decode(&own); err != nil {
			return nil, fmt.Errorf("embedded schema: defaults of %s: %w", p, err)
		}
		d := map[string]any{}
		mergeData(d, common, nil, nil, nil)
		mergeData(d, own, nil, nil, nil)
		s.defaults[p] = d
	}
	return s, nil
}

// ProfileNames returns the names of the profiles an environment can pick, sorted.
func ProfileNames() []string { return []string{"eks", "k3s-pi", "kubeadm"} }

// Source returns the embedded CUE files, by name, in a fixed order, for
// `ydpgen schema`.
func Source() ([]SourceFile, error) {
	names, err := fs.Glob(cueFiles, "cue/*.cue")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var out []SourceFile
	for _, n := range names {
		b, err := cueFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, SourceFile{Name: path.Base(n), Data: b})
	}
	return out, nil
}

// SourceFile is one embedded schema file.
type SourceFile struct {
	Name string
	Data []byte
}

package spec

import (
	"slices"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"

	"github.com/ydpgen/ydpgen/model"
)

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

// keyOriginOf is where the key of the field at p was written: what a
// finding about the field itself (unknown, misplaced) points at.
func keyOriginOf(filename string, doc cue.Value, p cue.Path) model.Origin {
	v := doc.LookupPath(p)
	if f, ok := v.Source().(*ast.Field); ok && f.Label != nil {
		if pos := f.Label.Pos(); pos.IsValid() {
			return model.Origin{File: filename, Line: pos.Line(), Col: pos.Column(), Path: p.String()}
		}
	}
	return originOf(filename, doc, p)
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

func mustString(v cue.Value) string {
	s, _ := v.String()
	return s
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

package model

import (
	"fmt"
	"strings"
)

// Origin is where a value was written: the spec file position and the path
// of the field in the spec (spec.environments.dev.airflow.executor).
type Origin struct {
	File string
	Line int
	Col  int
	Path string
}

// String formats the origin as file:line:col.
func (o Origin) String() string {
	if o.File == "" {
		return ""
	}
	if o.Line == 0 {
		return o.File
	}
	return fmt.Sprintf("%s:%d:%d", o.File, o.Line, o.Col)
}

// Origins maps dotted paths of a resolved environment to their origin.
type Origins map[string]Origin

// Lookup returns the origin of path, or of its nearest written ancestor when
// the value itself came from a profile default.
func (o Origins) Lookup(path string) (Origin, bool) {
	for p := path; ; {
		if org, ok := o[p]; ok {
			return org, true
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			org, ok := o[""]
			return org, ok
		}
		p = p[:i]
	}
}

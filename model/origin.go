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

// Place says where a finding about the value at path of environment env's
// resolved data (airflow.executor) belongs; it is the one rule the loader's
// checks and the lint rules share.
//
// A value the spec wrote is placed where it was written, and named by its
// spec path (spec.airflow.executor, or the environment's override). A value
// the spec did not write (a profile default, a missing field) is placed at
// the nearest part of the spec that was written, or else at the
// environment's entry, and named by the environment override that would set
// it (spec.environments.<env>.airflow.executor); written is then false.
func (o Origins) Place(env, path string) (at Origin, written bool) {
	if org, ok := o[path]; ok && org.File != "" {
		return org, true
	}
	at = o[EnvironmentNamePath]
	for p := path; ; {
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			break
		}
		p = p[:i]
		if org, ok := o[p]; ok && org.File != "" {
			at = org
			break
		}
	}
	at.Path = "spec.environments." + env
	if rest := strings.TrimPrefix(path, "environment."); rest != "" && rest != "environment" {
		at.Path += "." + rest
	}
	return at, false
}

// EnvironmentNamePath is the key of the environment's own entry in its
// Origins (spec.environments.<env>), where a finding about a value that no
// part of the spec wrote is placed.
const EnvironmentNamePath = "environment.name"

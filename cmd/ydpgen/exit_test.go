package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"testing"

	"github.com/ydpgen/ydpgen/diag"
)

// TestExitCodes pins the error taxonomy: what each kind of error prints and
// the code it exits with. The scripts reach every kind but the bug.
func TestExitCodes(t *testing.T) {
	for _, c := range []struct {
		name   string
		err    error
		code   int
		stderr string
	}{
		{"success", nil, exitOK, ""},
		{"usage", usagef("unknown command %q", "x"), exitUsage,
			"ydpgen: unknown command \"x\"\nRun 'ydpgen --help' for usage.\n"},
		{"findings", diag.List{{Severity: diag.Error, File: "p.yaml", Line: 1, Col: 1, Message: "bad"}}, exitFindings,
			"p.yaml:1:1: bad\n1 error, 0 warnings\n"},
		{"warnings only", diag.List{{Severity: diag.Warning, Message: "mind"}}, exitOK,
			"warning: mind\n0 errors, 1 warning\n"},
		{"a diff that differs", findingsError{2}, exitFindings, ""},
		{"named file problem", filesErrorf("cannot read the spec %s: %v", "p.yaml", fs.ErrNotExist), exitFiles,
			"ydpgen: cannot read the spec p.yaml: file does not exist\n"},
		{"file system, unnamed", fmt.Errorf("staging: %w", &fs.PathError{Op: "rename", Path: "a", Err: fs.ErrPermission}), exitFiles,
			"ydpgen: staging: rename a: permission denied\n"},
		{"missing program", fmt.Errorf("needs git: %w", &exec.Error{Name: "git", Err: exec.ErrNotFound}), exitFiles,
			"ydpgen: needs git: exec: \"git\": executable file not found in $PATH\n"},
		{"bug", errors.New("objset: duplicate entry"), exitInternal,
			"ydpgen: internal error (a bug in ydpgen; please report it): objset: duplicate entry\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			a := &app{stdout: &stdout, stderr: &stderr, output: "text"}
			if got := a.exit(c.err); got != c.code {
				t.Errorf("exit code %d, want %d", got, c.code)
			}
			if stderr.String() != c.stderr {
				t.Errorf("stderr %q, want %q", stderr.String(), c.stderr)
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout %q, want nothing", stdout.String())
			}
		})
	}
}

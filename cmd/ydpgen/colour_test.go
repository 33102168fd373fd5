package main

import (
	"testing"

	"github.com/ydpgen/ydpgen/diag"
)

func TestPaint(t *testing.T) {
	warn := diag.Finding{Severity: diag.Warning, File: "p.yaml", Line: 1, Col: 2, Rule: "YDP021", Message: "mind"}
	err := diag.Finding{Severity: diag.Error, File: "p.yaml", Line: 3, Col: 4, Message: "bad"}
	on := &app{colour: true}
	if got, want := on.paint(warn), "\x1b[33mp.yaml:1:2: warning: YDP021: mind\x1b[0m"; got != want {
		t.Errorf("warning: got %q, want %q", got, want)
	}
	if got, want := on.paint(err), "\x1b[1;31mp.yaml:3:4: bad\x1b[0m"; got != want {
		t.Errorf("error: got %q, want %q", got, want)
	}
	if got := (&app{}).paint(err); got != "p.yaml:3:4: bad" {
		t.Errorf("colour off: got %q", got)
	}
}

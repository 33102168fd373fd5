package spec

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"cuelang.org/go/cue"
)

// The loader decodes the merged data instead of exporting the unified CUE
// value, which is only right while the profile constraints add no values of
// their own (no defaults, no fixed fields). This holds the two equal for
// every example and starter.
func TestDecodeFromDataMatchesCUE(t *testing.T) {
	s := mustNew(t)
	checked := 0
	s.crossCheck = func(env string, merged []byte, resolved cue.Value) {
		checked++
		fromCUE, err := resolved.MarshalJSON()
		if err != nil {
			t.Fatalf("%s: %v", env, err)
		}
		var a, b any
		if err := json.Unmarshal(merged, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(fromCUE, &b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("environment %s: the merged data and the unified CUE value differ:\n%s\n%s", env, merged, fromCUE)
		}
	}
	paths, _ := filepath.Glob("../examples/*/platform.yaml")
	starters, _ := filepath.Glob("starters/*.yaml")
	for _, p := range append(paths, starters...) {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Load(p, src); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
	if checked < 6 {
		t.Fatalf("only %d environments checked", checked)
	}
}

package main

import (
	"path/filepath"
	"testing"

	"github.com/ydpgen/ydpgen/chart"
	"github.com/ydpgen/ydpgen/spec"
)

// TestStarterChartIsTheExamplesPin: the lock init writes pins the chart
// every starter names, with the digest the examples' lock holds.
func TestStarterChartIsTheExamplesPin(t *testing.T) {
	lock, err := chart.ReadLock(filepath.Join("..", "..", "examples", "pi-lab", chart.LockFileName))
	if err != nil {
		t.Fatal(err)
	}
	want := starterChart()
	got, ok := lock.Find(want.Name, want.Source)
	if !ok || got != want {
		t.Fatalf("the examples' lock pins %+v (found %v), init writes %+v", got, ok, want)
	}
	s, err := spec.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, profile := range spec.ProfileNames() {
		src, err := spec.Starter(profile)
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.Load("platform.yaml", src)
		if err != nil {
			t.Fatalf("%s starter: %v", profile, err)
		}
		for _, env := range p.Environments {
			if c := env.Airflow.Chart; c.Version != want.Version || c.Repository != want.Source {
				t.Errorf("%s starter, environment %s: chart %s from %s, but init pins %s from %s", profile, env.Name, c.Version, c.Repository, want.Version, want.Source)
			}
		}
	}
}

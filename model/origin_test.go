package model

import "testing"

func TestPlace(t *testing.T) {
	o := Origins{
		EnvironmentNamePath:     {File: "p.yaml", Line: 30, Col: 5, Path: "spec.environments.dev"},
		"airflow":               {File: "p.yaml", Line: 10, Col: 3, Path: "spec.airflow"},
		"airflow.executor":      {File: "p.yaml", Line: 11, Col: 15, Path: "spec.airflow.executor"},
		"environment.cluster":   {File: "p.yaml", Line: 32, Col: 7, Path: "spec.environments.dev.cluster"},
		"airflow.config":        {}, // recorded without a position
		"environment.namespace": {File: "p.yaml", Line: 31, Col: 18, Path: "spec.environments.dev.namespace"},
	}
	for _, c := range []struct {
		path    string
		want    Origin
		written bool
	}{
		// Written: where and as the spec wrote it.
		{"airflow.executor", Origin{"p.yaml", 11, 15, "spec.airflow.executor"}, true},
		// A default under a written section: at the section, named by the
		// override that would set it.
		{"airflow.components.scheduler.replicas", Origin{"p.yaml", 10, 3, "spec.environments.dev.airflow.components.scheduler.replicas"}, false},
		{"environment.cluster.nodes", Origin{"p.yaml", 32, 7, "spec.environments.dev.cluster.nodes"}, false},
		// A value recorded without a position counts as not written.
		{"airflow.config", Origin{"p.yaml", 10, 3, "spec.environments.dev.airflow.config"}, false},
		// Nothing written on the way up: the environment's entry.
		{"maintenance.logCleanup.enabled", Origin{"p.yaml", 30, 5, "spec.environments.dev.maintenance.logCleanup.enabled"}, false},
		{EnvironmentNamePath, Origin{"p.yaml", 30, 5, "spec.environments.dev"}, true},
		{"environment", Origin{"p.yaml", 30, 5, "spec.environments.dev"}, false},
	} {
		got, written := o.Place("dev", c.path)
		if got != c.want || written != c.written {
			t.Errorf("Place(%q) = %+v, %v; want %+v, %v", c.path, got, written, c.want, c.written)
		}
	}
	// Without any origin (an environment built in a test) a finding still
	// names the field.
	if got, _ := (Origins{}).Place("lab", "airflow.executor"); got != (Origin{Path: "spec.environments.lab.airflow.executor"}) {
		t.Errorf("Place without origins = %+v", got)
	}
}

package spec

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ydpgen/ydpgen/model"
)

// TestDatabasesPerEnvironment: with perEnvironment: suffix every database
// name an environment takes from the platform or its profile gets
// _<environment>, names it writes itself stay, and a plain list keeps the
// names as they are.
func TestDatabasesPerEnvironment(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../examples/cloud/platform.yaml")
	if err != nil {
		t.Fatal(err)
	}
	names := func(p *model.Platform, env string) []string {
		i := slices.IndexFunc(p.Environments, func(e model.Environment) bool { return e.Name == env })
		var out []string
		for _, d := range p.Environments[i].ServerDatabases() {
			out = append(out, d.Name)
		}
		return out
	}
	plain, err := s.Load("platform.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(plain, "staging"); !slices.Equal(got, []string{"airflow_db", "merge_db"}) {
		t.Errorf("a plain list renamed staging's databases: %v", got)
	}
	edited := strings.Replace(string(src), "  databases:\n    - name: airflow_db\n      owner: airflow-db\n    - name: merge_db\n      owner: postgres\n",
		"  databases:\n    perEnvironment: suffix\n    list:\n      - name: airflow_db\n        owner: airflow-db\n      - name: merge_db\n        owner: postgres\n", 1)
	edited = strings.Replace(edited, "      datasurface:\n        rte: staging\n", "      datasurface:\n        rte: staging\n        mergeDatabase:\n          name: staging_merge\n", 1)
	if edited == string(src) {
		t.Fatal("the edit did not apply")
	}
	p, err := s.Load("platform.yaml", []byte(edited))
	if err != nil {
		t.Fatal(err)
	}
	if got := names(p, "prod"); !slices.Equal(got, []string{"airflow_db_prod", "merge_db_prod"}) {
		t.Errorf("prod's databases %v", got)
	}
	// staging's own merge database keeps its name; the list's merge_db
	// entry is suffixed like every platform name.
	if got := names(p, "staging"); !slices.Equal(got, []string{"airflow_db_staging", "staging_merge", "merge_db_staging"}) {
		t.Errorf("staging's databases %v", got)
	}
	// The document itself is not changed by one environment's suffix.
	if got := names(p, "prod"); slices.Contains(got, "airflow_db_staging_prod") {
		t.Errorf("suffixes add up across environments: %v", got)
	}
}

// TestSharesReachBothSides: a share declared by one environment is seen by
// the other (Borrowers), with where to copy from.
func TestSharesReachBothSides(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../examples/onprem/platform.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Load("platform.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	prod, staging := &p.Environments[0], &p.Environments[1]
	sh, ok := staging.SharedCredential("mask_dt_cred")
	if !ok || sh.Partner.Namespace != "demo1" || !sh.Partner.SameCluster {
		t.Errorf("staging's share of mask_dt_cred: %+v", sh)
	}
	if got := prod.SharedWith("mask_dt_cred"); !slices.Equal(got, []string{"staging"}) {
		t.Errorf("prod shares mask_dt_cred with %v", got)
	}
	if got := prod.SharedWith("postgres"); len(got) != 0 {
		t.Errorf("prod shares postgres with %v", got)
	}
}

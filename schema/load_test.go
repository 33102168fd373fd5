package schema

import (
	"os"
	"testing"
)

func TestLoadExample(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../examples/pi-lab/platform.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Load("platform.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", p.Environments[0].Airflow)
}

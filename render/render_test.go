package render

import (
	"os"
	"reflect"
	"testing"

	"github.com/ydpgen/ydpgen/internal/charttest"
	"github.com/ydpgen/ydpgen/spec"
)

func TestRenderPiLab(t *testing.T) {
	s, err := spec.New()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../examples/pi-lab/platform.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Spec(s, "platform.yaml", src, Options{Verify: true, Charts: charttest.Charts(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Tree.Files() {
		t.Logf("== %s\n%s", f.Path, f.Data)
	}
}

// ObjectsOnly gives the same environments without laying out a tree.
func TestObjectsOnly(t *testing.T) {
	s, err := spec.New()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../examples/cloud/platform.yaml")
	if err != nil {
		t.Fatal(err)
	}
	charts := charttest.Charts(t)
	full, err := Spec(s, "platform.yaml", src, Options{Charts: charts})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Spec(s, "platform.yaml", src, Options{ObjectsOnly: true, Charts: charts})
	if err != nil {
		t.Fatal(err)
	}
	if objs.Tree != nil || full.Tree == nil {
		t.Fatalf("trees: objects-only %v, full %v", objs.Tree != nil, full.Tree != nil)
	}
	if !reflect.DeepEqual(objs.Environments, full.Environments) {
		t.Error("environments differ between a full and an objects-only render")
	}
}

package render

import (
	"bytes"
	"os"
	"path"
	"reflect"
	"strings"
	"testing"

	"github.com/ydpgen/ydpgen/generators/airflow"
	"github.com/ydpgen/ydpgen/gitops"
	"github.com/ydpgen/ydpgen/internal/charttest"
	"github.com/ydpgen/ydpgen/objset"
	"github.com/ydpgen/ydpgen/overlays"
	"github.com/ydpgen/ydpgen/sealedfiles"
	"github.com/ydpgen/ydpgen/spec"
)

// TestRenderTree renders an example with verification and checks the tree
// has the shape the README promises, independently of the golden bytes: a
// README at the root, a base, per environment an overlay with its Airflow
// values and capacity chart, and the generated-file header on every YAML
// file.
func TestRenderTree(t *testing.T) {
	s, err := spec.New()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../examples/pi-lab/platform.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Spec(s, "platform.yaml", src, Options{Verify: true, SpecDir: os.DirFS("../examples/pi-lab"), Charts: charttest.Charts(t)})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{gitops.ReadmePath, "base/kustomization.yaml"}
	for _, e := range res.Environments {
		dir := overlays.OverlayDir(e.Name)
		want = append(want, dir+"/kustomization.yaml", dir+"/"+airflow.ValuesPath, dir+"/capacity.svg")
	}
	if len(res.Environments) == 0 {
		t.Fatal("no environment rendered")
	}
	for _, p := range want {
		if _, ok := res.Tree.Get(p); !ok {
			t.Errorf("the tree has no %s", p)
		}
	}
	yamls := 0
	for _, f := range res.Tree.Files() {
		if !strings.HasSuffix(f.Path, ".yaml") {
			continue
		}
		yamls++
		// Encrypted Secrets are copied as seal wrote them: a header
		// would be a change of the file.
		if path.Base(path.Dir(f.Path)) == sealedfiles.OverlayDir {
			continue
		}
		if !bytes.HasPrefix(f.Data, []byte(objset.Header)) {
			t.Errorf("%s does not start with the generated-file header", f.Path)
		}
	}
	if yamls < 10 {
		t.Errorf("%d YAML files in the tree, want the objects of a whole platform", yamls)
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
	full, err := Spec(s, "platform.yaml", src, Options{SpecDir: os.DirFS("../examples/pi-lab"), Charts: charts})
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

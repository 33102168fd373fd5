package render

import (
	"os"
	"testing"

	"github.com/ydpgen/ydpgen/schema"
)

func TestRenderPiLab(t *testing.T) {
	s, err := schema.New()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../examples/pi-lab/platform.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Spec(s, "platform.yaml", src, Options{Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Tree.Files() {
		t.Logf("== %s\n%s", f.Path, f.Data)
	}
}

package capacity

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// The chart must be well-formed SVG with one bar segment per placed pod and
// one reserve block per node, labelled so a reviewer can read it.
func TestSVGIsWellFormed(t *testing.T) {
	r, err := Plan(smallEnv(), nil, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	svg := r.SVG()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var (
		root    string
		rects   int
		titles  []string
		inTitle bool
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, svg)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Space + " " + tok.Name.Local
			}
			if tok.Name.Local == "rect" {
				rects++
			}
			inTitle = tok.Name.Local == "title"
		case xml.CharData:
			if inTitle {
				titles = append(titles, string(tok))
			}
		case xml.EndElement:
			inTitle = false
		}
	}
	if root != "http://www.w3.org/2000/svg svg" {
		t.Errorf("root element %q", root)
	}
	pods := 0
	for _, n := range r.Placement {
		pods += len(n.Pods)
	}
	// background + pods + one reserve per node + one legend swatch per component
	want := 1 + pods + len(r.Placement) + len(r.components())
	if rects != want {
		t.Errorf("%d rects, want %d", rects, want)
	}
	joined := strings.Join(titles, "\n")
	for _, s := range []string{"apiServer: 2.0 GiB", "system reserved: 2.0 GiB", "environment lab"} {
		if !strings.Contains(joined, s) {
			t.Errorf("no title %q in:\n%s", s, joined)
		}
	}
	if !bytes.Equal(svg, r.SVG()) {
		t.Error("two charts of one report differ")
	}
}

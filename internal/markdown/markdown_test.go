package markdown

import "testing"

func TestCode(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"airflow-db", "`airflow-db`"},
		{"a`b", "`` a`b ``"},
		{"``x", "``` ``x ```"},
		{"", "``"},
	} {
		if got := Code(c.in); got != c.want {
			t.Errorf("Code(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := CodeList([]string{"a", "b`"}); got != "`a`, `` b` ``" {
		t.Errorf("CodeList = %q", got)
	}
}

func TestCellTextFence(t *testing.T) {
	if got := Cell("a|b\nc"); got != `a\|b c` {
		t.Errorf("Cell = %q", got)
	}
	if got := Text("*x* [y]_z_"); got != `\*x\* \[y\]\_z\_` {
		t.Errorf("Text = %q", got)
	}
	if got := Fence([]string{"no ticks"}); got != "```" {
		t.Errorf("Fence of plain text = %q, want three backticks", got)
	}
	if got := Fence([]string{"a", "```sh", "run", "```"}); got != "````" {
		t.Errorf("Fence around a fence = %q, want four backticks", got)
	}
}

func TestDoc(t *testing.T) {
	var d Doc
	d.Comment("generated -- do not edit")
	d.Line("# %s", "Title")
	d.Blank()
	d.Line("text")
	want := "<!-- generated - - do not edit -->\n# Title\n\ntext\n"
	if got := string(d.Bytes()); got != want {
		t.Errorf("document:\n%q\nwant\n%q", got, want)
	}
}

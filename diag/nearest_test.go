package diag

import "testing"

func TestNearest(t *testing.T) {
	known := []string{"executor", "environment", "namespace", "ecosystem"}
	for _, c := range []struct{ name, want string }{
		{"executer", "executor"},      // one substitution
		{"Namespace", "namespace"},    // case aside
		{"enviroment", "environment"}, // one deletion
		{"ecosytsem", "ecosystem"},    // two edits within a third of the length
		{"registry", ""},              // nothing close
		{"", ""},                      // distance = length, above the limit of 2
		{"nämespace", "namespace"},    // runes, not bytes
		{"xy", ""},                    // short names: at most 2 edits, and none is that close
	} {
		if got := Nearest(c.name, known); got != c.want {
			t.Errorf("Nearest(%q) = %q, want %q", c.name, got, c.want)
		}
	}
	if got := Nearest("ab", []string{"ax", "ay"}); got != "ax" {
		t.Errorf("a tie went to %q, want the first listed", got)
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"flaw", "lawn", 2}, {"ä", "a", 1},
	} {
		if got := editDistance(c.a, c.b); got != c.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

package update

import "testing"

func TestRequested(t *testing.T) {
	for _, c := range []struct {
		value string
		want  bool
	}{{"1", true}, {"", false}, {"0", false}, {"true", false}} {
		t.Setenv(Variable, c.value)
		if got := Requested(); got != c.want {
			t.Errorf("%s=%q: Requested() = %v, want %v", Variable, c.value, got, c.want)
		}
	}
	if got := Hint("./golden/"); got != "YDPGEN_UPDATE=1 go test ./golden/ and read the diff" {
		t.Errorf("Hint = %q", got)
	}
}

package objset

import (
	"encoding/json"
	"reflect"
	"testing"

	"go.yaml.in/yaml/v3"
)

// readBack decodes YAML the way tools do and normalises numbers, so the
// result compares with the emitted tree.
func readBack(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatalf("emitted YAML does not parse: %v\n%s", err, b)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func normalise(t testing.TB, v any) any {
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// Strings that need each quoting style, and shapes of nesting, read back
// as what was written.
func TestEmitReadsBack(t *testing.T) {
	strs := []string{
		"plain", "", " lead", "trail ", "1", "0x1F", "1e3", "1_000", "-1", "+1", ".5", ".inf", "-.Inf", ".nan",
		"true", "False", "null", "~", "off", "yes", "y", "N", "1:20", "12:30:00",
		"*", "*/30 * * * *", "0 3 * * *", "&a", "!tag", "|x", ">x", "'q'", `"d"`, "%x", "@x", "`x", "#c", "a #c", "a#c",
		"key: value", "ends:", "a:b", "-", "-m", "- x", "?", "?x", ":x", "---", "...", "[a]", "{a}", "a,b", "[{\"HTTPS\":443}]",
		"tab\there", "line\nbreak", "multi\nline\n", "multi\nline\n\n", " indented\nblock", "trailing \nspace", "ctl\x01", "ünïcödé",
		"it's", "C:\\path", "http://x:80/y", "a: b: c",
	}
	tree := map[string]any{"list": []any{}, "empty": map[string]any{}, "nested": []any{[]any{"a", "b"}, map[string]any{"k": "v", "n": json.Number("3")}, []any{}}}
	for i, s := range strs {
		tree[s+"#key"] = s
		tree["k"+string(rune('a'+i%26))+string(rune('a'+i/26))] = []any{s, map[string]any{s: s}}
	}
	tree["num"] = json.Number("1.5")
	tree["bool"] = false
	tree["nil"] = nil
	b, err := Marshal(tree)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := readBack(t, b), normalise(t, tree); !reflect.DeepEqual(got, want) {
		t.Errorf("read back differs\n%s", b)
	}
}

// FuzzEmit: whatever string a value or key holds, the YAML reads back.
func FuzzEmit(f *testing.F) {
	for _, s := range []string{"x", "1", "a: b", "- x", "multi\nline\n", "'", "\"", "#", "0o17", "1e-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8Valid(s) {
			t.Skip()
		}
		tree := map[string]any{"v": s, "l": []any{s}, s: "k"}
		b, err := Marshal(tree)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := readBack(t, b), normalise(t, tree); !reflect.DeepEqual(got, want) {
			t.Errorf("%q does not read back:\n%s", s, b)
		}
	})
}

func utf8Valid(s string) bool {
	for _, r := range s {
		if r == '\uFFFD' {
			return false
		}
	}
	return true
}

package objset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"

	"go.yaml.in/yaml/v3"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/ydpgen/ydpgen/internal/toolcache"
)

// yamlV3 is the oracle: go.yaml.in/yaml/v3's encoding of a generic tree
// with the emitter's layout (two-space indent, a list at its key's indent).
// Keys go in byte order, the emitter's canonical order, through a node
// tree, because v3 sorts a Go map's keys its own way; every scalar is v3's
// own encoding of the Go value, so quoting and block styles are v3's.
func yamlV3(t testing.TB, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	enc.CompactSeqIndent()
	if err := enc.Encode(oracleNode(t, v)); err != nil {
		t.Fatalf("yaml.v3 does not encode the tree: %v", err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func oracleNode(t testing.TB, v any) *yaml.Node {
	switch v := v.(type) {
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		if len(v) == 0 {
			n.Style = yaml.FlowStyle
		}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			n.Content = append(n.Content, oracleNode(t, k), oracleNode(t, v[k]))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		if len(v) == 0 {
			n.Style = yaml.FlowStyle
		}
		for _, x := range v {
			n.Content = append(n.Content, oracleNode(t, x))
		}
		return n
	case json.Number:
		// v3 has no JSON numbers; a number is its text, untagged.
		return &yaml.Node{Kind: yaml.ScalarNode, Value: v.String()}
	}
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		t.Fatalf("yaml.v3 does not encode %#v: %v", v, err)
	}
	return &n
}

// goldenDocs decodes every YAML document under golden/ into the tree the
// emitter takes (what objset's canonical form holds: JSON types, numbers
// as json.Number), by file and document index.
func goldenDocs(t *testing.T) map[string]any {
	t.Helper()
	root, err := toolcache.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]any{}
	err = filepath.WalkDir(filepath.Join(root, "golden"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (filepath.Ext(p) != ".yaml" && filepath.Ext(p) != ".yml") {
			return err
		}
		// Encrypted Secrets (an overlay's sealed/, the sealed variant's
		// inputs in testdata/) are written by seal, not by this emitter.
		if rel, _ := filepath.Rel(root, p); filepath.Base(filepath.Dir(p)) == "sealed" || strings.HasPrefix(filepath.ToSlash(rel), "golden/testdata/") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
		for i := 0; ; i++ {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			raw, err := sigsyaml.YAMLToJSON(doc)
			if err != nil {
				return err
			}
			if string(raw) == "null" {
				continue
			}
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			var tree any
			if err := dec.Decode(&tree); err != nil {
				return err
			}
			docs[fmt.Sprintf("%s#%d", rel, i)] = tree
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

// TestEmitMatchesYAMLv3OnGolden: for every document of the golden trees,
// the emitter writes what yaml.v3 writes.
func TestEmitMatchesYAMLv3OnGolden(t *testing.T) {
	docs := goldenDocs(t)
	if len(docs) < 100 {
		t.Fatalf("only %d golden documents found", len(docs))
	}
	for _, name := range slices.Sorted(maps.Keys(docs)) {
		got, err := Marshal(docs[name])
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if want := yamlV3(t, docs[name]); !bytes.Equal(got, want) {
			t.Errorf("%s: the emitter and yaml.v3 differ:\n%s", name, lineDiffText(string(want), string(got)))
		}
	}
}

// lineDiffText shows the first differing line and a little around it.
func lineDiffText(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	i := 0
	for i < len(wl) && i < len(gl) && wl[i] == gl[i] {
		i++
	}
	from := max(0, i-2)
	return "yaml.v3:\n" + strings.Join(wl[from:min(len(wl), i+3)], "\n") + "\nemitter:\n" + strings.Join(gl[from:min(len(gl), i+3)], "\n")
}

// FuzzEmitMatchesYAMLv3: for any tree of maps, lists and scalars, what the
// emitter writes reads back as the tree and, where the emitter means to
// write what yaml.v3 writes (see differsOnPurpose), is the same bytes. The
// fuzzer's bytes are read as the description of a tree (see treeReader).
func FuzzEmitMatchesYAMLv3(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		tree := (&treeReader{b: data}).root()
		got, err := Marshal(tree)
		if err != nil {
			t.Fatal(err)
		}
		if back, want := readBack(t, got), normalise(t, tree); !reflect.DeepEqual(back, want) {
			t.Fatalf("%#v does not read back:\n%s", tree, got)
		}
		if anyString(tree, differsOnPurpose) || longKeyOverCollection(tree) {
			return
		}
		if want := yamlV3(t, tree); !bytes.Equal(got, want) {
			t.Errorf("the emitter and yaml.v3 differ for %#v:\n%s", tree, lineDiffText(string(want), string(got)))
		}
	})
}

// anyString reports whether f holds for a key or a string value in v.
func anyString(v any, f func(s string, key bool) bool) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if f(k, true) || anyString(x, f) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if anyString(x, f) {
				return true
			}
		}
	case string:
		return f(v, false)
	}
	return false
}

// differsOnPurpose reports strings the emitter writes unlike yaml.v3, both
// being valid YAML of the same string:
//   - a string with a rune Go does not print (a tab, a control character,
//     a Unicode space, a byte order mark) is double-quoted with Go's
//     escapes, where v3 writes the rune as it is or with YAML's own escapes
//     (\N, \_, \xNN), and a multi-line string with a tab is not v3's
//     literal block, which v3 cannot always read back itself;
//   - a rune beyond the Basic Multilingual Plane (an emoji) is written as
//     it is; v3 takes it for unprintable and escapes it (\UXXXXXXXX);
//   - a multi-line key is a double-quoted key, not v3's "? |" block key;
//   - a multi-line string that starts with a space or a line break is
//     double-quoted, not a literal block with an indentation indicator.
func differsOnPurpose(s string, key bool) bool {
	for _, r := range s {
		if (r != '\n' && !unicode.IsPrint(r)) || r > 0xFFFF {
			return true
		}
	}
	return strings.Contains(s, "\n") && (key || strings.HasPrefix(s, " ") || strings.HasPrefix(s, "\n"))
}

// longKeyOverCollection reports a key too long for the simple form (over
// 128 characters; both write "? key") over a non-empty map or list, which
// the emitter starts on the next line and v3 on the ": " line.
func longKeyOverCollection(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if longKeyOverCollection(x) {
				return true
			}
			switch x := x.(type) {
			case map[string]any:
				if len(k) > 128 && len(x) > 0 {
					return true
				}
			case []any:
				if len(k) > 128 && len(x) > 0 {
					return true
				}
			}
		}
	case []any:
		return slices.ContainsFunc(v, longKeyOverCollection)
	}
	return false
}

// TestEmitFormerGaps holds what the fuzz test above once found the emitter
// writing wrongly, so that none comes back.
func TestEmitFormerGaps(t *testing.T) {
	for _, tc := range []struct {
		name, why string
		tree      any
	}{
		{"line separator", "U+2028 and U+2029 are written plain; yaml.v3 and other YAML 1.1 readers take them as line breaks, so the file does not parse or the string loses them",
			map[string]any{"k": "a\u2028b", "l": "x\u2029"}},
		{"merge key", `"<<" is written plain; as a key, YAML readers take it for a merge key and drop it (yaml.v3 quotes it everywhere)`,
			map[string]any{"<<": map[string]any{"a": "b"}, "v": "<<"}},
		{"signed sexagesimal", `"-1:20", "+1:20", "1:20.5" and "1_0:20" are written plain; YAML 1.1 readers take them as numbers, as they do "1:20", which is quoted`,
			[]any{"-1:20", "+1:20", "1:20.5", "1_0:20"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Marshal(tc.tree)
			if err != nil {
				t.Fatal(err)
			}
			want := yamlV3(t, tc.tree)
			if !readsBack(got, tc.tree) || (!anyString(tc.tree, differsOnPurpose) && !bytes.Equal(got, want)) {
				t.Errorf("%s\nemitter:\n%syaml.v3:\n%s", tc.why, got, want)
			}
		})
	}
}

// readsBack is readBack that reports instead of failing the test.
func readsBack(b []byte, tree any) bool {
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return false
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return false
	}
	want, err := json.Marshal(tree)
	if err != nil {
		return false
	}
	var got, wanted any
	return json.Unmarshal(raw, &got) == nil && json.Unmarshal(want, &wanted) == nil && reflect.DeepEqual(got, wanted)
}

// treeReader reads a generic tree from bytes, each byte a choice: the
// kind of the next node, a map's or list's length, a scalar from a list of
// those that need care, or a string of the bytes that follow.
type treeReader struct {
	b []byte
}

func (r *treeReader) next() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// root is a map or a list, as every file the emitter writes is.
func (r *treeReader) root() any { return r.nodeOf(r.next()%2, 0) }

func (r *treeReader) node(depth int) any {
	kind := r.next() % 8
	if depth >= 5 && kind < 2 {
		kind += 2 // no deeper nesting: a scalar instead
	}
	return r.nodeOf(kind, depth)
}

func (r *treeReader) nodeOf(kind byte, depth int) any {
	switch kind {
	case 0:
		m := map[string]any{}
		for range int(r.next() % 5) {
			m[r.str()] = r.node(depth + 1)
		}
		return m
	case 1:
		l := []any{}
		for range int(r.next() % 5) {
			l = append(l, r.node(depth+1))
		}
		return l
	case 2:
		nums := []string{"0", "-1", "42", "1.5", "-0.25", "1e3", "6.02e+23", "9223372036854775807", "12345678901234567890"}
		return json.Number(nums[int(r.next())%len(nums)])
	case 3:
		return r.next()%2 == 0
	case 4:
		return nil
	}
	return r.str()
}

// str is a string that needs care when written as YAML, or up to 31 of
// the following bytes (made valid UTF-8: the tree comes from JSON).
func (r *treeReader) str() string {
	c := r.next()
	if c < 128 {
		tricky := trickyStrings()
		return tricky[int(c)%len(tricky)]
	}
	n := int(c % 32)
	n = min(n, len(r.b))
	s := string(r.b[:n])
	r.b = r.b[n:]
	return strings.ToValidUTF8(s, "?")
}

// trickyStrings are strings that need care in YAML: ones that read as
// other types plain (in YAML 1.2 or 1.1), indicators, quotes, comments,
// line breaks, tabs, control characters and long ones.
func trickyStrings() []string {
	return []string{
		"", "plain", "a b", " lead", "trail ", "1", "0x1F", "0o17", "1e3", "1_000", "-1", "+1", ".5", ".inf", "-.Inf", ".nan",
		"true", "False", "null", "~", "off", "yes", "y", "N", "1:20", "12:30:00", "-1:20", "1:20.5",
		"*", "*/30 * * * *", "&a", "!tag", "|x", ">x", "'q'", `"d"`, "%x", "@x", "`x", "#c", "a #c", "a#c",
		"key: value", "ends:", "a:b", "-", "-m", "- x", "?", "?x", ":x", "---", "...", "[a]", "{a}", "a,b",
		"tab\there", "line\nbreak", "multi\nline\n", "multi\nline\n\n", " indented\nblock", "trailing \nspace",
		"ctl\x01", "ünïcödé", "it's", "C:\\path", "http://x:80/y", "a: b: c", "\n", "\n\nx", "x\n\n",
		"<<", "=", "!!str x", "0b101", "0.0", "1.0e+3", "x\r\ny", "\u00a0x", "a\u2028b", "😀", "é\nè",
		strings.Repeat("long", 40), strings.Repeat("k", 129),
	}
}

package overlays

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ydpgen/ydpgen/objset"
)

func cmEntry(t *testing.T, ns, name string, data map[string]string) objset.Entry {
	t.Helper()
	e, err := objset.NewEntry(&corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Data:       data,
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func paths(t *Tree) []string {
	var out []string
	for _, f := range t.Files() {
		out = append(out, f.Path)
	}
	return out
}

func TestLayoutSharesEqualObjectsAndPatchesDifferences(t *testing.T) {
	envs := []objset.RenderedEnvironment{
		{Name: "prod", Namespace: "p", Objects: []objset.Entry{
			cmEntry(t, "p", "same", map[string]string{"a": "1"}),
			cmEntry(t, "p", "sized", map[string]string{"size": "big", "keep": "x"}),
			cmEntry(t, "p", "prod-only", nil),
		}},
		{Name: "staging", Namespace: "s", Objects: []objset.Entry{
			cmEntry(t, "s", "same", map[string]string{"a": "1"}),
			cmEntry(t, "s", "sized", map[string]string{"size": "small", "keep": "x"}),
		}},
	}
	tree, err := Layout(envs)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"base/configmap-same.yaml",
		"base/configmap-sized.yaml",
		"base/kustomization.yaml",
		"overlays/prod/configmap-prod-only.yaml",
		"overlays/prod/kustomization.yaml",
		"overlays/prod/set-namespace.yaml",
		"overlays/staging/kustomization.yaml",
		"overlays/staging/patches/configmap-sized.yaml",
		"overlays/staging/set-namespace.yaml",
	}
	if diff := cmp.Diff(want, paths(tree)); diff != "" {
		t.Errorf("tree paths (-want +got):\n%s", diff)
	}
	patch, _ := tree.Get("overlays/staging/patches/configmap-sized.yaml")
	if !strings.Contains(string(patch), "op: replace\n  path: /data/size\n  value: small") {
		t.Errorf("staging patch:\n%s", patch)
	}
	if err := Verify(tree, envs); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

// Verify is what proves a layout right, so it must fail on a wrong tree.
func TestVerifyCatchesBrokenTrees(t *testing.T) {
	envs := []objset.RenderedEnvironment{
		{Name: "a", Namespace: "na", Objects: []objset.Entry{cmEntry(t, "na", "x", map[string]string{"k": "1"})}},
		{Name: "b", Namespace: "nb", Objects: []objset.Entry{cmEntry(t, "nb", "x", map[string]string{"k": "2"})}},
	}
	good, err := Layout(envs)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(good, envs); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, data, wantErr string
	}{
		{"patch changes nothing", "overlays/b/patches/configmap-x.yaml", "[]\n", "b"},
		{"base object edited", "base/configmap-x.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: \"9\"\n", "a"},
		{"kustomization unreadable", "overlays/a/kustomization.yaml", "resources: [\n", "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var bad Tree
			for _, f := range good.Files() {
				data := f.Data
				if f.Path == tt.path {
					data = []byte(tt.data)
				}
				if err := bad.Add(f.Path, data); err != nil {
					t.Fatal(err)
				}
			}
			err := Verify(&bad, envs)
			if err == nil {
				t.Fatal("Verify accepted a broken tree")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not name environment %s", err, tt.wantErr)
			}
		})
	}
}

func TestLayoutRejects(t *testing.T) {
	if _, err := Layout(nil); err == nil {
		t.Error("no environments accepted")
	}
	unsorted := []objset.RenderedEnvironment{{Name: "b", Namespace: "b"}, {Name: "a", Namespace: "a"}}
	if _, err := Layout(unsorted); err == nil {
		t.Error("unsorted environments accepted")
	}
}

func TestDiff(t *testing.T) {
	tests := []struct {
		name string
		a, b any
		want []Op
	}{
		{"equal", map[string]any{"a": "1"}, map[string]any{"a": "1"}, nil},
		{"replace", map[string]any{"a": "1"}, map[string]any{"a": "2"}, []Op{{Op: "replace", Path: "/a", Value: "2"}}},
		{"add and remove in key order",
			map[string]any{"b": "1", "z": "1"}, map[string]any{"a": "1", "z": "1"},
			[]Op{{Op: "add", Path: "/a", Value: "1"}, {Op: "remove", Path: "/b"}}},
		{"escaped keys", map[string]any{"a/b~c": 1}, map[string]any{"a/b~c": 2}, []Op{{Op: "replace", Path: "/a~1b~0c", Value: 2}}},
		{"list same length by index",
			map[string]any{"l": []any{"x", "y"}}, map[string]any{"l": []any{"x", "z"}},
			[]Op{{Op: "replace", Path: "/l/1", Value: "z"}}},
		{"list other length whole",
			map[string]any{"l": []any{"x"}}, map[string]any{"l": []any{"x", "y"}},
			[]Op{{Op: "replace", Path: "/l", Value: []any{"x", "y"}}}},
		{"false is a value", map[string]any{"e": true}, map[string]any{"e": false}, []Op{{Op: "replace", Path: "/e", Value: false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Diff(tt.a, tt.b)
			if !slices.EqualFunc(got, tt.want, func(x, y Op) bool { return cmp.Equal(x, y) }) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

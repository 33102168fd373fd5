package review

import (
	"path"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"

	"github.com/ydpgen/ydpgen/overlays"
)

// isKustomization is true for the file names kustomize reads in a
// directory.
func isKustomization(p string) bool {
	switch path.Base(p) {
	case "kustomization.yaml", "kustomization.yml", "Kustomization":
		return true
	}
	return false
}

// checkLocal refuses a tree whose kustomization files name anything
// kustomize would fetch: a remote base or component (a git repository) or
// a file by URL. Comparing trees builds their overlays, and a build must
// not reach the network (or a repository elsewhere on disk through
// file://) because a pull request put a URL there; ydpgen never writes one.
// label names the tree in the error.
func checkLocal(t *overlays.Tree, label string) error {
	if t == nil {
		return nil
	}
	for _, f := range t.Files() {
		if !isKustomization(f.Path) {
			continue
		}
		for _, ref := range kustomizationRefs(f.Data) {
			if isRemote(ref) {
				return inputErrorf("%s/%s names %q, which kustomize would fetch; ydpgen never writes remote bases or resources and does not fetch anything to compare trees: run ydpgen render to replace the tree",
					label, f.Path, ref)
			}
		}
	}
	return nil
}

// kustomizationRefs lists what a kustomization file loads by name. A file
// kustomize cannot decode either is searched as plain YAML, every string.
func kustomizationRefs(data []byte) []string {
	var k types.Kustomization
	if err := k.Unmarshal(data); err != nil {
		var v any
		if yaml.Unmarshal(data, &v) != nil {
			return nil // kustomize cannot read it either
		}
		return stringsIn(v)
	}
	//lint:ignore SA1019 a tree from a pull request may still use the old fields, and kustomize would fetch what they name
	refs := slices.Concat(k.Resources, k.Bases, k.Components, k.Crds, k.Configurations, k.Generators, k.Transformers, k.Validators)
	//lint:ignore SA1019 a tree from a pull request may still use the old fields
	for _, p := range k.PatchesStrategicMerge {
		refs = append(refs, string(p))
	}
	for _, p := range k.Patches {
		refs = append(refs, p.Path)
	}
	//lint:ignore SA1019 a tree from a pull request may still use the old fields
	for _, p := range k.PatchesJson6902 {
		refs = append(refs, p.Path)
	}
	for _, r := range k.Replacements {
		refs = append(refs, r.Path)
	}
	gen := func(a types.GeneratorArgs) {
		for _, f := range a.FileSources {
			// key=path names the file after the '='.
			if _, p, ok := strings.Cut(f, "="); ok {
				f = p
			}
			refs = append(refs, f)
		}
		refs = append(refs, a.EnvSources...)
		if a.EnvSource != "" {
			refs = append(refs, a.EnvSource)
		}
	}
	for _, g := range k.ConfigMapGenerator {
		gen(g.GeneratorArgs)
	}
	for _, g := range k.SecretGenerator {
		gen(g.GeneratorArgs)
	}
	for _, h := range k.HelmCharts {
		refs = append(refs, h.Repo)
	}
	if p, ok := k.OpenAPI["path"]; ok {
		refs = append(refs, p)
	}
	// Inline YAML (a patch, a transformer's configuration) is content, not
	// a name.
	out := refs[:0]
	for _, r := range refs {
		if r != "" && !strings.Contains(r, "\n") {
			out = append(out, r)
		}
	}
	return out
}

func stringsIn(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, stringsIn(x)...)
		}
		return out
	case map[string]any:
		var out []string
		for _, x := range v {
			out = append(out, stringsIn(x)...)
		}
		return out
	}
	return nil
}

// isRemote is true for every name kustomize treats as a repository to
// clone or a URL to download, and for a few more that no local file of a
// rendered tree is called: anything with a scheme, a go-getter prefix, an
// scp-like user, a github.com address, or a query such as ?ref=.
func isRemote(ref string) bool {
	r := strings.ToLower(strings.TrimSpace(ref))
	return strings.Contains(r, "://") ||
		strings.HasPrefix(r, "git::") ||
		hasSCPUser(r) ||
		strings.HasPrefix(r, "github.com/") || strings.HasPrefix(r, "github.com:") ||
		strings.Contains(r, "?")
}

// hasSCPUser is true for the user@ of an scp-like git address
// (git@github.com:org/repo): a letter, then letters, digits or '-'.
func hasSCPUser(r string) bool {
	user, _, ok := strings.Cut(r, "@")
	if !ok || user == "" || user[0] < 'a' || user[0] > 'z' {
		return false
	}
	for _, c := range user {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

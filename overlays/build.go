package overlays

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/ydpgen/ydpgen/objset"
)

// Build runs kustomize in-process on the tree's overlay of env and returns
// the objects it produces, as generic trees.
func Build(t *Tree, env string) ([]map[string]any, error) {
	fs := filesys.MakeFsInMemory()
	for _, f := range t.files {
		if err := fs.WriteFile("/"+f.Path, f.Data); err != nil {
			return nil, err
		}
	}
	rm, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, "/"+OverlayDir(env))
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", OverlayDir(env), err)
	}
	var out []map[string]any
	for _, r := range rm.Resources() {
		m, err := r.Map()
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// Verify builds every environment's overlay and checks that it gives back
// exactly that environment's objects.
func Verify(t *Tree, envs []objset.RenderedEnvironment) error {
	// Overlays build independently; use the machine's cores.
	errs := make([]error, len(envs))
	var wg sync.WaitGroup
	for i, env := range envs {
		wg.Go(func() { errs[i] = verify(t, env) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func verify(t *Tree, env objset.RenderedEnvironment) error {
	{
		built, err := Build(t, env.Name)
		if err != nil {
			return err
		}
		want := map[string]any{}
		for _, e := range env.Objects {
			want[e.ID()] = e.Content
		}
		for _, f := range env.Files {
			if f.Object != nil {
				want[f.Object.ID()] = f.Object.Content
			}
		}
		got := map[string]any{}
		for _, m := range built {
			got[idOf(m)] = m
		}
		wantN, err := objset.Canonical(want)
		if err != nil {
			return err
		}
		gotN, err := objset.Canonical(got)
		if err != nil {
			return err
		}
		if d := cmp.Diff(wantN, gotN); d != "" {
			return fmt.Errorf("overlay %s does not build to environment %s (-render +kustomize):\n%s", OverlayDir(env.Name), env.Name, d)
		}
	}
	return nil
}

func idOf(m map[string]any) string {
	apiVersion, _ := m["apiVersion"].(string)
	kind, _ := m["kind"].(string)
	md, _ := m["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	ns, _ := md["namespace"].(string)
	group, version, found := strings.Cut(apiVersion, "/")
	if !found {
		group, version = "", apiVersion
	}
	e := objset.Entry{Namespace: ns, Name: name}
	e.GVK.Group, e.GVK.Version, e.GVK.Kind = group, version, kind
	return e.ID()
}

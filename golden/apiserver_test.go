package golden

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ydpgen/ydpgen/internal/kubetest"
)

// TestGitOpsObjectsOnAPIServer sends every Argo CD and Flux object of every
// golden tree to a real kube-apiserver with those projects' CRDs installed,
// as a strict server-side dry-run: the server also runs the CRDs' CEL rules
// and formats, which the schema check of TestGitOpsObjectsDecodeStrictly
// leaves out. It must accept every object without a warning. kubetest.Start
// skips it under -short (make unit).
func TestGitOpsObjectsOnAPIServer(t *testing.T) {
	vs := variants(t)
	s := kubetest.Start(t)
	ctx := t.Context()
	if err := s.InstallCRDs(ctx, "../testdata/crds"); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range vs {
		res := renderVariant(t, v)
		g := res.Platform.Environments[0].GitOps
		var objs []*unstructured.Unstructured
		add := func(content map[string]any) {
			objs = append(objs, (&unstructured.Unstructured{Object: content}).DeepCopy())
		}
		for _, ns := range []string{g.ArgoCD.Namespace, g.Flux.Namespace} {
			add(map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}})
		}
		for _, env := range res.Environments {
			for _, e := range env.Objects {
				if e.GVK.Kind == "Namespace" {
					add(e.Content)
				}
			}
		}
		for _, o := range res.GitOps.Objects {
			add(o.Entry.Content)
			n++
		}
		r, err := s.Apply(ctx, objs, kubetest.ApplyOptions{DryRun: true})
		if err != nil {
			t.Errorf("%s: %v", v, err)
			continue
		}
		if len(r.Warnings) > 0 {
			t.Errorf("%s: the server warned: %v", v, r.Warnings)
		}
	}
	if n == 0 {
		t.Fatal("no GitOps object was sent")
	}
}

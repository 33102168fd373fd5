package e2e

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/generators/airflow"
	"github.com/ydpgen/ydpgen/internal/charttest"
	"github.com/ydpgen/ydpgen/internal/kubetest"
	"github.com/ydpgen/ydpgen/lint"
	"github.com/ydpgen/ydpgen/render"
	ydspec "github.com/ydpgen/ydpgen/spec"
)

// generatedSpecs is how many generated specs that ydpgen accepts the test
// sends to the API server; attempts bounds the search for them.
const (
	generatedSpecs = 200
	attempts       = 2000
	hydratedEvery  = 10
)

// TestE2EGeneratedSpecs is the promise "a valid spec gives only objects the
// API server accepts" tried on specs nobody wrote: each example with random
// but schema-valid names (platform, environment, namespace, PSP, release),
// hosts, network ranges, schedules, annotation keys and sizes. A spec
// ydpgen refuses is fine (that is the loader doing its job); a spec it
// accepts must render to objects the real API server admits, dry-run. The
// seed is fixed, so a failure is reproducible; YDPGEN_SEED picks another.
func TestE2EGeneratedSpecs(t *testing.T) {
	srv := server(t)
	sch, err := ydspec.New()
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(20261202)
	if s := os.Getenv("YDPGEN_SEED"); s != "" {
		if _, err := fmt.Sscan(s, &seed); err != nil {
			t.Fatalf("YDPGEN_SEED=%s: %v", s, err)
		}
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var bases []map[string]any
	for _, name := range examples(t) {
		b, err := os.ReadFile(filepath.Join("..", "examples", name, "platform.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		// The API server cannot take a SOPS file, and a generated spec has
		// no sealed files next to it: a sops example runs with the manual
		// provider here, as in the rest of this suite.
		if sp, ok := m["spec"].(map[string]any); ok {
			if sec, ok := sp["secrets"].(map[string]any); ok && sec["provider"] == "sops" {
				sp["secrets"] = map[string]any{"provider": "manual"}
			}
		}
		bases = append(bases, m)
	}
	charts := charttest.Charts(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	accepted, refused, objects, hydrated := 0, 0, 0, 0
	for i := 0; i < attempts && accepted < generatedSpecs; i++ {
		spec := mutate(rng, deepCopy(bases[rng.IntN(len(bases))]))
		// Rendering the chart costs a second or two a spec: one spec in
		// hydratedEvery renders it, the rest leave it to the engine.
		if i%hydratedEvery != 0 {
			sp, _ := spec["spec"].(map[string]any)
			af, _ := sp["airflow"].(map[string]any)
			af["chart"] = map[string]any{"hydrate": false}
		}
		src, err := yaml.Marshal(spec)
		if err != nil {
			t.Fatal(err)
		}
		file := fmt.Sprintf("generated-%d.yaml", i)
		res, err := render.Spec(sch, file, src, render.Options{Charts: charts})
		var findings diag.List
		if errors.As(err, &findings) {
			refused++
			continue
		}
		if err != nil {
			t.Fatalf("%s: ydpgen failed on a spec it did not refuse: %v\n%s", file, err, src)
		}
		// The CLI gates every render on lint errors too (YDP014 checks the
		// rendered names); refused there is refused.
		if lintErrors(t, res) {
			refused++
			continue
		}
		objs := generatedObjects(t, res)
		(&run{t: t, srv: srv, example: file}).ensureForeignNamespaces(ctx, objs)
		// Each spec gets namespaces of its own; the dry-run leaves nothing
		// else behind.
		out, err := srv.Apply(ctx, objs, kubetest.ApplyOptions{DryRun: true, KeepGoing: true})
		if err != nil || len(out.Warnings) > 0 {
			t.Fatalf("%s: ydpgen accepted the spec but the API server refused its objects: %v %q\nspec:\n%s", file, err, out.Warnings, src)
		}
		accepted++
		if i%hydratedEvery == 0 {
			hydrated++
		}
		objects += len(objs)
	}
	if accepted < generatedSpecs {
		t.Fatalf("only %d of %d attempts gave a spec ydpgen accepts (%d refused): the generator is too wild to test the promise", accepted, attempts, refused)
	}
	t.Logf("seed %d: %d generated specs accepted (%d with the chart hydrated; %d objects admitted, dry-run), %d refused by ydpgen", seed, accepted, hydrated, objects, refused)
}

// generatedObjects are every environment's objects and the engine's.
func generatedObjects(t *testing.T, res *render.Result) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	add := func(m map[string]any) {
		o, err := toUnstructured(m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	for _, env := range res.Environments {
		for _, e := range env.Objects {
			add(e.Content)
		}
	}
	for _, o := range res.GitOps.Objects {
		add(o.Entry.Content)
	}
	return out
}

// mutate changes a spec's values to random ones the schema allows.
func mutate(rng *rand.Rand, spec map[string]any) map[string]any {
	label := func(maxLen int) string {
		const first = "abcdefghijklmnopqrstuvwxyz"
		const rest = "abcdefghijklmnopqrstuvwxyz0123456789-"
		n := 1 + rng.IntN(maxLen)
		b := []byte{first[rng.IntN(len(first))]}
		for len(b) < n {
			b = append(b, rest[rng.IntN(len(rest))])
		}
		b[len(b)-1] = "abcdefghijklmnopqrstuvwxyz0123456789"[rng.IntN(36)]
		return string(b)
	}
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	// Long names are where derived names overflow; favour them.
	size := func(max int) int {
		if rng.IntN(3) == 0 {
			return max
		}
		return 3 + rng.IntN(max-2)
	}
	get := func(m map[string]any, keys ...string) map[string]any {
		for _, k := range keys {
			next, ok := m[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[k] = next
			}
			m = next
		}
		return m
	}
	get(spec, "metadata")["name"] = label(size(63))
	s := get(spec, "spec")
	ds := get(s, "datasurface")
	psp := []byte(pick("Demo_PSP", "Yellow", "X"))
	for n := size(40); len(psp) < n; {
		psp = append(psp, "abcXYZ019_- "[rng.IntN(12)])
	}
	ds["psp"] = strings.TrimRight(string(psp), " ")
	af := get(s, "airflow")
	af["releaseName"] = label(size(30))
	if api, ok := af["apiServer"].(map[string]any); ok {
		if ing, ok := api["ingress"].(map[string]any); ok {
			ing["host"] = label(20) + "." + label(30) + ".example"
			ing["annotations"] = map[string]any{"example.com/" + label(20): pick("true", "1", "a b")}
		}
	}
	get(s, "maintenance", "logCleanup")["schedule"] = pick("0 * * * *", "*/15 * * * *", "@daily", "30 2 * * 1-5", "0 0 1 * *")
	envs := get(s, "environments")
	renamed := map[string]any{}
	for _, old := range slices.Sorted(maps.Keys(envs)) {
		env, _ := envs[old].(map[string]any)
		ns := label(size(63))
		if m, ok := env["namespace"].(map[string]any); ok {
			m["name"] = ns
			np := get(m, "networkPolicy")
			np["ingressCIDRs"] = []any{fmt.Sprintf("%d.%d.0.0/%d", 1+rng.IntN(223), rng.IntN(256), 8+rng.IntN(17))}
		} else {
			env["namespace"] = ns
		}
		cl := get(env, "cluster")
		cl["nodes"] = 1 + rng.IntN(16)
		cl["nodeMemory"] = pick("8Gi", "16Gi", "32Gi", "64Gi")
		name := label(size(20))
		if _, taken := renamed[name]; taken {
			name = old
		}
		renamed[name] = env
	}
	s["environments"] = renamed
	return spec
}

// deepCopy copies a decoded YAML document; it cannot fail on one.
func deepCopy(m map[string]any) map[string]any {
	b, _ := yaml.Marshal(m)
	var out map[string]any
	_ = yaml.Unmarshal(b, &out)
	return out
}

// lintErrors runs the lint rules as the CLI does before writing a tree.
func lintErrors(t *testing.T, res *render.Result) bool {
	t.Helper()
	in := make([]lint.Rendered, len(res.Environments))
	for i, env := range res.Environments {
		in[i].Objects = env.Objects
		for _, f := range env.Files {
			if f.Path == airflow.ValuesPath {
				if err := yaml.Unmarshal(f.Data, &in[i].Values); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	findings, err := lint.Run(res.Platform, in)
	if err != nil {
		t.Fatal(err)
	}
	return findings.HasErrors()
}

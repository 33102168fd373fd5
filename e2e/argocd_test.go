package e2e

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ydpgen/ydpgen/gitops/argocd"
	"github.com/ydpgen/ydpgen/internal/fluxtest"
	"github.com/ydpgen/ydpgen/internal/kubetest"
	"github.com/ydpgen/ydpgen/model"
	ydspec "github.com/ydpgen/ydpgen/spec"
)

// argoFieldManager stands for Argo CD's application controller, which
// applies server-side (ServerSideApply=true) under this name.
const argoFieldManager = "argocd-controller"

// TestE2EArgoCDJobLifecycle plays, against the real API server, what Argo
// CD does with the objects of every example's platform Applications over
// time, as its documentation describes syncs (no Argo CD runs here: its
// sync engine does not build with this project's Go; FACTS.md): each sync
// applies the objects wave by wave, waiting for a wave to be healthy (a Job
// once complete; the test marks Jobs complete as their controller would),
// deletes and creates again every Sync hook (BeforeHookCreation), and
// prunes tracked objects that left git unless they say Prune=false; self-
// heal syncs again when a tracked object is missing; the TTL controller
// (fluxtest.ExpireJobs) deletes finished Jobs whose time to live passed.
//
// The days it plays: a first sync; the Jobs finish and expire; self-heal;
// an unrelated change of the spec (the MCP server's memory limit) synced
// twice. No Job of the same content (the same hash name) may be created
// twice, the changed Job (the smoke test, whose content is everything)
// runs once, and its predecessor is pruned. Two controls run the same days
// with the wiring the lifecycle replaced and must be caught: Jobs as Sync
// hooks, and tracked Jobs with a time to live.
//
// The chart's Jobs are not here: no chart is rendered in the tests (the
// golden and unit tests hold their values to the chart's guidance).
func TestE2EArgoCDJobLifecycle(t *testing.T) {
	srv := server(t)
	sch, err := ydspec.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range examples(t) {
		t.Run(name, func(t *testing.T) {
			for _, sc := range []argoScenario{
				{name: "ydpgen", suffix: "argo-days"},
				{name: "control: Jobs as Sync hooks", suffix: "argo-hooks", control: true, edit: asSyncHooks},
				{name: "control: tracked Jobs with a time to live", suffix: "argo-ttl", control: true, edit: withTTL},
			} {
				t.Run(sc.name, func(t *testing.T) { sc.run(t, srv, sch, name) })
			}
		})
	}
}

type argoScenario struct {
	name    string
	suffix  string // of the namespaces, so that scenarios do not meet
	control bool   // the old wiring: the check must find Jobs run twice
	edit    func(*unstructured.Unstructured)
}

func (sc argoScenario) platform(t *testing.T, sch *ydspec.Schema, example string, change bool) *model.Platform {
	t.Helper()
	p := loadExample(t, sch, example)
	for i := range p.Environments {
		env := &p.Environments[i]
		env.GitOps.Engine = model.EngineArgoCD
		if env.GitOps.RepoURL == "" {
			env.GitOps.RepoURL = "https://git.example.com/platform/" + p.Name + ".git"
		}
		env.Namespace.Name += "-" + sc.suffix
		if change {
			// Unrelated to every Job: only the smoke test, whose
			// content is everything else, follows it.
			env.DataSurface.MCPServer.Resources.Limits.Memory = "777Mi"
		}
	}
	return p
}

func (sc argoScenario) run(t *testing.T, srv *kubetest.Server, sch *ydspec.Schema, example string) {
	ctx := t.Context()
	var namespaces []string
	var renders [2][][]*unstructured.Unstructured // per render, per environment: the platform Application's objects
	for v := range renders {
		p := sc.platform(t, sch, example, v == 1)
		rd := renderPlatform(t, p)
		for i := range p.Environments {
			if v == 0 {
				namespaces = append(namespaces, p.Environments[i].Namespace.Name)
			}
			var objs []*unstructured.Unstructured
			for _, o := range rd.envs[i] {
				o = o.DeepCopy()
				if sc.edit != nil {
					sc.edit(o)
				}
				objs = append(objs, o)
			}
			renders[v] = append(renders[v], objs)
		}
	}
	jobs := &jobRuns{runs: map[string][]string{}}
	inventories := make([][]*unstructured.Unstructured, len(namespaces))
	day := func(what string, v int, now time.Time) {
		t.Logf("%s", what)
		for i := range namespaces {
			inventories[i] = argoSync(t, ctx, srv, renders[v][i], inventories[i])
		}
		jobs.observe(t, ctx, srv, namespaces)
		for _, ns := range namespaces {
			did, err := fluxtest.ExpireJobs(ctx, srv, ns, now)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range did {
				t.Log(l)
			}
		}
		jobs.observe(t, ctx, srv, namespaces)
		// Self-heal: a tracked object missing from the cluster is an
		// out-of-sync Application, which syncs again.
		for i := range namespaces {
			if missing := missingObjects(t, ctx, srv, inventories[i]); len(missing) > 0 {
				t.Logf("self-heal of %s: %s missing", namespaces[i], strings.Join(missing, ", "))
				inventories[i] = argoSync(t, ctx, srv, renders[v][i], inventories[i])
			}
		}
		jobs.observe(t, ctx, srv, namespaces)
	}
	// The TTL controller acts as if days had passed (a day more than any
	// time to live the controls render).
	later := func(days int) time.Time { return time.Now().Add(time.Duration(days) * 48 * time.Hour) }
	day("day 1: the first sync; Jobs finish and expire", 0, later(1))
	day("day 2: an unrelated change, synced", 1, later(2))
	day("day 3: synced again, nothing changed", 1, later(3))

	twice := jobs.twice()
	if sc.control {
		if len(twice) == 0 {
			t.Errorf("control: no Job ran twice with the old wiring; the check cannot fail")
		}
		t.Logf("control: Jobs run more than once, as expected of this wiring: %s", strings.Join(twice, "; "))
		return
	}
	for _, j := range twice {
		t.Errorf("a Job of the same content ran more than once: %s", j)
	}
	// The changed Job runs once; its predecessor is pruned; every Job the
	// change left alone is still the first run.
	for i, ns := range namespaces {
		before, after := jobNames(renders[0][i]), jobNames(renders[1][i])
		var added, gone []string
		for _, n := range after {
			if !slices.Contains(before, n) {
				added = append(added, n)
			}
		}
		for _, n := range before {
			if !slices.Contains(after, n) {
				gone = append(gone, n)
				if _, err := srv.Get(ctx, fluxtest.JobGVK(), ns, n); !apierrors.IsNotFound(err) {
					t.Errorf("%s: Job %s left the tree but was not pruned (get: %v)", ns, n, err)
				}
			}
		}
		if len(added) != 1 || !strings.HasPrefix(added[0], "platform-smoke-test-") || len(gone) != 1 {
			t.Errorf("%s: the change made Jobs %v and removed %v; want the smoke test renamed only", ns, added, gone)
		}
		for _, n := range added {
			if runs := jobs.runs[ns+"/"+n]; len(runs) != 1 {
				t.Errorf("%s: the changed Job %s ran %d times, want once", ns, n, len(runs))
			}
		}
		t.Logf("%s: %d Jobs, each run once; the change ran %v once and pruned %v", ns, len(after), added, gone)
	}
}

// jobRuns remembers every Job the server held, by namespace/name (ydpgen's
// Job names are their content), and each distinct UID: one run each.
type jobRuns struct {
	runs map[string][]string
}

func (j *jobRuns) observe(t *testing.T, ctx context.Context, srv *kubetest.Server, namespaces []string) {
	t.Helper()
	for _, ns := range namespaces {
		items, err := srv.List(ctx, fluxtest.JobGVK(), ns)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range items {
			k := ns + "/" + o.GetName()
			if uid := string(o.GetUID()); !slices.Contains(j.runs[k], uid) {
				j.runs[k] = append(j.runs[k], uid)
			}
		}
	}
}

func (j *jobRuns) twice() []string {
	var out []string
	for k, uids := range j.runs {
		if len(uids) > 1 {
			out = append(out, fmt.Sprintf("%s (%d runs)", k, len(uids)))
		}
	}
	sort.Strings(out)
	return out
}

func jobNames(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, o := range objs {
		if o.GroupVersionKind() == fluxtest.JobGVK() {
			out = append(out, o.GetName())
		}
	}
	return out
}

func annotation(o *unstructured.Unstructured, key string) string { return o.GetAnnotations()[key] }

// wave is an object's sync wave (0 when it has none, as in Argo CD).
func wave(t *testing.T, o *unstructured.Unstructured) int {
	s := annotation(o, argocd.SyncWave)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s: sync wave %q", describe(o), s)
	}
	return n
}

// argoSync is one sync operation of an Application whose desired state is
// objs, with prev the objects it tracked before. It returns what it tracks
// now (hooks are not tracked).
func argoSync(t *testing.T, ctx context.Context, srv *kubetest.Server, objs, prev []*unstructured.Unstructured) []*unstructured.Unstructured {
	t.Helper()
	waves := map[int][]*unstructured.Unstructured{}
	var order []int
	var tracked []*unstructured.Unstructured
	for _, o := range objs {
		w := wave(t, o)
		if _, ok := waves[w]; !ok {
			order = append(order, w)
		}
		waves[w] = append(waves[w], o)
		if annotation(o, argocd.Hook) == "" {
			tracked = append(tracked, o)
		}
	}
	slices.Sort(order)
	for _, w := range order {
		var apply []*unstructured.Unstructured
		for _, o := range waves[w] {
			if annotation(o, argocd.Hook) == "" {
				apply = append(apply, o)
				continue
			}
			// A hook with BeforeHookCreation (the default policy): the
			// previous run is deleted, and the hook created anew.
			if p := annotation(o, argocd.HookDeletePolicy); p != "" && p != "BeforeHookCreation" {
				t.Fatalf("%s: hook delete policy %s is not played here", describe(o), p)
			}
			if err := srv.Delete(ctx, o.GroupVersionKind(), o.GetNamespace(), o.GetName()); err != nil {
				t.Fatal(err)
			}
			apply = append(apply, o)
		}
		if _, err := srv.Apply(ctx, apply, kubetest.ApplyOptions{FieldManager: argoFieldManager}); err != nil {
			t.Fatalf("wave %d: %v", w, err)
		}
		// The wave is healthy once its Jobs complete.
		for _, o := range apply {
			if o.GroupVersionKind() != fluxtest.JobGVK() {
				continue
			}
			live, err := srv.Get(ctx, o.GroupVersionKind(), o.GetNamespace(), o.GetName())
			if err != nil {
				t.Fatal(err)
			}
			if c, ok := fluxtest.FindCondition(live, "Complete"); ok && c.Status == "True" {
				continue
			}
			if err := fluxtest.MarkJobComplete(ctx, srv, o.GetNamespace(), o.GetName()); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Pruning: what the Application tracked and git no longer has, last
	// (PruneLast=true), unless the object says Prune=false.
	keep := map[string]bool{}
	for _, o := range tracked {
		keep[objectKey(o)] = true
	}
	for _, o := range prev {
		if keep[objectKey(o)] || strings.Contains(annotation(o, argocd.SyncOptions), "Prune=false") {
			continue
		}
		if err := srv.Delete(ctx, o.GroupVersionKind(), o.GetNamespace(), o.GetName()); err != nil {
			t.Fatal(err)
		}
	}
	return tracked
}

func missingObjects(t *testing.T, ctx context.Context, srv *kubetest.Server, objs []*unstructured.Unstructured) []string {
	t.Helper()
	var out []string
	for _, o := range objs {
		_, err := srv.Get(ctx, o.GroupVersionKind(), o.GetNamespace(), o.GetName())
		if apierrors.IsNotFound(err) {
			out = append(out, describe(o))
		} else if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// asSyncHooks is the wiring ydpgen had: every Job a Sync hook with
// BeforeHookCreation.
func asSyncHooks(o *unstructured.Unstructured) {
	if o.GroupVersionKind() != fluxtest.JobGVK() {
		return
	}
	a := o.GetAnnotations()
	a[argocd.Hook] = "Sync"
	a[argocd.HookDeletePolicy] = "BeforeHookCreation"
	o.SetAnnotations(a)
}

// withTTL gives every Job a time to live, as ydpgen's Jobs had.
func withTTL(o *unstructured.Unstructured) {
	if o.GroupVersionKind() == fluxtest.JobGVK() {
		_ = unstructured.SetNestedField(o.Object, int64(86400), "spec", "ttlSecondsAfterFinished")
	}
}

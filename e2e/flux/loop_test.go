package flux

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ydpgen/ydpgen/internal/fluxtest"
	"github.com/ydpgen/ydpgen/internal/gitserver"
	"github.com/ydpgen/ydpgen/internal/kubetest"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

const (
	// roundTimeout bounds one commit's sync. Alone on two cores a round
	// takes seconds; the shared test machines can be far slower, and a
	// failed wait: true health check takes 30 s or more to be reported.
	roundTimeout = 6 * time.Minute
	pollInterval = 250 * time.Millisecond
	// immutableMessage is how the API server refuses a changed Job.
	immutableMessage = "field is immutable"
)

func TestE2EFlux(t *testing.T) {
	if testing.Short() {
		t.Skip("starts kube-apiserver, etcd and two Flux controllers")
	}
	for _, src := range treeSources(t) {
		t.Run(src.name, func(t *testing.T) { runLoop(t, src) })
	}
}

// loop is one run of the GitOps loop: servers, the two trees and what the
// test knows about them.
type loop struct {
	t      *testing.T
	ctx    context.Context
	kube   *kubetest.Server
	flux   *fluxtest.Controllers
	repo   *gitserver.Repo
	trees  [2]string // the repository's work tree per commit
	roots  [2]string // where the rendered tree starts in it
	boot   [2][]*unstructured.Unstructured
	stages []stage
	want   [2]map[string]objectSet // by stage key
	rec    *recorder
}

func runLoop(t *testing.T, src treeSource) {
	began := time.Now()
	ctx := t.Context()
	l := &loop{t: t, ctx: ctx}

	l.kube = kubetest.Start(t)
	git := gitserver.Start(t)
	repo, err := git.NewRepo("platform")
	if err != nil {
		t.Fatal(err)
	}
	l.repo = repo
	urls := sourceURLs{git: repo.URL(), helm: fluxtest.ServeHelmRepository(t)}
	t.Logf("git repository %s; Helm repository %s (stand-ins for the spec's repositories)", urls.git, urls.helm)
	ttls := 0
	for v := range l.trees {
		l.trees[v] = t.TempDir()
		sub, err := src.write(l.trees[v], v, urls)
		if err != nil {
			t.Fatalf("writing tree %d: %v", v+1, err)
		}
		l.roots[v] = filepath.Join(l.trees[v], filepath.FromSlash(sub))
		n, err := shortenTTLs(l.trees[v])
		if err != nil {
			t.Fatalf("tree %d: %v", v+1, err)
		}
		ttls += n
	}
	t.Logf("Jobs with a time to live in the two trees: %d (shortened to %s for the TTL stand-in)", ttls, shortTTL)
	l.flux = fluxtest.Start(t, l.kube)
	started := time.Since(began)

	l.plan()
	l.checkScenario()

	var kinds []schema.GroupVersionKind
	seen := map[schema.GroupVersionKind]bool{fluxtest.JobGVK(): true}
	kinds = append(kinds, fluxtest.JobGVK())
	for v := range l.want {
		for _, set := range l.want[v] {
			for _, id := range set.ids() {
				gvk := set[id].GroupVersionKind()
				if !seen[gvk] {
					seen[gvk] = true
					kinds = append(kinds, gvk)
				}
			}
		}
	}
	recCtx, stopRec := context.WithCancel(ctx)
	l.rec = startRecorder(t, recCtx, l.kube, kinds)
	stopStandIn := l.standIn()
	// Stop the watches and the stand-in before the servers (cleanups run
	// last-in, first-out).
	t.Cleanup(func() { stopStandIn(); stopRec() })

	// Round 1: the first commit, and the bootstrap apply a user does once.
	l.rec.setRound(1)
	rev1, at1 := l.commit(0, "ydpgen render")
	l.applyBootstrap(0)
	r1 := l.waitRound(1, rev1, at1, nil)
	l.checkRound(1, r1)

	// Round 2: the changed tree. Flux is asked to look now rather than at
	// its next interval. The changed Flux objects are applied once the
	// source has the new commit, as the Kustomization that syncs gitops/
	// after a flux bootstrap would: applied earlier, a stage could start a
	// health check for a Job its old revision does not hold, and
	// kustomize-controller would wait for it until the stage's timeout.
	l.rec.setRound(2)
	rev2, at2 := l.commit(1, "ydpgen render after a spec change")
	l.requestReconcile(at2, fluxtest.GitRepositoryGVK())
	l.waitSource(2, rev2, at2)
	l.applyBootstrap(1)
	l.requestReconcile(at2, fluxtest.KustomizationGVK())
	r2 := l.waitRound(2, rev2, at2, l.want[0])
	l.checkRound(2, r2)
	l.checkChange(r1, r2)

	// Round 3: days later, nothing new in git.
	r3 := l.roundThree(r2.revision, ttls)
	l.checkLogs()

	for _, err := range l.rec.errors() {
		t.Errorf("recorder: %v", err)
	}
	l.report([]roundResult{r1, r2})
	var parts []string
	for i, d := range r3 {
		what := fmt.Sprintf("reconcile %d", i+1)
		if i == 2 {
			what = "TTL control's reconcile"
		}
		parts = append(parts, fmt.Sprintf("%s %s", what, d.Round(10*time.Millisecond)))
	}
	t.Logf("round 3 (every Kustomization reconciled, nothing new in git): %s", strings.Join(parts, ", "))
	rss := l.flux.PeakRSS()
	t.Logf("suite %s: %s in all (%s to start kube-apiserver, etcd and both controllers); peak RSS source-controller %d MiB, kustomize-controller %d MiB",
		src.name, time.Since(began).Round(100*time.Millisecond), started.Round(100*time.Millisecond),
		rss["source-controller"]>>20, rss["kustomize-controller"]>>20)
}

// plan reads the bootstrap objects and stages of both trees and builds
// every stage locally for the objects it must hold.
func (l *loop) plan() {
	t := l.t
	var stageKeys [2][]string
	for v := range l.trees {
		boot, err := bootstrapObjects(l.roots[v])
		if err != nil {
			t.Fatalf("tree %d: %v", v+1, err)
		}
		l.boot[v] = boot
		stages, err := stagesOf(boot)
		if err != nil {
			t.Fatalf("tree %d: %v", v+1, err)
		}
		if v == 0 {
			l.stages = stages
		}
		l.want[v] = map[string]objectSet{}
		for _, s := range stages {
			stageKeys[v] = append(stageKeys[v], s.key())
			set, err := expectedObjects(l.trees[v], s, namespacedFunc(l.kube))
			if err != nil {
				t.Fatalf("tree %d: %v", v+1, err)
			}
			if len(set) == 0 {
				t.Fatalf("tree %d: Kustomization %s (path %s) holds no objects", v+1, s.key(), s.path)
			}
			l.want[v][s.key()] = set
		}
	}
	if strings.Join(stageKeys[0], ",") != strings.Join(stageKeys[1], ",") {
		t.Fatalf("the change adds or removes stages (%v, then %v); this loop checks a change within stages", stageKeys[0], stageKeys[1])
	}
	for v := range l.want {
		if err := namespacesFirst(l.stages, l.want[v]); err != nil {
			t.Errorf("tree %d: %v", v+1, err)
		}
	}
	for _, s := range l.stages {
		t.Logf("stage %s: path %s, dependsOn %v, wait %v, %d health checks, force %v, %d objects",
			s.key(), s.path, s.dependsOn, s.wait, s.healthChecks, s.force, len(l.want[0][s.key()]))
	}
}

// checkScenario makes sure the second tree changes what the issue asks
// for, so that the loop cannot pass by having nothing to do: a Job renamed
// by its hash, a ConfigMap changed in place, and an object removed.
func (l *loop) checkScenario() {
	d := l.diff()
	var problems []string
	if len(d.renamedJobs) == 0 {
		problems = append(problems, "no Job gets a new hash name")
	}
	if len(d.changedConfigMaps) == 0 {
		problems = append(problems, "no ConfigMap changes a value under the same name")
	}
	if len(d.removed) == 0 {
		problems = append(problems, "no object is removed")
	}
	if len(problems) > 0 {
		l.t.Fatalf("the change between the two trees does not exercise the loop: %s (for a rendered example, see changeSpec)", strings.Join(problems, "; "))
	}
	l.t.Logf("the change: Jobs renamed %v; ConfigMaps changed %v; objects removed %v; objects added %v; objects changed %v",
		d.renamedJobs, d.changedConfigMaps, d.removed, d.added, d.changed)
}

type treeDiff struct {
	added, removed, changed []string // inventory IDs
	renamedJobs             []string // "old -> new"
	changedConfigMaps       []string
}

func (l *loop) diff() treeDiff {
	var d treeDiff
	before, after := objectSet{}, objectSet{}
	for _, s := range l.stages {
		for id, o := range l.want[0][s.key()] {
			before[id] = o
		}
		for id, o := range l.want[1][s.key()] {
			after[id] = o
		}
	}
	for _, id := range after.ids() {
		o, ok := before[id]
		switch {
		case !ok:
			d.added = append(d.added, id)
		case !sameDesired(o, after[id]):
			d.changed = append(d.changed, id)
			if o.GetKind() == "ConfigMap" && o.GroupVersionKind().Group == "" {
				d.changedConfigMaps = append(d.changedConfigMaps, id)
			}
		}
	}
	for _, id := range before.ids() {
		if _, ok := after[id]; !ok {
			d.removed = append(d.removed, id)
		}
	}
	// A renamed Job: gone and added with the same name up to the last
	// '-', the hash suffix.
	for _, gone := range d.removed {
		o := before[gone]
		if o.GroupVersionKind() != fluxtest.JobGVK() {
			continue
		}
		for _, id := range d.added {
			n := after[id]
			if n.GroupVersionKind() == fluxtest.JobGVK() && n.GetNamespace() == o.GetNamespace() && hashBase(n.GetName()) == hashBase(o.GetName()) {
				d.renamedJobs = append(d.renamedJobs, o.GetName()+" -> "+n.GetName())
			}
		}
	}
	return d
}

func hashBase(name string) string {
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		return name[:i]
	}
	return name
}

// commit records tree v in the repository.
func (l *loop) commit(v int, msg string) (string, time.Time) {
	rev, err := l.repo.Commit(l.trees[v], msg)
	if err != nil {
		l.t.Fatalf("commit of tree %d: %v", v+1, err)
	}
	l.t.Logf("round %d: committed %s", v+1, rev)
	return rev, time.Now()
}

// applyBootstrap applies the objects under gitops/ of tree v, retrying an
// object whose namespace a stage has not created yet.
func (l *loop) applyBootstrap(v int) {
	t := l.t
	// Flux's own namespace exists wherever Flux is installed; create it if
	// the spec names another than the one the controllers run in.
	nsGVK := schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}
	for _, o := range l.boot[v] {
		gk := o.GroupVersionKind().GroupKind()
		if gk != fluxtest.GitRepositoryGVK().GroupKind() && gk != fluxtest.KustomizationGVK().GroupKind() {
			continue
		}
		if _, err := l.kube.Get(l.ctx, nsGVK, "", o.GetNamespace()); !apierrors.IsNotFound(err) {
			continue
		}
		ns := &unstructured.Unstructured{}
		ns.SetGroupVersionKind(nsGVK)
		ns.SetName(o.GetNamespace())
		if _, err := l.kube.Apply(l.ctx, []*unstructured.Unstructured{ns}, kubetest.ApplyOptions{FieldManager: "ydpgen-bootstrap"}); err != nil {
			t.Fatalf("creating Flux's namespace %s: %v", o.GetNamespace(), err)
		}
		t.Logf("created namespace %s, where the tree keeps its Flux objects", o.GetNamespace())
	}
	pending := l.boot[v]
	deadline := time.Now().Add(roundTimeout)
	for len(pending) > 0 {
		var next []*unstructured.Unstructured
		var lastErr error
		for _, o := range pending {
			res, err := l.kube.Apply(l.ctx, []*unstructured.Unstructured{o}, kubetest.ApplyOptions{FieldManager: "ydpgen-bootstrap"})
			if err != nil {
				if apierrors.IsNotFound(err) {
					next, lastErr = append(next, o), err
					continue
				}
				t.Fatalf("bootstrap apply of tree %d: %v", v+1, err)
			}
			if len(res.Warnings) > 0 {
				t.Errorf("bootstrap apply of %s: warnings %v", describe(o), res.Warnings)
			}
		}
		if len(next) > 0 && time.Now().After(deadline) {
			t.Fatalf("bootstrap apply of tree %d: still failing after %s: %v", v+1, roundTimeout, lastErr)
		}
		if len(next) > 0 {
			time.Sleep(pollInterval)
		}
		pending = next
	}
}

// requestReconcile asks the controller of every bootstrap object of kind
// gvk to act on it now (what `flux reconcile` does).
func (l *loop) requestReconcile(at time.Time, gvk schema.GroupVersionKind) {
	stamp := at.UTC().Format(time.RFC3339Nano)
	n := 0
	for _, o := range l.boot[1] {
		if o.GroupVersionKind().GroupKind() != gvk.GroupKind() {
			continue
		}
		if err := fluxtest.RequestReconcile(l.ctx, l.kube, o.GroupVersionKind(), o.GetNamespace(), o.GetName(), stamp); err != nil {
			l.t.Fatalf("requesting a reconcile of %s: %v", describe(o), err)
		}
		n++
	}
	l.t.Logf("round 2: set %s=%s on %d %s objects", fluxtest.ReconcileRequestAnnotation, stamp, n, gvk.Kind)
}

// waitSource waits until source-controller has the commit's artifact.
func (l *loop) waitSource(n int, commit string, at time.Time) {
	want := fmt.Sprintf("%s@sha1:%s", gitserver.Branch, commit)
	deadline := time.Now().Add(roundTimeout)
	for !l.sourceHas(want) {
		if time.Now().After(deadline) {
			l.t.Fatalf("round %d: source-controller has no artifact of %s after %s", n, want, roundTimeout)
		}
		time.Sleep(pollInterval)
	}
	l.t.Logf("round %d: source-controller has %s after %s; applying the tree's Flux objects", n, want, time.Since(at).Round(10*time.Millisecond))
}

// standIn runs fluxtest.StandIn and the TTL stand-in
// (fluxtest.ExpireJobs) until the returned function is called.
func (l *loop) standIn() (stop func()) {
	ctx, cancel := context.WithCancel(l.ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			did, err := fluxtest.StandIn(ctx, l.kube)
			for _, line := range did {
				l.t.Log(line)
			}
			if err != nil && ctx.Err() == nil {
				l.t.Errorf("stand-in: %v", err)
			}
			// The TTL-after-finished controller, the whole time.
			did, err = fluxtest.ExpireJobs(ctx, l.kube, "", time.Now())
			for _, line := range did {
				l.t.Log(line)
			}
			if err != nil && ctx.Err() == nil {
				l.t.Errorf("TTL stand-in: %v", err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(pollInterval):
			}
		}
	})
	return func() { cancel(); wg.Wait() }
}

// roundResult is what one commit's sync took.
type roundResult struct {
	n          int
	revision   string // as Flux writes it: main@sha1:<hash>
	source     time.Duration
	ready      map[string]time.Duration // by stage key, from the commit
	readyOrder []string
	inventory  map[string][]string // by stage key
}

// waitRound waits until the GitRepository has the commit's artifact and
// every stage is Ready with it applied. It fails at once if a stage
// reports an immutable field, and clears the finalizers of Namespaces the
// round prunes (no namespace controller runs to finish them).
func (l *loop) waitRound(n int, commit string, at time.Time, previous map[string]objectSet) roundResult {
	t := l.t
	want := fmt.Sprintf("%s@sha1:%s", gitserver.Branch, commit)
	r := roundResult{n: n, revision: want, ready: map[string]time.Duration{}, inventory: map[string][]string{}}
	pruned := l.prunedNamespaces(n, previous)
	deadline := time.Now().Add(roundTimeout)
	var gitReady bool
	for {
		if !gitReady {
			gitReady = l.sourceHas(want)
			if gitReady {
				r.source = time.Since(at)
				t.Logf("round %d: source-controller has %s after %s", n, want, r.source.Round(10*time.Millisecond))
			}
		}
		for _, s := range l.stages {
			if _, done := r.ready[s.key()]; done {
				continue
			}
			k, err := l.kube.Get(l.ctx, fluxtest.KustomizationGVK(), s.namespace, s.name)
			if err != nil {
				t.Fatalf("reading Kustomization %s: %v", s.key(), err)
			}
			for _, c := range []string{"Ready", "Healthy"} {
				if cond, ok := fluxtest.FindCondition(k, c); ok && strings.Contains(cond.Message, immutableMessage) {
					t.Fatalf("round %d: Kustomization %s reports an immutable field: %s", n, s.key(), cond.Message)
				}
			}
			ready, _ := fluxtest.IsReady(k)
			applied, _, _ := unstructured.NestedString(k.Object, "status", "lastAppliedRevision")
			if ready && applied == want {
				r.ready[s.key()] = time.Since(at)
				r.readyOrder = append(r.readyOrder, s.key())
				r.inventory[s.key()] = inventoryOf(k)
			}
		}
		l.finalizeNamespaces(pruned)
		if gitReady && len(r.ready) == len(l.stages) {
			return r
		}
		if time.Now().After(deadline) {
			l.dumpStages(n, want)
			t.Fatalf("round %d: not every stage Ready with %s after %s (source fetched: %v)", n, want, roundTimeout, gitReady)
		}
		time.Sleep(pollInterval)
	}
}

func (l *loop) sourceHas(revision string) bool {
	for _, o := range l.boot[0] {
		if o.GroupVersionKind().GroupKind() != fluxtest.GitRepositoryGVK().GroupKind() {
			continue
		}
		g, err := l.kube.Get(l.ctx, o.GroupVersionKind(), o.GetNamespace(), o.GetName())
		if err != nil {
			return false
		}
		rev, _, _ := unstructured.NestedString(g.Object, "status", "artifact", "revision")
		if ready, _ := fluxtest.IsReady(g); !ready || rev != revision {
			return false
		}
	}
	return true
}

func inventoryOf(k *unstructured.Unstructured) []string {
	entries, _, _ := unstructured.NestedSlice(k.Object, "status", "inventory", "entries")
	var ids []string
	for _, e := range entries {
		if m, ok := e.(map[string]any); ok {
			if id, ok := m["id"].(string); ok {
				ids = append(ids, id)
			}
		}
	}
	sort.Strings(ids)
	return ids
}

func (l *loop) dumpStages(n int, want string) {
	for _, s := range l.stages {
		k, err := l.kube.Get(l.ctx, fluxtest.KustomizationGVK(), s.namespace, s.name)
		if err != nil {
			l.t.Logf("round %d: Kustomization %s: %v", n, s.key(), err)
			continue
		}
		ready, c := fluxtest.IsReady(k)
		applied, _, _ := unstructured.NestedString(k.Object, "status", "lastAppliedRevision")
		l.t.Logf("round %d: Kustomization %s: ready %v (want %s, applied %q): %s: %s", n, s.key(), ready, want, applied, c.Reason, c.Message)
	}
}

// prunedNamespaces lists the Namespaces the previous round held and this
// round's tree drops.
func (l *loop) prunedNamespaces(n int, previous map[string]objectSet) []string {
	var out []string
	for key, set := range previous {
		for id, o := range set {
			if o.GroupVersionKind().GroupKind() != (schema.GroupKind{Kind: "Namespace"}) {
				continue
			}
			if _, kept := l.want[n-1][key][id]; !kept {
				out = append(out, o.GetName())
			}
		}
	}
	sort.Strings(out)
	return out
}

// finalizeNamespaces empties spec.finalizers of each named Namespace that
// is Terminating, as the namespace controller would once it has deleted
// the Namespace's contents.
func (l *loop) finalizeNamespaces(names []string) {
	gvk := schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}
	for _, name := range names {
		ns, err := l.kube.Get(l.ctx, gvk, "", name)
		if apierrors.IsNotFound(err) || (err == nil && ns.GetDeletionTimestamp() == nil) {
			continue
		}
		if err != nil {
			l.t.Fatalf("reading Namespace %s: %v", name, err)
		}
		fins, _, _ := unstructured.NestedSlice(ns.Object, "spec", "finalizers")
		if len(fins) == 0 {
			continue
		}
		if err := unstructured.SetNestedSlice(ns.Object, []any{}, "spec", "finalizers"); err != nil {
			l.t.Fatal(err)
		}
		m, err := l.kube.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			l.t.Fatal(err)
		}
		if _, err := l.kube.Dynamic().Resource(m.Resource).Update(l.ctx, ns, metav1.UpdateOptions{}, "finalize"); err != nil && !apierrors.IsNotFound(err) {
			l.t.Fatalf("finalizing Namespace %s: %v", name, err)
		}
		l.t.Logf("standing in for the namespace controller: cleared the finalizers of pruned Namespace %s", name)
	}
}

// checkRound compares each stage's inventory and live objects with the
// local build of its path, and checks the creation order across dependsOn.
func (l *loop) checkRound(n int, r roundResult) {
	t := l.t
	want := l.want[n-1]
	for _, s := range l.stages {
		exp := want[s.key()].ids()
		if got := r.inventory[s.key()]; strings.Join(got, "\n") != strings.Join(exp, "\n") {
			t.Errorf("round %d: Kustomization %s inventory:\n  have %v\n  want %v", n, s.key(), got, exp)
		}
		for _, id := range exp {
			o := want[s.key()][id]
			live, err := l.kube.Get(l.ctx, o.GroupVersionKind(), o.GetNamespace(), o.GetName())
			if err != nil {
				t.Errorf("round %d: %s of stage %s: %v", n, id, s.key(), err)
				continue
			}
			if diffs := notIn(desiredContent(o), live.Object, ""); len(diffs) > 0 {
				t.Errorf("round %d: %s of stage %s differs from the tree:\n  %s", n, id, s.key(), strings.Join(diffs, "\n  "))
			}
		}
	}
	// Objects a stage created in this round came after those its
	// dependencies created in this round, and it became Ready after them.
	created := l.createdIn(n)
	idx := map[string]int{}
	for i, k := range r.readyOrder {
		idx[k] = i
	}
	for _, s := range l.stages {
		for _, dep := range s.dependsOn {
			if r.ready[s.key()] < r.ready[dep] || idx[s.key()] < idx[dep] {
				t.Errorf("round %d: stage %s was Ready (%s) before its dependency %s (%s)", n, s.key(), r.ready[s.key()], dep, r.ready[dep])
			}
			mine, theirs := created[s.key()], created[dep]
			if len(mine) == 0 || len(theirs) == 0 {
				continue
			}
			if first, last := minRev(mine), maxRev(theirs); first.revision <= last.revision {
				t.Errorf("round %d: %s (stage %s) was created at revision %d, before %s (stage %s, which it depends on) at %d",
					n, first.id, s.key(), first.revision, last.id, dep, last.revision)
			}
		}
	}
	var counts []string
	for _, s := range l.stages {
		counts = append(counts, fmt.Sprintf("%s %d", s.name, len(created[s.key()])))
	}
	t.Logf("round %d: objects created per stage: %s", n, strings.Join(counts, ", "))
}

type createdObject struct {
	id       string
	revision int64
}

// createdIn returns, by stage, the objects of this round's tree that the
// recorder saw created during round n.
func (l *loop) createdIn(n int) map[string][]createdObject {
	out := map[string][]createdObject{}
	for _, s := range l.stages {
		for _, id := range l.want[n-1][s.key()].ids() {
			o := l.want[n-1][s.key()][id]
			live, err := l.kube.Get(l.ctx, o.GroupVersionKind(), o.GetNamespace(), o.GetName())
			if err != nil {
				continue // reported by checkRound
			}
			c, ok := l.rec.lookup(id, string(live.GetUID()))
			if !ok {
				l.t.Errorf("round %d: the recorder never saw %s created", n, id)
				continue
			}
			if c.round == n {
				out[s.key()] = append(out[s.key()], createdObject{id: id, revision: c.revision})
			}
		}
	}
	return out
}

func minRev(objs []createdObject) createdObject {
	m := objs[0]
	for _, o := range objs[1:] {
		if o.revision < m.revision {
			m = o
		}
	}
	return m
}

func maxRev(objs []createdObject) createdObject {
	m := objs[0]
	for _, o := range objs[1:] {
		if o.revision > m.revision {
			m = o
		}
	}
	return m
}

// checkChange checks what the second commit did: removed objects are gone,
// renamed Jobs were created in round 2, and objects kept under the same
// name were not recreated (a Job recreated by force would have a new UID).
func (l *loop) checkChange(r1, r2 roundResult) {
	t := l.t
	d := l.diff()
	before := objectSet{}
	for _, set := range l.want[0] {
		for id, o := range set {
			before[id] = o
		}
	}
	for _, id := range d.removed {
		o := before[id]
		_, err := l.kube.Get(l.ctx, o.GroupVersionKind(), o.GetNamespace(), o.GetName())
		if !apierrors.IsNotFound(err) {
			t.Errorf("round 2: %s was removed from the tree but not pruned (get: %v)", id, err)
		}
	}
	created := map[string]bool{}
	for _, objs := range l.createdIn(2) {
		for _, o := range objs {
			created[o.id] = true
		}
	}
	for _, id := range d.added {
		if !created[id] {
			t.Errorf("round 2: %s is new in the tree but was not created during round 2", id)
		}
	}
	changed := map[string]bool{}
	for _, id := range d.changed {
		changed[id] = true
	}
	for _, set := range l.want[1] {
		for _, id := range set.ids() {
			_, existed := before[id]
			switch {
			case existed && created[id] && changed[id]:
				// A changed object of a forced stage that the server
				// could not patch (a Job) is replaced.
				t.Logf("round 2: %s changed under the same name and was replaced", id)
			case existed && created[id]:
				t.Errorf("round 2: %s was deleted and created again though it did not change", id)
			}
		}
	}
	t.Logf("round 2: removed from the tree and gone from the cluster: %v; new in the tree and created: %v", d.removed, d.added)
}

// checkLogs looks for immutable-field errors the conditions may have
// hidden between two polls.
func (l *loop) checkLogs() {
	p := l.flux.LogPath("kustomize-controller")
	b, err := os.ReadFile(p)
	if err != nil {
		l.t.Errorf("reading %s: %v", p, err)
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, immutableMessage) {
			l.t.Errorf("kustomize-controller logged an immutable-field error: %s", line)
		}
	}
}

// report prints, per stage and round, the time from the commit to Ready
// and the object counts.
func (l *loop) report(rounds []roundResult) {
	w := len("source (GitRepository artifact)")
	for _, s := range l.stages {
		w = max(w, len(s.key()))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s %5s %7s %8s  %s\n", w, "stage (Kustomization)", "round", "objects", "ready", "kinds")
	for _, r := range rounds {
		fmt.Fprintf(&b, "%-*s %5d %7s %8s  %s\n", w, "source (GitRepository artifact)", r.n, "-", r.source.Round(10*time.Millisecond), r.revision)
		for _, s := range l.stages {
			fmt.Fprintf(&b, "%-*s %5d %7d %8s  %s\n", w, s.key(), r.n, len(r.inventory[s.key()]),
				r.ready[s.key()].Round(10*time.Millisecond), kindCounts(r.inventory[s.key()]))
		}
	}
	l.t.Logf("time from commit to Ready, per stage:\n%s", b.String())
}

func kindCounts(ids []string) string {
	n := map[string]int{}
	for _, id := range ids {
		_, _, gk, err := parseID(id)
		if err != nil {
			continue
		}
		n[gk.Kind]++
	}
	kinds := make([]string, 0, len(n))
	for k := range n {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var parts []string
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s %d", k, n[k]))
	}
	return strings.Join(parts, ", ")
}

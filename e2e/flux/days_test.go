package flux

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/ydpgen/ydpgen/internal/fluxtest"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// shortTTL is what the loop shortens every Job's time to live to, so that
// the TTL stand-in expires finished Jobs within the round instead of a day
// later.
const shortTTL = 2 * time.Second

// jobTTL matches a Job's own time to live in a rendered file (two spaces
// in: the Job's spec; a CronJob's is deeper and its Jobs never run here).
var jobTTL = regexp.MustCompile(`(?m)^  ttlSecondsAfterFinished: [0-9]+$`)

// shortenTTLs rewrites, in every YAML file under dir that holds a Job, the
// Job's ttlSecondsAfterFinished to shortTTL, and returns how many it
// changed.
func shortenTTLs(dir string) (int, error) {
	n := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || (filepath.Ext(p) != ".yaml" && filepath.Ext(p) != ".yml") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(b), "\nkind: Job\n") {
			return err
		}
		found := len(jobTTL.FindAllIndex(b, -1))
		if found == 0 {
			return nil
		}
		n += found
		out := jobTTL.ReplaceAll(b, []byte(fmt.Sprintf("  ttlSecondsAfterFinished: %d", int(shortTTL.Seconds()))))
		return os.WriteFile(p, out, 0o644)
	})
	return n, err
}

// liveState is, per inventory ID, the UID and resourceVersion of the live
// object.
type liveState map[string]string

func (l *loop) liveState() liveState {
	out := liveState{}
	for _, s := range l.stages {
		for id, o := range l.want[1][s.key()] {
			live, err := l.kube.Get(l.ctx, o.GroupVersionKind(), o.GetNamespace(), o.GetName())
			switch {
			case apierrors.IsNotFound(err):
				out[id] = "missing"
			case err != nil:
				l.t.Fatalf("reading %s: %v", id, err)
			default:
				out[id] = string(live.GetUID()) + "@" + live.GetResourceVersion()
			}
		}
	}
	return out
}

// changedSince lists what differs between two live states.
func changedSince(before, after liveState) []string {
	var out []string
	for id, b := range before {
		if a := after[id]; a != b {
			out = append(out, fmt.Sprintf("%s: %s -> %s", id, b, a))
		}
	}
	sort.Strings(out)
	return out
}

// reconcileAll asks every Kustomization to reconcile now (flux reconcile)
// and waits until each has handled that request, Ready with revision rev.
func (l *loop) reconcileAll(n int, rev string) time.Duration {
	at := time.Now()
	stamp := at.UTC().Format(time.RFC3339Nano)
	for _, s := range l.stages {
		if err := fluxtest.RequestReconcile(l.ctx, l.kube, fluxtest.KustomizationGVK(), s.namespace, s.name, stamp); err != nil {
			l.t.Fatalf("requesting a reconcile of %s: %v", s.key(), err)
		}
	}
	deadline := time.Now().Add(roundTimeout)
	for {
		done := 0
		for _, s := range l.stages {
			k, err := l.kube.Get(l.ctx, fluxtest.KustomizationGVK(), s.namespace, s.name)
			if err != nil {
				l.t.Fatalf("reading %s: %v", s.key(), err)
			}
			handled, _, _ := unstructured.NestedString(k.Object, "status", "lastHandledReconcileAt")
			applied, _, _ := unstructured.NestedString(k.Object, "status", "lastAppliedRevision")
			if ready, _ := fluxtest.IsReady(k); ready && handled == stamp && applied == rev {
				done++
			}
		}
		if done == len(l.stages) {
			return time.Since(at)
		}
		if time.Now().After(deadline) {
			l.dumpStages(n, rev)
			l.t.Fatalf("round %d: the Kustomizations did not all handle the reconcile request %s within %s", n, stamp, roundTimeout)
		}
		time.Sleep(pollInterval)
	}
}

// checkNothingRan is the third round's rule: no object was created in
// round n (a Job created again is a Job run again) and no live object
// changed. It returns the violations.
func (l *loop) checkNothingRan(n int, before liveState) []string {
	var out []string
	for _, id := range l.rec.createdDuring(n) {
		out = append(out, "created again: "+id)
	}
	for _, c := range changedSince(before, l.liveState()) {
		out = append(out, "changed: "+c)
	}
	return out
}

// roundThree is the platform's later days: the Jobs of round 2 finished
// and expired (when they have a time to live; ydpgen's have none and are
// kept), and Flux reconciles twice more, as it does every interval. No Job
// may be created and nothing may change. The Jobs round 2 renamed ran
// once. Then a control: a Job given a time to live after the fact expires,
// and the next reconcile creates it again; the same check must see it.
func (l *loop) roundThree(rev string, ttls int) []time.Duration {
	t := l.t
	l.rec.setRound(3)
	if ttls > 0 {
		time.Sleep(shortTTL + time.Second)
		t.Logf("round 3: %s passed since the Jobs finished, more than the %d times to live shortened to %s", shortTTL+time.Second, ttls, shortTTL)
	} else {
		t.Logf("round 3: no Job of the tree has a time to live; the finished Jobs are kept")
	}
	before := l.liveState()
	var took []time.Duration
	for i := range 2 {
		took = append(took, l.reconcileAll(3, rev))
		t.Logf("round 3: reconcile %d of every Kustomization handled in %s", i+1, took[i].Round(10*time.Millisecond))
	}
	for _, v := range l.checkNothingRan(3, before) {
		t.Errorf("round 3: %s", v)
	}
	d := l.diff()
	for _, r := range d.renamedJobs {
		newName := r[strings.Index(r, " -> ")+4:]
		for _, id := range d.added {
			if !strings.Contains(id, "_"+newName+"_") {
				continue
			}
			if n := l.rec.creations(id); n != 1 {
				t.Errorf("round 3: the changed Job %s was created %d times, want once", newName, n)
			} else {
				t.Logf("round 3: the changed Job %s ran once", newName)
			}
		}
	}
	if t.Failed() {
		return took
	}
	took = append(took, l.ttlControl(rev, before))
	return took
}

// ttlControl gives one live Job a time to live of one second (another
// field manager's field, which Flux's apply leaves alone), lets the TTL
// stand-in expire it and reconciles: kustomize-controller creates the Job
// again, which is the re-run the lifecycle prevents, and checkNothingRan
// must report it.
func (l *loop) ttlControl(rev string, before liveState) time.Duration {
	t := l.t
	var job *unstructured.Unstructured
	for _, s := range l.stages {
		for _, id := range l.want[1][s.key()].ids() {
			if o := l.want[1][s.key()][id]; job == nil && o.GroupVersionKind() == fluxtest.JobGVK() {
				job = o
			}
		}
	}
	if job == nil {
		t.Fatal("control: the tree has no Job")
	}
	gvr, err := l.kube.RESTMapper().RESTMapping(fluxtest.JobGVK().GroupKind(), "v1")
	if err != nil {
		t.Fatal(err)
	}
	ri := l.kube.Dynamic().Resource(gvr.Resource).Namespace(job.GetNamespace())
	live, err := ri.Get(l.ctx, job.GetName(), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ri.Patch(l.ctx, job.GetName(), types.MergePatchType, []byte(`{"spec":{"ttlSecondsAfterFinished":1}}`),
		metav1.PatchOptions{FieldManager: "ydpgen-ttl-control"}); err != nil {
		t.Fatalf("control: giving Job %s a time to live: %v", job.GetName(), err)
	}
	deadline := time.Now().Add(roundTimeout)
	for {
		cur, err := ri.Get(l.ctx, job.GetName(), metav1.GetOptions{})
		if apierrors.IsNotFound(err) || (err == nil && cur.GetUID() != live.GetUID()) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("control: Job %s did not expire (get: %v)", job.GetName(), err)
		}
		time.Sleep(pollInterval)
	}
	took := l.reconcileAll(3, rev)
	found := l.checkNothingRan(3, before)
	hit := false
	for _, v := range found {
		hit = hit || strings.HasPrefix(v, "created again: ") && strings.Contains(v, "_"+job.GetName()+"_")
	}
	if !hit {
		t.Errorf("control: a Job that expired was not seen created again by the next reconcile; the round-3 check cannot fail (it saw %q)", found)
	} else {
		t.Logf("control: Job %s, given a 1 s time to live, expired and kustomize-controller created it again (%s): the re-run ydpgen's Jobs avoid by having none",
			job.GetName(), took.Round(10*time.Millisecond))
	}
	return took
}

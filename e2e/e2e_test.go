package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ydpgen/ydpgen/gitops"
	"github.com/ydpgen/ydpgen/internal/crdschema"
	"github.com/ydpgen/ydpgen/internal/kubetest"
	"github.com/ydpgen/ydpgen/kube/labels"
	"github.com/ydpgen/ydpgen/model"
	ydspec "github.com/ydpgen/ydpgen/spec"
)

// fieldManager is the server-side apply manager of the suite, standing in
// for the GitOps engine's.
const fieldManager = "ydpgen-e2e"

const (
	managedByLabel = "app.kubernetes.io/managed-by"
	// platformLabel names the platform on every object under every engine
	// (under Argo CD, app.kubernetes.io/instance is Argo CD's).
	platformLabel = labels.Platform
	enforceLabel  = "pod-security.kubernetes.io/enforce"
)

// TestE2EExamples applies every example, for every environment and every
// GitOps engine the spec schema allows, to a real API server: dry-run,
// apply, re-apply without change; then again after a spec change, with
// pruning.
func TestE2EExamples(t *testing.T) {
	srv := server(t)
	sch, err := ydspec.New()
	if err != nil {
		t.Fatal(err)
	}
	crds, err := crdschema.LoadDir(crdDir)
	if err != nil {
		t.Fatal(err)
	}
	engines := supportedEngines(t, sch)
	t.Logf("GitOps engines the schema allows: %q", engines)
	for _, name := range examples(t) {
		t.Run(name, func(t *testing.T) {
			runEngines := engines
			if len(runEngines) == 0 {
				// The schema has no engine choice: the spec's own.
				runEngines = []string{""}
			}
			for _, engine := range runEngines {
				label := engine
				if label == "" {
					label = "spec"
				}
				t.Run(label, func(t *testing.T) {
					r := &run{t: t, srv: srv, sch: sch, crds: crds, example: name, engine: engine}
					r.exercise()
				})
			}
		})
	}
}

// run is one example with one engine.
type run struct {
	t       *testing.T
	srv     *kubetest.Server
	sch     *ydspec.Schema
	crds    *crdschema.Set
	example string
	engine  string // "" for the spec's own
}

func (r *run) load() *model.Platform {
	p := loadExample(r.t, r.sch, r.example)
	if r.engine != "" {
		withEngine(r.t, p, r.engine)
	}
	return p
}

func (r *run) exercise() {
	t := r.t
	ctx := t.Context()
	p := r.load()
	first := renderPlatform(t, p)
	r.logCounts("render", first)
	r.checkNamespaces(p, first)
	if t.Failed() {
		return
	}

	r.ensureForeignNamespaces(ctx, first.all)
	if !r.applyThrice(ctx, "render", first.all) {
		return
	}
	r.checkStoredNamespaces(ctx, p)
	r.checkPodSecurityEnforced(ctx, p)
	r.checkDataSurfacePodAdmitted(ctx, p)

	// A stale object ydpgen owned that no render has: pruning must take it
	// away even when the spec change below removes nothing.
	stale := r.staleObject(p)
	if _, err := r.srv.Apply(ctx, []*unstructured.Unstructured{stale}, kubetest.ApplyOptions{FieldManager: fieldManager}); err != nil {
		t.Fatalf("applying the stale control object: %v", err)
	}

	// The spec changes; the new tree applies over the old one.
	p2 := r.load()
	for i := range p2.Environments {
		env := &p2.Environments[i]
		t.Logf("%s: spec change: %s", env.Name, strings.Join(changeSpec(env), "; "))
	}
	second := renderPlatform(t, p2)
	r.logCounts("after the spec change", second)
	for _, job := range r.jobsChangedInPlace(first, second) {
		if err := r.srv.Delete(ctx, job.GroupVersionKind(), job.GetNamespace(), job.GetName()); err != nil {
			t.Fatalf("deleting Job %s/%s to re-create it: %v", job.GetNamespace(), job.GetName(), err)
		}
	}
	if !r.applyThrice(ctx, "changed render", second.all) {
		return
	}
	if p2.Environments[0].GitOps.Engine == model.EngineNone {
		r.deleteStaleJobs(ctx, p2, first, second)
	}
	r.prune(ctx, p2, first, second, stale)
}

func (r *run) name(env string) string {
	e := r.engine
	if e == "" {
		e = "spec's engine"
	}
	return fmt.Sprintf("%s/%s (engine %s)", r.example, env, e)
}

func (r *run) logCounts(when string, rd *rendered) {
	for i, env := range rd.result.Environments {
		objs := rd.envs[i]
		r.t.Logf("%s %s: %d objects: %s", r.name(env.Name), when, len(objs), kindCounts(objs))
	}
	r.t.Logf("%s gitops tree %s: %d objects: %s", r.example, when, len(rd.gitops), kindCounts(rd.gitops))
}

// checkNamespaces: every environment's overlay has its Namespace, carrying
// the Pod Security level the environment resolved to (restricted unless
// the spec chose otherwise), and every object ydpgen renders carries the
// labels that pruning relies on.
func (r *run) checkNamespaces(p *model.Platform, rd *rendered) {
	t := r.t
	for i, env := range p.Environments {
		var ns *unstructured.Unstructured
		for _, o := range rd.envs[i] {
			if o.GetKind() == "Namespace" && o.GetAPIVersion() == "v1" && o.GetName() == env.Namespace.Name {
				ns = o
			}
		}
		if ns == nil {
			t.Errorf("%s: the overlay has no Namespace %s", r.name(env.Name), env.Namespace.Name)
			continue
		}
		want := env.Namespace.PodSecurity
		if want == "" {
			t.Errorf("%s: the environment resolved to no Pod Security level", r.name(env.Name))
		}
		// Enforced at the spec's level; warnings and audit at restricted.
		for mode, level := range map[string]string{"enforce": want, "audit": "restricted", "warn": "restricted"} {
			if got := ns.GetLabels()["pod-security.kubernetes.io/"+mode]; got != level {
				t.Errorf("%s: Namespace %s has pod-security.kubernetes.io/%s=%q, want %q", r.name(env.Name), ns.GetName(), mode, got, level)
			}
		}
	}
	for _, o := range rd.all {
		l := o.GetLabels()
		if l[managedByLabel] != labels.ManagedBy || l[platformLabel] != p.Name {
			t.Errorf("%s: %s lacks %s=%s and %s=%s, so pruning cannot find it", r.example, describe(o),
				managedByLabel, labels.ManagedBy, platformLabel, p.Name)
		}
	}
}

// ensureForeignNamespaces creates, for real, the namespaces objects are
// placed in that the render does not create itself (a GitOps engine's own,
// say): without them even a dry-run fails.
func (r *run) ensureForeignNamespaces(ctx context.Context, objs []*unstructured.Unstructured) {
	own := map[string]bool{}
	for _, o := range objs {
		if o.GetKind() == "Namespace" && o.GetAPIVersion() == "v1" {
			own[o.GetName()] = true
		}
	}
	var foreign []string
	for _, o := range objs {
		if ns := o.GetNamespace(); ns != "" && !own[ns] && !slices.Contains(foreign, ns) {
			foreign = append(foreign, ns)
		}
	}
	nsGVK := schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}
	for _, ns := range foreign {
		if _, err := r.srv.Get(ctx, nsGVK, "", ns); err == nil {
			continue
		}
		o := &unstructured.Unstructured{}
		o.SetGroupVersionKind(nsGVK)
		o.SetName(ns)
		o.SetLabels(map[string]string{"ydpgen.dev/e2e": "foreign-namespace"})
		if _, err := r.srv.Apply(ctx, []*unstructured.Unstructured{o}, kubetest.ApplyOptions{FieldManager: "ydpgen-e2e-setup"}); err != nil {
			r.t.Fatalf("creating namespace %s: %v", ns, err)
		}
		r.t.Logf("%s: created namespace %s, which the render uses but does not create", r.example, ns)
	}
}

// applyThrice sends objs with a server-side dry-run, then for real, then
// again, and checks that the server took every object without a warning
// and that the third send wrote nothing. A write there that changes
// neither content nor managed fields is the server's own bookkeeping (it
// stores what it defaulted on read; see kubetest.ObjectResult.Changed):
// then one more send must write nothing at all. It reports every
// rejection, not only the first, and returns false if the server rejected
// anything.
func (r *run) applyThrice(ctx context.Context, what string, objs []*unstructured.Unstructured) bool {
	t := r.t
	ok := true
	steps := []string{"dry-run", "apply", "re-apply"}
	for i := 0; i < len(steps); i++ {
		step := steps[i]
		opts := kubetest.ApplyOptions{
			DryRun:       step == "dry-run",
			FieldManager: fieldManager,
			KeepGoing:    true,
			// No force: a field another manager took would be a conflict.
			NoForce: true,
		}
		res, err := r.srv.Apply(ctx, objs, opts)
		for _, w := range res.Warnings {
			t.Errorf("%s %s of the %s: the server warned: %s", r.example, step, what, w)
			ok = false
		}
		if err != nil {
			r.reportRejections(step, what, objs, res, err)
			return false
		}
		if len(res.Objects) != len(objs) {
			t.Errorf("%s %s of the %s: %d results for %d objects", r.example, step, what, len(res.Objects), len(objs))
			ok = false
		}
		if opts.DryRun {
			t.Logf("%s %s of the %s: %d objects accepted", r.example, step, what, len(res.Objects))
			continue
		}
		created := 0
		for _, o := range res.Objects {
			if o.Created {
				created++
			}
		}
		t.Logf("%s %s of the %s: %d objects accepted, %d created, %d written", r.example, step, what, len(res.Objects), created, len(res.Changed()))
		if step == "apply" {
			continue
		}
		bookkeeping := 0
		for _, o := range res.Changed() {
			if step == "re-apply" && !o.ContentChanged && !o.ManagedFieldsChanged {
				bookkeeping++
				t.Logf("%s: the server wrote %s %s/%s again without a change (resourceVersion %s -> %s): its own bookkeeping",
					r.example, o.GVK.Kind, o.Namespace, o.Name, o.ResourceVersionBefore, o.ResourceVersionAfter)
				continue
			}
			t.Errorf("%s: %s of the same %s changed %s %s/%s (resourceVersion %s -> %s, content changed: %v, managed fields changed: %v)",
				r.example, step, what, o.GVK.Kind, o.Namespace, o.Name, o.ResourceVersionBefore, o.ResourceVersionAfter, o.ContentChanged, o.ManagedFieldsChanged)
			ok = false
		}
		if bookkeeping > 0 {
			steps = append(steps, "settled re-apply")
		}
	}
	return ok
}

func (r *run) reportRejections(step, what string, objs []*unstructured.Unstructured, res kubetest.ApplyResult, err error) {
	t := r.t
	byKey := map[string]*unstructured.Unstructured{}
	for _, o := range objs {
		byKey[objectKey(o)] = o
	}
	n := 0
	for _, o := range res.Objects {
		if o.Err == nil {
			continue
		}
		n++
		msg := o.Err.Error()
		if o.GVK.Kind == "Job" && strings.Contains(msg, "field is immutable") {
			msg += "\n    (a Job whose template changed kept its name: its name must change with its content)"
		}
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(o.GVK)
		u.SetNamespace(o.Namespace)
		u.SetName(o.Name)
		if orig, ok := byKey[objectKey(u)]; ok {
			for _, le := range strictLocal(orig, r.crds) {
				msg += "\n    strict local decode: " + le.Error()
			}
		}
		t.Errorf("%s %s of the %s: rejected: %s", r.example, step, what, shorten(msg))
	}
	if n == 0 {
		t.Errorf("%s %s of the %s: %v", r.example, step, what, err)
	}
}

// checkStoredNamespaces reads each environment's Namespace back: the Pod
// Security labels reached the server.
func (r *run) checkStoredNamespaces(ctx context.Context, p *model.Platform) {
	for _, env := range p.Environments {
		ns, err := r.srv.Get(ctx, schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}, "", env.Namespace.Name)
		if err != nil {
			r.t.Errorf("%s: reading namespace %s: %v", r.name(env.Name), env.Namespace.Name, err)
			continue
		}
		if got := ns.GetLabels()[enforceLabel]; got != env.Namespace.PodSecurity {
			r.t.Errorf("%s: stored namespace %s has %s=%q, want %q", r.name(env.Name), ns.GetName(), enforceLabel, got, env.Namespace.PodSecurity)
		}
	}
}

// checkPodSecurityEnforced proves the label is enforced: the server refuses
// a privileged Pod in each rendered namespace.
func (r *run) checkPodSecurityEnforced(ctx context.Context, p *model.Platform) {
	for _, env := range p.Environments {
		ensureDefaultServiceAccount(r.t, r.srv, env.Namespace.Name)
		pod := privilegedPod(env.Namespace.Name)
		_, err := r.srv.Apply(ctx, []*unstructured.Unstructured{pod}, kubetest.ApplyOptions{DryRun: true, FieldManager: fieldManager})
		if err == nil {
			r.t.Errorf("%s: a privileged Pod was admitted to namespace %s; Pod Security is not enforced", r.name(env.Name), env.Namespace.Name)
			continue
		}
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "violates PodSecurity") {
			r.t.Errorf("%s: a privileged Pod in %s: want a Pod Security refusal, got %v", r.name(env.Name), env.Namespace.Name, err)
		}
	}
}

// checkDataSurfacePodAdmitted proves that the namespace admits the pods
// DataSurface's DAG starts (KubernetesPodOperator pods, whose shape comes
// from DataSurface, not ydpgen): no security context, the default service
// account, the DataSurface image, the git cache and a workspace mounted.
// The server's dry-run create admits it, and warns that "restricted" would
// not: the namespace warns at restricted while enforcing less.
func (r *run) checkDataSurfacePodAdmitted(ctx context.Context, p *model.Platform) {
	for _, env := range p.Environments {
		ensureDefaultServiceAccount(r.t, r.srv, env.Namespace.Name)
		pod := dataSurfaceTaskPod(&env)
		res, err := r.srv.Apply(ctx, []*unstructured.Unstructured{pod}, kubetest.ApplyOptions{DryRun: true, FieldManager: fieldManager})
		if err != nil {
			r.t.Errorf("%s: a DataSurface task pod was refused in namespace %s (enforce %s): %v", r.name(env.Name), env.Namespace.Name, env.Namespace.PodSecurity, err)
			continue
		}
		if env.Namespace.PodSecurity != "restricted" && !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, `violate PodSecurity "restricted`) }) {
			r.t.Errorf("%s: the DataSurface task pod in %s drew no restricted warning: %q", r.name(env.Name), env.Namespace.Name, res.Warnings)
		}
	}
}

// dataSurfaceTaskPod is shaped like the pods DataSurface's infrastructure DAG
// starts in its public template: no security context and no pull secrets
// of its own, the namespace's default service account, the DataSurface
// image, the git cache claim and an emptyDir workspace.
func dataSurfaceTaskPod(env *model.Environment) *unstructured.Unstructured {
	n := env.DataSurfaceNames()
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "Pod",
		"metadata":   map[string]any{"name": "e2e-datasurface-task", "namespace": env.Namespace.Name},
		"spec": map[string]any{
			"restartPolicy": "Never",
			"containers": []any{map[string]any{
				"name":    "base",
				"image":   env.DataSurface.Image.Ref(),
				"command": []any{"python", "-m", "datasurface.platforms.yellow.jobs"},
				"volumeMounts": []any{
					map[string]any{"name": "git-model-cache", "mountPath": model.DataSurfaceGitCachePath},
					map[string]any{"name": "workspace", "mountPath": model.DataSurfaceWorkspacePath},
				},
			}},
			"volumes": []any{
				map[string]any{"name": "git-model-cache", "persistentVolumeClaim": map[string]any{"claimName": n.GitCacheClaim}},
				map[string]any{"name": "workspace", "emptyDir": map[string]any{}},
			},
		},
	}}
}

// ensureDefaultServiceAccount makes the ServiceAccount that a cluster's
// controller manager puts in every namespace; without it the server refuses
// any Pod before Pod Security admission sees it. It carries no ydpgen
// label, so pruning leaves it alone.
func ensureDefaultServiceAccount(t *testing.T, srv *kubetest.Server, ns string) {
	t.Helper()
	sa := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "ServiceAccount",
		"metadata":   map[string]any{"name": "default", "namespace": ns},
	}}
	if _, err := srv.Apply(t.Context(), []*unstructured.Unstructured{sa}, kubetest.ApplyOptions{FieldManager: "ydpgen-e2e-setup"}); err != nil {
		t.Fatalf("creating the default ServiceAccount of %s: %v", ns, err)
	}
}

// shorten keeps each line of a server message readable: an invalid Job
// template comes back as a dump of the whole Go struct.
func shorten(msg string) string {
	const max = 800
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		if len(l) > max {
			lines[i] = l[:max/2] + fmt.Sprintf(" [... %d characters ...] ", len(l)-max) + l[len(l)-max/2:]
		}
	}
	return strings.Join(lines, "\n")
}

func privilegedPod(ns string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "Pod",
		"metadata":   map[string]any{"name": "e2e-privileged", "namespace": ns},
		"spec": map[string]any{
			"containers": []any{map[string]any{
				"name":            "main",
				"image":           "busybox:1.36",
				"securityContext": map[string]any{"privileged": true},
			}},
		},
	}}
}

// staleObject is a ConfigMap labelled as ydpgen's that no render contains,
// in the first environment's namespace.
func (r *run) staleObject(p *model.Platform) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata": map[string]any{
			"name":      "e2e-stale",
			"namespace": p.Environments[0].Namespace.Name,
			"labels":    map[string]any{managedByLabel: labels.ManagedBy, platformLabel: p.Name},
		},
		"data": map[string]any{"left": "over"},
	}}
}

// jobsChangedInPlace compares the Jobs of two renders. A Job's template
// cannot change under the same name, so a Job whose content changes must
// get a new name: ydpgen names Jobs <name>-<hash of their content>. It
// logs the renames and returns the Jobs whose template changed but whose
// name did not, for the caller to re-create as Flux's force or Argo CD's
// Replace would. Such a Job is an error when its name carries a content
// hash (the hash missed a change); a Job without one is noted only, so
// that the suite passes with generators that do not hash yet.
func (r *run) jobsChangedInPlace(before, after *rendered) []*unstructured.Unstructured {
	jobs := func(rd *rendered) map[string]*unstructured.Unstructured {
		m := map[string]*unstructured.Unstructured{}
		for _, o := range rd.all {
			if o.GetKind() == "Job" && o.GroupVersionKind().Group == "batch" {
				m[o.GetNamespace()+"/"+o.GetName()] = o
			}
		}
		return m
	}
	old, cur := jobs(before), jobs(after)
	var gone, added, inPlace, hashedInPlace []string
	var inPlaceJobs []*unstructured.Unstructured
	for j, o := range old {
		n, ok := cur[j]
		if !ok {
			gone = append(gone, j)
			continue
		}
		a, _, _ := unstructured.NestedFieldNoCopy(o.Object, "spec", "template")
		b, _, _ := unstructured.NestedFieldNoCopy(n.Object, "spec", "template")
		if !reflect.DeepEqual(canonical(r.t, a), canonical(r.t, b)) {
			inPlaceJobs = append(inPlaceJobs, n)
			if hashSuffixed(n.GetName()) {
				hashedInPlace = append(hashedInPlace, j)
			} else {
				inPlace = append(inPlace, j)
			}
		}
	}
	for j := range cur {
		if _, ok := old[j]; !ok {
			added = append(added, j)
		}
	}
	slices.Sort(gone)
	slices.Sort(added)
	slices.Sort(inPlace)
	slices.Sort(hashedInPlace)
	r.t.Logf("%s Jobs: %d before, %d after; no longer rendered: %q; new names: %q", r.example, len(old), len(cur), gone, added)
	if len(hashedInPlace) > 0 {
		r.t.Errorf("%s: Jobs %q changed their template but kept their content-hash names: a cluster refuses the change (field is immutable)", r.example, hashedInPlace)
	}
	if len(inPlace) > 0 {
		r.t.Logf("%s: NOTE: Jobs %q changed their template under the same name and have no content hash in it; a cluster refuses that (field is immutable), so they are deleted and re-created here, as Flux's force or Argo CD's Replace would do", r.example, inPlace)
	}
	return inPlaceJobs
}

// hashSuffixed reports whether a name ends in what looks like a content
// hash: a last segment of 8 to 16 lowercase letters and digits with at
// least one digit (postgres-bootstrap-c890747548; not ring1-init).
func hashSuffixed(name string) bool {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return false
	}
	seg := name[i+1:]
	if len(seg) < 8 || len(seg) > 16 || !strings.ContainsAny(seg, "0123456789") {
		return false
	}
	for _, c := range seg {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// prune deletes what the first render had and the second has not, as a
// GitOps engine with pruning on does, and checks exactly that is gone.
func (r *run) prune(ctx context.Context, p *model.Platform, before, after *rendered, stale *unstructured.Unstructured) {
	t := r.t
	var kinds []schema.GroupVersionKind
	var namespaces []string
	for _, o := range slices.Concat(before.all, after.all, []*unstructured.Unstructured{stale}) {
		if gvk := o.GroupVersionKind(); !slices.Contains(kinds, gvk) {
			kinds = append(kinds, gvk)
		}
		if ns := o.GetNamespace(); ns != "" && !slices.Contains(namespaces, ns) {
			namespaces = append(namespaces, ns)
		}
	}
	slices.Sort(namespaces)
	selector := managedByLabel + "=" + labels.ManagedBy + "," + platformLabel + "=" + p.Name

	keep := map[string]bool{}
	for _, o := range after.all {
		keep[objectKey(o)] = true
	}
	want := []string{describe(stale)}
	for _, o := range before.all {
		l := o.GetLabels()
		if o.GetNamespace() != "" && !keep[objectKey(o)] && l[managedByLabel] == labels.ManagedBy && l[platformLabel] == p.Name {
			// The plain tree's README deleted its stale Jobs already.
			if _, err := r.srv.Get(ctx, o.GroupVersionKind(), o.GetNamespace(), o.GetName()); apierrors.IsNotFound(err) {
				continue
			}
			want = append(want, describe(o))
		}
	}
	slices.Sort(want)

	warnedBefore := len(r.srv.Warnings())
	deleted, err := r.srv.Prune(ctx, kubetest.PruneOptions{Namespaces: namespaces, Kinds: kinds, Selector: selector, Keep: after.all})
	if err != nil {
		t.Errorf("%s: prune: %v", r.example, err)
		return
	}
	var got []string
	for _, d := range deleted {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(d.GVK)
		u.SetNamespace(d.Namespace)
		u.SetName(d.Name)
		got = append(got, describe(u))
		if _, err := r.srv.Get(ctx, d.GVK, d.Namespace, d.Name); !apierrors.IsNotFound(err) {
			t.Errorf("%s: pruned %s is still there (get: %v)", r.example, d, err)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("%s: pruned %q, want %q", r.example, got, want)
	}
	t.Logf("%s: pruned %d objects: %q", r.example, len(got), got)
	// What is rendered is all still there.
	for _, o := range after.all {
		if _, err := r.srv.Get(ctx, o.GroupVersionKind(), o.GetNamespace(), o.GetName()); err != nil {
			t.Errorf("%s: %s after the prune: %v", r.example, describe(o), err)
		}
	}
	for _, w := range r.srv.Warnings()[warnedBefore:] {
		t.Errorf("%s: the server warned during the prune: %s", r.example, w)
	}
}

// deleteStaleJobs runs, with kubectl against the suite's server, the
// command the plain tree's README gives to delete the Jobs a new name
// replaced, and checks that exactly those went.
func (r *run) deleteStaleJobs(ctx context.Context, p *model.Platform, before, after *rendered) {
	t := r.t
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatal("kubectl is not installed; the plain tree's README commands need it (make deps installs it)")
	}
	jobs := func(rd *rendered) map[string]*unstructured.Unstructured {
		m := map[string]*unstructured.Unstructured{}
		for _, o := range rd.all {
			if o.GetKind() == "Job" {
				m[objectKey(o)] = o
			}
		}
		return m
	}
	old, cur := jobs(before), jobs(after)
	for i := range p.Environments {
		cmd := gitops.StaleJobsCommand(p.Name, &p.Environments[i], after.result.Environments[i])
		c := exec.CommandContext(ctx, "sh", "-c", cmd)
		c.Env = append(os.Environ(), "KUBECONFIG="+r.srv.KubeconfigPath(), "PATH="+filepath.Dir(kubectl)+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: the README's stale-Job command failed: %v\n%s\n%s", r.name(p.Environments[i].Name), err, cmd, out)
		}
		t.Logf("%s: %s\n%s", r.name(p.Environments[i].Name), cmd, out)
	}
	gone := 0
	for k, o := range old {
		_, err := r.srv.Get(ctx, o.GroupVersionKind(), o.GetNamespace(), o.GetName())
		_, kept := cur[k]
		switch {
		case kept && err != nil:
			t.Errorf("%s: the stale-Job command deleted the current Job %s (get: %v)", r.example, describe(o), err)
		case !kept && !apierrors.IsNotFound(err):
			t.Errorf("%s: the stale-Job command left the replaced Job %s (get: %v)", r.example, describe(o), err)
		case !kept:
			gone++
		}
	}
	if gone == 0 {
		t.Errorf("%s: the spec change replaced no Job, so the stale-Job command was not exercised", r.example)
	}
}

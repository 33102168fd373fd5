package kubetest

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/ydpgen/ydpgen/internal/proc"
	"github.com/ydpgen/ydpgen/internal/toolcache"
)

// One server for all subtests: starting it is the expensive part.
func TestKubeAPIServer(t *testing.T) {
	skipIfShort(t)
	s := Start(t)

	t.Run("kubeconfig", func(t *testing.T) { testKubeconfig(t, s) })
	t.Run("valid objects apply and re-apply changes nothing", func(t *testing.T) { testValidObjects(t, s) })
	t.Run("bare namespace settles after one bookkeeping write", func(t *testing.T) { testBareNamespace(t, s) })
	t.Run("negative controls", func(t *testing.T) { testNegativeControls(t, s) })
	t.Run("CRDs install and accept minimal instances", func(t *testing.T) { testCRDs(t, s) })
	t.Run("custom resource with status defaults settles after one bookkeeping write", func(t *testing.T) { testStatusDefaults(t, s) })
	t.Run("every problem is reported", func(t *testing.T) { testEveryProblem(t, s) })
	t.Run("conflicts without force", func(t *testing.T) { testConflicts(t, s) })
	t.Run("prune", func(t *testing.T) { testPrune(t, s) })
	t.Run("kubectl through Env", func(t *testing.T) { testKubectlEnv(t, s) })
}

// Stop ends both processes, removes the run directory, and may be called
// again.
func TestKubeStop(t *testing.T) {
	skipIfShort(t)
	s, err := Launch(t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	pids := []int{}
	for _, p := range s.procs {
		pids = append(pids, p.PID())
	}
	if len(pids) != 2 {
		t.Fatalf("server started %d processes, want 2 (etcd, kube-apiserver)", len(pids))
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	for _, pid := range pids {
		// Signal 0 probes for the process; ours have been reaped by Wait.
		if alive, err := proc.Exists(pid); alive || err != nil {
			t.Errorf("process %d still exists after Stop (%v)", pid, err)
		}
	}
	if _, err := os.Stat(s.RunDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("run directory %s still exists after Stop (stat: %v)", s.RunDir(), err)
	}
}

// skipIfShort keeps `go test -short` (make unit) free of API servers.
func skipIfShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: needs a kube-apiserver")
	}
}

// mustDecode parses YAML test fixtures.
func mustDecode(t *testing.T, y string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := DecodeObjects([]byte(y))
	if err != nil {
		t.Fatalf("decoding fixture: %v", err)
	}
	return objs
}

func requireNoWarnings(t *testing.T, what string, warnings []string) {
	t.Helper()
	if len(warnings) > 0 {
		t.Errorf("%s: server returned %d warning(s):\n  %s", what, len(warnings), strings.Join(warnings, "\n  "))
	}
}

func testKubeconfig(t *testing.T, s *Server) {
	// The kubeconfig must work on its own: CA from the server's self-signed
	// certificate (no insecure-skip-verify) and the admin token.
	cfg, err := clientcmd.BuildConfigFromFlags("", s.KubeconfigPath())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Insecure {
		t.Error("kubeconfig skips TLS verification")
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	v, err := dc.ServerVersion()
	if err != nil {
		t.Fatalf("server version through the kubeconfig: %v", err)
	}
	if v.GitVersion != "v1.34.4" || v.Major != "1" || v.Minor != "34" {
		t.Errorf("server reports version %q (major %q, minor %q), want v1.34.4 (1, 34)", v.GitVersion, v.Major, v.Minor)
	}
}

const validObjects = `
apiVersion: v1
kind: Namespace
metadata:
  name: kubetest-valid
  labels:
    app.kubernetes.io/part-of: demo
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: kubetest-valid
  labels:
    app.kubernetes.io/name: demo
data:
  LOG_LEVEL: info
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: config-reader
  namespace: kubetest-valid
rules:
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "list", "watch"]
`

func testValidObjects(t *testing.T, s *Server) {
	ctx := t.Context()
	objs := mustDecode(t, validObjects)

	first, err := s.Apply(ctx, objs, ApplyOptions{})
	if err != nil {
		t.Fatalf("first apply: %v", err)
	}
	requireNoWarnings(t, "first apply", first.Warnings)
	if len(first.Objects) != 3 {
		t.Fatalf("first apply reported %d objects, want 3", len(first.Objects))
	}
	for _, o := range first.Objects {
		if !o.Created || !o.Changed || o.DryRun {
			t.Errorf("first apply of %s %s: created=%v changed=%v dryRun=%v, want created and changed, not dry-run", o.GVK.Kind, o.Name, o.Created, o.Changed, o.DryRun)
		}
	}

	second, err := s.Apply(ctx, objs, ApplyOptions{})
	if err != nil {
		t.Fatalf("second apply: %v", err)
	}
	requireNoWarnings(t, "second apply", second.Warnings)
	if changed := second.Changed(); len(changed) != 0 {
		for _, o := range changed {
			t.Errorf("second identical apply changed %s %s/%s (resourceVersion %s -> %s)", o.GVK.Kind, o.Namespace, o.Name, o.ResourceVersionBefore, o.ResourceVersionAfter)
		}
	}
	for _, o := range second.Objects {
		if o.Created || o.ResourceVersionBefore == "" || o.ResourceVersionBefore != o.ResourceVersionAfter {
			t.Errorf("second apply of %s %s: created=%v resourceVersion %q -> %q", o.GVK.Kind, o.Name, o.Created, o.ResourceVersionBefore, o.ResourceVersionAfter)
		}
	}

	// A dry-run of a modified object reports the change but stores nothing.
	modified := mustDecode(t, validObjects)
	cmGVK := schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}
	for _, o := range modified {
		if o.GroupVersionKind() == cmGVK {
			if err := unstructured.SetNestedField(o.Object, "debug", "data", "LOG_LEVEL"); err != nil {
				t.Fatal(err)
			}
		}
	}
	dry, err := s.Apply(ctx, modified, ApplyOptions{DryRun: true})
	if err != nil {
		t.Fatalf("dry-run apply: %v", err)
	}
	requireNoWarnings(t, "dry-run apply", dry.Warnings)
	for _, o := range dry.Objects {
		wantChanged := o.GVK == cmGVK
		wantDry := o.GVK.Kind != "Namespace"
		if o.Changed != wantChanged || o.DryRun != wantDry {
			t.Errorf("dry-run apply of %s %s: changed=%v dryRun=%v, want changed=%v dryRun=%v", o.GVK.Kind, o.Name, o.Changed, o.DryRun, wantChanged, wantDry)
		}
	}
	stored, err := s.Get(ctx, cmGVK, "kubetest-valid", "settings")
	if err != nil {
		t.Fatal(err)
	}
	if lvl, _, _ := unstructured.NestedString(stored.Object, "data", "LOG_LEVEL"); lvl != "info" {
		t.Errorf("after a dry-run the stored LOG_LEVEL is %q, want it unchanged (info)", lvl)
	}

	cms, err := s.List(ctx, cmGVK, "kubetest-valid")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, cm := range cms {
		names = append(names, cm.GetName())
	}
	if !slices.Contains(names, "settings") {
		t.Errorf("ConfigMaps in kubetest-valid = %v, want settings among them", names)
	}

	roleGVK := schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "Role"}
	if err := s.Delete(ctx, roleGVK, "kubetest-valid", "config-reader"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := s.Get(ctx, roleGVK, "kubetest-valid", "config-reader"); !apierrors.IsNotFound(err) {
		t.Errorf("Get after Delete: err = %v, want NotFound", err)
	}
	requireNoWarnings(t, "whole server", s.Warnings())
}

// Each of these must be refused by the server; if one is accepted, the
// harness is not really validating anything.
func testNegativeControls(t *testing.T, s *Server) {
	const ns = `
apiVersion: v1
kind: Namespace
metadata:
  name: kubetest-negative
`
	cases := []struct {
		name    string
		object  string
		dryRun  bool
		wantMsg string // a fragment the server's error must contain
		// anyStatus accepts a status other than Invalid or BadRequest.
		anyStatus bool
	}{
		{
			name:   "Job with restartPolicy Always",
			dryRun: true,
			object: `
apiVersion: batch/v1
kind: Job
metadata:
  name: bad-restart
  namespace: kubetest-negative
spec:
  template:
    spec:
      restartPolicy: Always
      containers:
      - name: main
        image: busybox:1.36
        command: ["true"]
`,
			wantMsg: "restartPolicy",
		},
		{
			name:   "CronJob with an invalid schedule",
			dryRun: true,
			object: `
apiVersion: batch/v1
kind: CronJob
metadata:
  name: bad-schedule
  namespace: kubetest-negative
spec:
  schedule: "not a schedule"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: main
            image: busybox:1.36
            command: ["true"]
`,
			wantMsg: "schedule",
		},
		{
			name: "unknown field under strict field validation",
			object: `
apiVersion: v1
kind: ConfigMap
metadata:
  name: bad-field
  namespace: kubetest-negative
dataz:
  key: value
`,
			// Server-side apply refuses undeclared fields while building
			// the typed patch (HTTP 500), before fieldValidation applies.
			wantMsg:   `.dataz: field not declared in schema`,
			anyStatus: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			objs := append(mustDecode(t, ns), mustDecode(t, tc.object)...)
			_, err := s.Apply(ctx, objs, ApplyOptions{DryRun: tc.dryRun})
			if err == nil {
				t.Fatalf("the server accepted an object it must reject")
			}
			t.Logf("rejected as expected: %v", err)
			if !tc.anyStatus && !apierrors.IsInvalid(err) && !apierrors.IsBadRequest(err) {
				t.Errorf("error is neither Invalid nor BadRequest: %v", err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tc.wantMsg)
			}
			bad := objs[len(objs)-1]
			if _, err := s.Get(ctx, bad.GroupVersionKind(), bad.GetNamespace(), bad.GetName()); !apierrors.IsNotFound(err) {
				t.Errorf("rejected object exists afterwards (Get err = %v)", err)
			}
		})
	}

	// A warning from the server is captured: this proves that a "no
	// warnings" assertion can fail.
	t.Run("warnings are recorded", func(t *testing.T) {
		objs := append(mustDecode(t, ns), mustDecode(t, `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: kubetest-negative
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      nodeSelector:
        beta.kubernetes.io/os: linux
      containers:
      - name: web
        image: nginx:1.27
`)...)
		before := len(s.Warnings())
		res, err := s.Apply(t.Context(), objs, ApplyOptions{DryRun: true})
		if err != nil {
			t.Fatalf("apply: %v", err)
		}
		isDeprecation := func(w string) bool { return strings.Contains(w, "beta.kubernetes.io/os") }
		if !slices.ContainsFunc(res.Warnings, isDeprecation) {
			t.Errorf("ApplyResult.Warnings = %q, want the deprecated nodeSelector label warning", res.Warnings)
		}
		if !slices.ContainsFunc(s.Warnings()[before:], isDeprecation) {
			t.Errorf("Server.Warnings() did not record the deprecated nodeSelector label warning")
		}
	})
}

// A Namespace that sets nothing but its name is written once more by the
// next apply (bookkeeping only, see ObjectResult.Changed); after that it is
// stable, and ContentChanged tells the two apart.
func testBareNamespace(t *testing.T, s *Server) {
	ctx := t.Context()
	objs := mustDecode(t, `
apiVersion: v1
kind: Namespace
metadata:
  name: kubetest-bare
`)
	var results []ObjectResult
	for i := range 3 {
		res, err := s.Apply(ctx, objs, ApplyOptions{})
		if err != nil {
			t.Fatalf("apply %d: %v", i+1, err)
		}
		requireNoWarnings(t, "apply", res.Warnings)
		results = append(results, res.Objects[0])
	}
	if r := results[0]; !r.Created || !r.ContentChanged {
		t.Errorf("apply 1: created=%v contentChanged=%v, want both", r.Created, r.ContentChanged)
	}
	if r := results[1]; r.ContentChanged {
		t.Errorf("apply 2: contentChanged=true, want false")
	}
	if r := results[2]; r.Changed || r.ContentChanged {
		t.Errorf("apply 3: changed=%v contentChanged=%v (resourceVersion %s -> %s), want neither", r.Changed, r.ContentChanged, r.ResourceVersionBefore, r.ResourceVersionAfter)
	}
}

// One minimal valid instance of every kind defined in testdata/crds.
const crdInstances = `
apiVersion: v1
kind: Namespace
metadata:
  name: kubetest-crds
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
  namespace: kubetest-crds
spec:
  interval: 5m
  url: https://git.example.com/org/app.git
  ref:
    branch: main
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: charts
  namespace: kubetest-crds
spec:
  interval: 1h
  url: https://charts.example.com
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app
  namespace: kubetest-crds
spec:
  interval: 10m
  path: ./deploy/prod
  prune: true
  sourceRef:
    kind: GitRepository
    name: app
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: app
  namespace: kubetest-crds
spec:
  interval: 10m
  chart:
    spec:
      chart: app
      version: 1.2.x
      sourceRef:
        kind: HelmRepository
        name: charts
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata:
  name: store
  namespace: kubetest-crds
spec:
  provider:
    fake:
      data:
      - key: /app/password
        value: example
---
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata:
  name: kubetest-cluster-store
spec:
  provider:
    fake:
      data:
      - key: /app/password
        value: example
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: app
  namespace: kubetest-crds
spec:
  refreshInterval: 1h
  secretStoreRef:
    kind: SecretStore
    name: store
  target:
    name: app-secret
  data:
  - secretKey: password
    remoteRef:
      key: /app/password
---
apiVersion: generators.external-secrets.io/v1alpha1
kind: Password
metadata:
  name: app-key
  namespace: kubetest-crds
spec:
  length: 32
  noUpper: false
  allowRepeat: true
---
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: team
  namespace: kubetest-crds
spec:
  sourceRepos:
  - https://git.example.com/org/app.git
  destinations:
  - server: https://kubernetes.default.svc
    namespace: app
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: app
  namespace: kubetest-crds
spec:
  project: team
  source:
    repoURL: https://git.example.com/org/app.git
    path: deploy/prod
    targetRevision: main
  destination:
    server: https://kubernetes.default.svc
    namespace: app
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: apps
  namespace: kubetest-crds
spec:
  generators:
  - list:
      elements:
      - env: prod
  template:
    metadata:
      name: 'app-{{env}}'
    spec:
      project: team
      source:
        repoURL: https://git.example.com/org/app.git
        path: 'deploy/{{env}}'
        targetRevision: main
      destination:
        server: https://kubernetes.default.svc
        namespace: app
`

func testCRDs(t *testing.T, s *Server) {
	ctx := t.Context()
	root, err := toolcache.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "testdata", "crds")
	before := len(s.Warnings())
	if err := s.InstallCRDs(ctx, dir); err != nil {
		t.Fatalf("InstallCRDs: %v", err)
	}
	requireNoWarnings(t, "InstallCRDs", s.Warnings()[before:])

	// Every kind defined in testdata/crds has an instance below, and no
	// instance is of a kind missing there.
	defined := map[schema.GroupKind]bool{}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		crds, err := ReadObjectsFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, crd := range crds {
			group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
			kind, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "kind")
			defined[schema.GroupKind{Group: group, Kind: kind}] = true
		}
	}
	objs := mustDecode(t, crdInstances)
	covered := map[schema.GroupKind]bool{}
	for _, o := range objs {
		if gk := o.GroupVersionKind().GroupKind(); gk.Group != "" {
			covered[gk] = true
			if !defined[gk] {
				t.Errorf("instance of %s, which testdata/crds does not define", gk)
			}
		}
	}
	for gk := range defined {
		if !covered[gk] {
			t.Errorf("testdata/crds defines %s but the test has no instance of it", gk)
		}
	}
	if len(defined) != 11 {
		t.Errorf("testdata/crds defines %d kinds, want 11", len(defined))
	}

	res, err := s.Apply(ctx, objs, ApplyOptions{DryRun: true})
	if err != nil {
		t.Fatalf("dry-run of minimal custom objects: %v", err)
	}
	requireNoWarnings(t, "dry-run of custom objects", res.Warnings)
	if len(res.Objects) != len(objs) {
		t.Errorf("dry-run reported %d objects, want %d", len(res.Objects), len(objs))
	}

	// And the CRD schemas are enforced: a GitRepository with a URL scheme
	// the schema does not allow is refused.
	bad := mustDecode(t, `
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: bad-url
  namespace: kubetest-crds
spec:
  interval: 5m
  url: ftp://git.example.com/org/app.git
`)
	if _, err := s.Apply(ctx, bad, ApplyOptions{DryRun: true}); err == nil {
		t.Error("a GitRepository with an ftp:// URL was accepted; the CRD schema is not being enforced")
	} else if !apierrors.IsInvalid(err) {
		t.Errorf("GitRepository with an ftp:// URL: want an Invalid error, got %v", err)
	}

	// A field the CRD schema does not declare is refused too.
	unknown := mustDecode(t, `
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: unknown-field
  namespace: kubetest-crds
spec:
  interval: 5m
  url: https://git.example.com/org/app.git
  urll: https://git.example.com/org/app.git
`)
	if _, err := s.Apply(ctx, unknown, ApplyOptions{DryRun: true}); err == nil {
		t.Error("a GitRepository with the undeclared field spec.urll was accepted")
	} else if !strings.Contains(err.Error(), "urll") {
		t.Errorf("GitRepository with spec.urll: error does not name the field: %v", err)
	}
}

// Server-side apply stops at the first undeclared field; the error Apply
// returns lists them all, and KeepGoing goes on to the next object.
func testEveryProblem(t *testing.T, s *Server) {
	objs := mustDecode(t, `
apiVersion: v1
kind: Namespace
metadata:
  name: kubetest-problems
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: two-unknown-fields
  namespace: kubetest-problems
dataz:
  a: b
binaryDataz:
  c: ZA==
---
apiVersion: batch/v1
kind: Job
metadata:
  name: two-invalid-values
  namespace: kubetest-problems
spec:
  backoffLimit: -1
  template:
    spec:
      restartPolicy: Always
      containers:
      - name: main
        image: busybox:1.36
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: fine
  namespace: kubetest-problems
data:
  a: b
`)
	res, err := s.Apply(t.Context(), objs, ApplyOptions{DryRun: true, KeepGoing: true})
	if err == nil {
		t.Fatal("the server accepted objects it must reject")
	}
	t.Logf("rejected as expected:\n%v", err)
	for _, want := range []string{"dataz", "binaryDataz", "backoffLimit", "restartPolicy"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not mention %s", want)
		}
	}
	if len(res.Objects) != 4 {
		t.Fatalf("KeepGoing reported %d objects, want all 4", len(res.Objects))
	}
	for _, o := range res.Objects {
		wantErr := strings.HasPrefix(o.Name, "two-")
		if (o.Err != nil) != wantErr {
			t.Errorf("%s: Err = %v, want an error: %v", o.Name, o.Err, wantErr)
		}
	}
}

// A field another manager owns is a conflict under NoForce, and not under
// the default forced apply; re-applying one's own objects never conflicts.
func testConflicts(t *testing.T, s *Server) {
	ctx := t.Context()
	cm := func(level string) []*unstructured.Unstructured {
		return mustDecode(t, `
apiVersion: v1
kind: Namespace
metadata:
  name: kubetest-conflicts
  labels: {a: b}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: shared
  namespace: kubetest-conflicts
data:
  LEVEL: `+level+`
`)
	}
	if _, err := s.Apply(ctx, cm("info"), ApplyOptions{FieldManager: "first"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, cm("info"), ApplyOptions{FieldManager: "first", NoForce: true}); err != nil {
		t.Errorf("re-apply by the owner under NoForce: %v", err)
	}
	_, err := s.Apply(ctx, cm("debug"), ApplyOptions{FieldManager: "second", NoForce: true})
	if !apierrors.IsConflict(err) {
		t.Errorf("a second manager changing an owned field under NoForce: err = %v, want a conflict", err)
	}
	res, err := s.Apply(ctx, cm("debug"), ApplyOptions{FieldManager: "second"})
	if err != nil {
		t.Fatalf("forced apply by a second manager: %v", err)
	}
	if o := res.Objects[1]; !o.ContentChanged || !o.ManagedFieldsChanged {
		t.Errorf("forced apply by a second manager: contentChanged=%v managedFieldsChanged=%v, want both", o.ContentChanged, o.ManagedFieldsChanged)
	}
}

// Flux's CRDs default status.observedGeneration. A create drops status, so
// the next apply stores the defaulted status: a write that changes neither
// content nor managed fields. After it the object is stable. (Needs the
// CRDs from testCRDs.)
func testStatusDefaults(t *testing.T, s *Server) {
	objs := mustDecode(t, `
apiVersion: v1
kind: Namespace
metadata:
  name: kubetest-status
  labels: {a: b}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
  namespace: kubetest-status
spec:
  interval: 5m
  url: https://git.example.com/org/app.git
`)
	var got []ObjectResult
	for i := range 3 {
		res, err := s.Apply(t.Context(), objs, ApplyOptions{NoForce: true})
		if err != nil {
			t.Fatalf("apply %d: %v", i+1, err)
		}
		got = append(got, res.Objects[1])
	}
	if g := got[0]; !g.Created {
		t.Errorf("apply 1: created=%v, want true", g.Created)
	}
	if g := got[1]; !g.Changed || g.ContentChanged || g.ManagedFieldsChanged {
		t.Errorf("apply 2: changed=%v contentChanged=%v managedFieldsChanged=%v, want a bookkeeping write only (true, false, false); if the server no longer writes here, the e2e suite's allowance for it can go",
			g.Changed, g.ContentChanged, g.ManagedFieldsChanged)
	}
	if g := got[2]; g.Changed {
		t.Errorf("apply 3: changed (resourceVersion %s -> %s), want stable", g.ResourceVersionBefore, g.ResourceVersionAfter)
	}
}

func testPrune(t *testing.T, s *Server) {
	ctx := t.Context()
	objs := mustDecode(t, `
apiVersion: v1
kind: Namespace
metadata:
  name: kubetest-prune
  labels: {a: b}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: stays
  namespace: kubetest-prune
  labels: {owner: me}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: goes
  namespace: kubetest-prune
  labels: {owner: me}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: not-mine
  namespace: kubetest-prune
  labels: {owner: someone-else}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: old-job
  namespace: kubetest-prune
  labels: {owner: me}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox:1.36
`)
	if _, err := s.Apply(ctx, objs, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	before := len(s.Warnings())
	if _, err := s.Prune(ctx, PruneOptions{Namespaces: []string{"kubetest-prune"}}); err == nil {
		t.Error("Prune without a selector did not refuse")
	}
	cmGVK := schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}
	jobGVK := schema.GroupVersionKind{Group: "batch", Version: "v1", Kind: "Job"}
	deleted, err := s.Prune(ctx, PruneOptions{
		Namespaces: []string{"kubetest-prune"},
		Kinds:      []schema.GroupVersionKind{cmGVK, jobGVK, {Version: "v1", Kind: "Namespace"}},
		Selector:   "owner=me",
		Keep:       objs[:2],
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range deleted {
		got = append(got, d.String())
	}
	want := []string{"batch/v1 Job kubetest-prune/old-job", "v1 ConfigMap kubetest-prune/goes"}
	if !slices.Equal(got, want) {
		t.Errorf("pruned %q, want %q", got, want)
	}
	for _, name := range []string{"stays", "not-mine"} {
		if _, err := s.Get(ctx, cmGVK, "kubetest-prune", name); err != nil {
			t.Errorf("ConfigMap %s after prune: %v", name, err)
		}
	}
	if _, err := s.Get(ctx, cmGVK, "kubetest-prune", "goes"); !apierrors.IsNotFound(err) {
		t.Errorf("ConfigMap goes after prune: err = %v, want NotFound", err)
	}
	requireNoWarnings(t, "prune", s.Warnings()[before:])
}

// kubectl works with nothing but Env: the kubeconfig verifies the server
// with its own certificate, and the discovery cache lands in the run dir.
func testKubectlEnv(t *testing.T, s *Server) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatal("kubectl is not installed; the check that the kubeconfig works outside Go needs it")
	}
	cmd := exec.Command(kubectl, "api-resources", "-o", "name")
	cmd.Env = append(os.Environ(), s.Env()...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl api-resources: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "customresourcedefinitions.apiextensions.k8s.io") {
		t.Errorf("kubectl api-resources did not list CRDs:\n%s", out)
	}
	var cacheDir string
	for _, kv := range s.Env() {
		if v, ok := strings.CutPrefix(kv, "KUBECACHEDIR="); ok {
			cacheDir = v
		}
	}
	if !strings.HasPrefix(cacheDir, s.RunDir()+string(filepath.Separator)) {
		t.Errorf("KUBECACHEDIR=%q is not inside the run directory %s", cacheDir, s.RunDir())
	}
	entries, err := os.ReadDir(filepath.Join(cacheDir, "discovery"))
	if err != nil || len(entries) == 0 {
		t.Errorf("kubectl left no discovery cache in %s (err %v)", cacheDir, err)
	}
}

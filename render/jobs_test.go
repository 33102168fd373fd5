package render

import (
	"bytes"
	"os"
	"regexp"
	"slices"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ydpgen/ydpgen/generators"
	"github.com/ydpgen/ydpgen/generators/database"
	"github.com/ydpgen/ydpgen/generators/smoketest"
	"github.com/ydpgen/ydpgen/internal/charttest"
	"github.com/ydpgen/ydpgen/kube/labels"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
	"github.com/ydpgen/ydpgen/spec"
)

// jobRefs stands for objects and documents that name Jobs: a NetworkPolicy
// that selects ring1-init's pods by job name, and a document with kubectl
// commands for ring1-init and the database bootstrap.
type jobRefs struct{}

func (jobRefs) Name() string { return "test-job-references" }

func (jobRefs) Generate(env *model.Environment) (generators.Artifacts, error) {
	ns := env.Namespace.Name
	ring1 := env.DataSurfaceNames().Ring1Init
	np := &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: "test-ring1-init-egress", Namespace: ns, Labels: labels.For(env, "test-ring1-init-egress", "ring1-init")},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"batch.kubernetes.io/job-name": ring1}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress:      []networkingv1.NetworkPolicyEgressRule{{}},
		},
	}
	return generators.Artifacts{
		Objects: []objset.Object{np},
		Files: []objset.File{{Path: "JOBS.md", Data: []byte(
			"kubectl -n " + ns + " wait --for=condition=complete job/" + database.BootstrapName + "\n" +
				"kubectl -n " + ns + " logs job/" + ring1 + "\n" +
				"kubectl get cronjob/" + ring1 + "\n")}},
	}, nil
}

func renderWith(t *testing.T, engine string, change func(*model.Environment)) (*Result, map[string][]byte) {
	t.Helper()
	s, err := spec.New()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../examples/pi-lab/platform.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Load("platform.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	for i := range p.Environments {
		p.Environments[i].GitOps.Engine = engine
		if change != nil {
			change(&p.Environments[i])
		}
	}
	res, err := platform(p, Options{Verify: true, SpecDir: os.DirFS("../examples/pi-lab"), Charts: charttest.Charts(t)}, append(Generators(), jobRefs{}))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range res.Tree.Files() {
		files[f.Path] = f.Data
	}
	return res, files
}

// jobNames returns the rendered Jobs' names by the name their generator
// gave them (the app.kubernetes.io/name label).
func jobNames(t *testing.T, res *Result) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, e := range res.Environments[0].Objects {
		if e.GVK.Kind != "Job" {
			continue
		}
		md := e.Content["metadata"].(map[string]any)
		out[md["labels"].(map[string]any)["app.kubernetes.io/name"].(string)] = e.Name
		spec := e.Content["spec"].(map[string]any)
		// An expired Job would be created again by the engine.
		if ttl, ok := spec["ttlSecondsAfterFinished"]; ok {
			t.Errorf("Job %s has ttlSecondsAfterFinished %v", e.Name, ttl)
		}
	}
	return out
}

// changedFiles lists the tree paths that differ between two renders.
func changedFiles(a, b map[string][]byte) []string {
	var out []string
	for p, x := range a {
		if y, ok := b[p]; !ok || !bytes.Equal(x, y) {
			out = append(out, p)
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// TestChangedJobGetsANewName renders, changes the input of one Job,
// renders again, and checks that only that Job's name changed, that every
// reference followed, and that nothing else moved.
func TestChangedJobGetsANewName(t *testing.T) {
	const ring1, bootstrap, smoke = "demo-psp-ring1-init", database.BootstrapName, smoketest.Name
	hashed := regexp.MustCompile(`^[a-z0-9-]+-[0-9a-z]{6,10}$`)
	for _, tc := range []struct {
		name   string
		change func(*model.Environment)
		// The Jobs that must get a new name: the one whose input changed
		// and the smoke test, whose input is the whole environment.
		changed []string
		inputs  []string
	}{
		{"resources of ring1-init", func(env *model.Environment) {
			env.DataSurface.Jobs.Ring1Init.Resources.Limits.Memory = "3Gi"
		}, []string{ring1, smoke}, []string{"overlays/lab/capacity.svg"}},
		{"SQL the bootstrap Job reads", func(env *model.Environment) {
			env.Databases = append(env.Databases, model.Database{Name: "customer_db", Owner: "postgres"})
		}, []string{bootstrap, smoke}, []string{"base/configmap-" + bootstrap + ".yaml", "overlays/lab/SECRETS.md"}},
		{"no Job's own input: the MCP server's memory", func(env *model.Environment) {
			env.DataSurface.MCPServer.Resources.Limits.Memory = "768Mi"
		}, []string{smoke}, []string{"overlays/lab/capacity.svg", "base/deployment-demo-psp-mcp-server.yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, filesBefore := renderWith(t, model.EngineFlux, nil)
			_, filesAgain := renderWith(t, model.EngineFlux, nil)
			if d := changedFiles(filesBefore, filesAgain); len(d) != 0 {
				t.Fatalf("the same input renders differently: %v", d)
			}
			after, filesAfter := renderWith(t, model.EngineFlux, tc.change)
			old, cur := jobNames(t, before), jobNames(t, after)
			if len(old) < 4 || len(cur) != len(old) || old[ring1] == "" || old[bootstrap] == "" || old[smoke] == "" {
				t.Fatalf("Jobs before %v, after %v; want ring1-init, the bootstrap, the smoke test and others", old, cur)
			}
			for base, n := range old {
				if !hashed.MatchString(n) || len(n) > 63 || n[:len(n)-9] != base {
					t.Errorf("Job %s is named %s, not %s-<6 to 10 lowercase letters or digits>", base, n, base)
				}
				if slices.Contains(tc.changed, base) && n == cur[base] {
					t.Errorf("Job %s kept its name %s although its input changed", base, n)
				}
				if !slices.Contains(tc.changed, base) && n != cur[base] {
					t.Errorf("Job %s changed name %s -> %s although its input did not", base, n, cur[base])
				}
			}
			// Every file that changed names a renamed Job (its own file,
			// the kustomization listing it, a selector, a health check, a
			// document), or is the changed input itself.
			for _, p := range changedFiles(filesBefore, filesAfter) {
				names := false
				for _, base := range tc.changed {
					from, to := old[base], cur[base]
					names = names || bytes.Contains(filesBefore[p], []byte(from)) || bytes.Contains(filesAfter[p], []byte(to))
					if bytes.Contains(filesAfter[p], []byte(from)) {
						t.Errorf("%s still names the old Job %s", p, from)
					}
				}
				if !names && !slices.Contains(tc.inputs, p) {
					t.Errorf("%s changed but does not name Jobs %v", p, tc.changed)
				}
			}
			// The Flux stages wait for whatever they apply and name no Job,
			// so a new Job name leaves them as they were.
			for _, f := range []string{"gitops/lab/kustomization-pi-lab-lab-ring1-init.yaml", "gitops/lab/kustomization-pi-lab-lab-database-bootstrap.yaml"} {
				if !bytes.Equal(filesBefore[f], filesAfter[f]) {
					t.Errorf("%s changed with a Job's name", f)
				}
			}
			// The references that must follow did.
			for _, want := range []struct{ file, text string }{
				{"overlays/lab/JOBS.md", "job/" + cur[bootstrap] + "\n"},
				{"overlays/lab/JOBS.md", "logs job/" + cur[ring1] + "\n"},
				{"overlays/lab/JOBS.md", "cronjob/" + ring1 + "\n"},
				{"base/networkpolicy-test-ring1-init-egress.yaml", "batch.kubernetes.io/job-name: " + cur[ring1] + "\n"},
				{"README.md", "Job `" + cur[ring1] + "`"},
			} {
				if !bytes.Contains(filesAfter[want.file], []byte(want.text)) {
					t.Errorf("%s does not contain %q:\n%s", want.file, want.text, filesAfter[want.file])
				}
			}
		})
	}
}

// TestArgoCDJobsAreTrackedNotHooks checks the Argo CD annotations on Jobs
// and on the objects around them: every object's sync wave is its stage,
// and no Job is a hook (a hook runs on every sync operation).
func TestArgoCDJobsAreTrackedNotHooks(t *testing.T) {
	res, _ := renderWith(t, model.EngineArgoCD, nil)
	waves := map[string]any{}
	jobs := 0
	for _, e := range res.Environments[0].Objects {
		ann, _ := e.Content["metadata"].(map[string]any)["annotations"].(map[string]any)
		waves[e.GVK.Kind+"/"+e.Name] = ann["argocd.argoproj.io/sync-wave"]
		if ann["argocd.argoproj.io/sync-wave"] == nil {
			t.Errorf("%s has no sync wave", e.ID())
		}
		if e.GVK.Kind == "Job" {
			jobs++
			waves["Job/"+e.Content["metadata"].(map[string]any)["labels"].(map[string]any)["app.kubernetes.io/name"].(string)] = ann["argocd.argoproj.io/sync-wave"]
		}
		for _, k := range []string{"argocd.argoproj.io/hook", "argocd.argoproj.io/hook-delete-policy"} {
			if v, ok := ann[k]; ok {
				t.Errorf("%s: %s=%v; no object is a hook", e.ID(), k, v)
			}
		}
	}
	if jobs < 4 {
		t.Fatalf("%d Jobs rendered, want the bootstrap, ring1-init, reconcile-views and the smoke test", jobs)
	}
	for obj, want := range map[string]string{
		"Namespace/datasurface":                "0",
		"NetworkPolicy/test-ring1-init-egress": "0",
		"StatefulSet/postgres":                 "3",
		"ConfigMap/" + database.BootstrapName:  "4",
		"Job/" + database.BootstrapName:        "4",
		"PersistentVolumeClaim/git-cache-pvc":  "5",
		"Job/demo-psp-ring1-init":              "7",
		"Deployment/demo-psp-mcp-server":       "9",
		"ConfigMap/" + smoketest.Name:          "10",
		"Job/" + smoketest.Name:                "10",
	} {
		if waves[obj] != want {
			t.Errorf("%s: wave %v, want %s (all: %v)", obj, waves[obj], want, waves)
		}
	}
}

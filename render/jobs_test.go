package render

import (
	"bytes"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ydpgen/ydpgen/generators"
	"github.com/ydpgen/ydpgen/generators/labels"
	"github.com/ydpgen/ydpgen/generators/objset"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/schema"
)

// testJobs stands for the generators that make Jobs: a bootstrap Job that
// reads its script from a ConfigMap, a ring1-init Job, a NetworkPolicy that
// selects ring1-init's pods by job name, and a document that names both.
type testJobs struct {
	tag string // ring1-init's image tag
	sql string // the bootstrap script
}

func (testJobs) Name() string { return "test-jobs" }

func (g testJobs) Generate(env *model.Environment) (generators.Artifacts, error) {
	ns := env.Namespace.Name
	job := func(name, component, image string, volumes []corev1.Volume) *batchv1.Job {
		return &batchv1.Job{
			TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels.For(env, name, component)},
			Spec: batchv1.JobSpec{
				TTLSecondsAfterFinished: ptr.To[int32](86400),
				Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					Containers:    []corev1.Container{{Name: component, Image: image}},
					Volumes:       volumes,
				}},
			},
		}
	}
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: "bootstrap", Namespace: ns, Labels: labels.For(env, "bootstrap", "database-bootstrap")},
		Data:       map[string]string{"bootstrap.sql": g.sql},
	}
	sqlVolume := []corev1.Volume{{Name: "sql", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
		LocalObjectReference: corev1.LocalObjectReference{Name: "bootstrap"}}}}}
	np := &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: "ring1-init-egress", Namespace: ns, Labels: labels.For(env, "ring1-init-egress", "ring1-init")},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"batch.kubernetes.io/job-name": "ring1-init"}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress:      []networkingv1.NetworkPolicyEgressRule{{}},
		},
	}
	return generators.Artifacts{
		Objects: []objset.Object{
			cm, np,
			job("bootstrap", "database-bootstrap", "postgres:16-alpine", sqlVolume),
			job("ring1-init", "ring1-init", "datasurface/datasurface:"+g.tag, nil),
		},
		Files: []generators.File{{Path: "JOBS.md", Data: []byte(
			"kubectl -n " + ns + " wait --for=condition=complete job/bootstrap\n" +
				"kubectl -n " + ns + " logs job/ring1-init\n" +
				"kubectl get cronjob/ring1-init\n")}},
	}, nil
}

func loadPiLab(t *testing.T, engine string) *model.Platform {
	t.Helper()
	s, err := schema.New()
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
	}
	return p
}

func renderWith(t *testing.T, engine string, g testJobs) (*Result, map[string][]byte) {
	t.Helper()
	res, err := platform(loadPiLab(t, engine), Options{Verify: true}, append(Generators(), g))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range res.Tree.Files() {
		files[f.Path] = f.Data
	}
	return res, files
}

// jobNames returns the rendered Jobs' names by component.
func jobNames(t *testing.T, res *Result) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, e := range res.Environments[0].Objects {
		if e.GVK.Kind != "Job" {
			continue
		}
		md := e.Content["metadata"].(map[string]any)
		c := md["labels"].(map[string]any)["app.kubernetes.io/component"].(string)
		out[c] = e.Name
		spec := e.Content["spec"].(map[string]any)
		if _, ok := spec["ttlSecondsAfterFinished"]; !ok {
			t.Errorf("Job %s lost its ttlSecondsAfterFinished", e.Name)
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
	hashed := regexp.MustCompile(`^(bootstrap|ring1-init)-[0-9a-z]{6,10}$`)
	for _, tc := range []struct {
		name    string
		change  testJobs
		changed string // component of the Job that must get a new name
	}{
		{"image of ring1-init", testJobs{tag: "v1.8.5", sql: "CREATE DATABASE a;"}, "ring1-init"},
		{"script the bootstrap Job reads", testJobs{tag: "v1.8.4", sql: "CREATE DATABASE b;"}, "database-bootstrap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, filesBefore := renderWith(t, model.EngineFlux, testJobs{tag: "v1.8.4", sql: "CREATE DATABASE a;"})
			_, filesAgain := renderWith(t, model.EngineFlux, testJobs{tag: "v1.8.4", sql: "CREATE DATABASE a;"})
			if d := changedFiles(filesBefore, filesAgain); len(d) != 0 {
				t.Fatalf("the same input renders differently: %v", d)
			}
			after, filesAfter := renderWith(t, model.EngineFlux, tc.change)
			old, cur := jobNames(t, before), jobNames(t, after)
			if len(old) != 2 || len(cur) != 2 {
				t.Fatalf("Jobs before %v, after %v; want 2 each", old, cur)
			}
			for c, n := range old {
				if !hashed.MatchString(n) || !hashed.MatchString(cur[c]) {
					t.Errorf("Job names %s, %s are not <name>-<6 to 10 lowercase letters or digits>", n, cur[c])
				}
				if c == tc.changed && n == cur[c] {
					t.Errorf("Job %s kept its name %s although its input changed", c, n)
				}
				if c != tc.changed && n != cur[c] {
					t.Errorf("Job %s changed name %s -> %s although its input did not", c, n, cur[c])
				}
			}
			from, to := old[tc.changed], cur[tc.changed]
			// Every file that changed names the Job (its own file, the
			// kustomization listing it, a selector, a health check, a
			// document), or is the changed input itself.
			for _, p := range changedFiles(filesBefore, filesAfter) {
				names := bytes.Contains(filesBefore[p], []byte(from)) || bytes.Contains(filesAfter[p], []byte(to))
				input := tc.changed == "database-bootstrap" && strings.HasSuffix(p, "configmap-bootstrap.yaml")
				if !names && !input {
					t.Errorf("%s changed but does not name Job %s or %s:\n%s", p, from, to, filesAfter[p])
				}
				if bytes.Contains(filesAfter[p], []byte(from)) {
					t.Errorf("%s still names the old Job %s", p, from)
				}
			}
			// The references that must follow did.
			for _, want := range []struct{ file, text string }{
				{"overlays/lab/JOBS.md", "job/" + cur["database-bootstrap"] + "\n"},
				{"overlays/lab/JOBS.md", "logs job/" + cur["ring1-init"] + "\n"},
				{"overlays/lab/JOBS.md", "cronjob/ring1-init\n"},
				{"base/networkpolicy-ring1-init-egress.yaml", "batch.kubernetes.io/job-name: " + cur["ring1-init"] + "\n"},
				{"gitops/lab/kustomization-pi-lab-lab-ring1-init.yaml", "name: " + cur["ring1-init"] + "\n"},
				{"gitops/lab/kustomization-pi-lab-lab-database-bootstrap.yaml", "name: " + cur["database-bootstrap"] + "\n"},
			} {
				if !bytes.Contains(filesAfter[want.file], []byte(want.text)) {
					t.Errorf("%s does not contain %q:\n%s", want.file, want.text, filesAfter[want.file])
				}
			}
		})
	}
}

// TestJobsAreArgoCDSyncHooks checks the Argo CD annotations on Jobs and on
// the objects around them.
func TestJobsAreArgoCDSyncHooks(t *testing.T) {
	res, _ := renderWith(t, model.EngineArgoCD, testJobs{tag: "v1.8.4", sql: "CREATE DATABASE a;"})
	for _, e := range res.Environments[0].Objects {
		md := e.Content["metadata"].(map[string]any)
		ann, _ := md["annotations"].(map[string]any)
		if ann["argocd.argoproj.io/sync-wave"] == nil {
			t.Errorf("%s has no sync wave", e.ID())
		}
		isJob := e.GVK.Kind == "Job"
		if (ann["argocd.argoproj.io/hook"] == "Sync") != isJob {
			t.Errorf("%s: hook annotation %v; want Sync exactly on Jobs", e.ID(), ann["argocd.argoproj.io/hook"])
		}
		if isJob && ann["argocd.argoproj.io/hook-delete-policy"] != "BeforeHookCreation" {
			t.Errorf("%s: hook delete policy %v", e.ID(), ann["argocd.argoproj.io/hook-delete-policy"])
		}
	}
	waves := map[string]any{}
	for _, e := range res.Environments[0].Objects {
		waves[e.GVK.Kind+"/"+e.Name] = e.Content["metadata"].(map[string]any)["annotations"].(map[string]any)["argocd.argoproj.io/sync-wave"]
	}
	if waves["Namespace/datasurface"] != "0" || waves["ConfigMap/bootstrap"] != "4" || waves["NetworkPolicy/ring1-init-egress"] != "0" {
		t.Errorf("waves %v", waves)
	}
}

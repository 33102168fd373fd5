package gitops

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ydpgen/ydpgen/internal/crdschema"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
	"github.com/ydpgen/ydpgen/passes/stages"
)

func testEnv(name, ns, engine string) model.Environment {
	return model.Environment{
		Platform: "demo", Name: name, Namespace: model.Namespace{Name: ns},
		Airflow: model.Airflow{ReleaseName: "airflow", Chart: model.Chart{Repository: "https://airflow.apache.org", Name: "airflow", Version: "1.19.0"},
			DAGs: model.DAGs{GitSync: model.GitSync{Enabled: true, Repository: "https://github.com/example/dags.git", Ref: "main", SubPath: "dags"}}},
		DataSurface: model.DataSurface{Version: "1.8.4", PSP: "Demo_PSP", RTE: "dev",
			Image: model.Image{Repository: "datasurface/datasurface", Tag: "v1.8.4"},
			Model: model.GitSource{Repository: "https://github.com/example/model.git", Ref: "main"}},
		GitOps: model.GitOps{Engine: engine, RepoURL: "https://github.com/example/gitops.git", Revision: "main", Path: "deploy",
			ArgoCD: model.ArgoCD{Namespace: "argocd"}, Flux: model.Flux{Namespace: "flux-system"}},
	}
}

func obj(group, kind, ns, name, component string) objset.Entry {
	e := objset.Entry{GVK: schema.GroupVersionKind{Group: group, Version: "v1", Kind: kind}, Namespace: ns, Name: name,
		Content: map[string]any{"metadata": map[string]any{"name": name, "labels": map[string]any{"app.kubernetes.io/component": component}}}}
	if ns != "" {
		e.Content["metadata"].(map[string]any)["namespace"] = ns
	}
	return e
}

func platformOf(engine string, envs ...model.Environment) (*model.Platform, []objset.RenderedEnvironment) {
	p := &model.Platform{Name: "demo", Environments: envs}
	var rendered []objset.RenderedEnvironment
	for _, e := range envs {
		rendered = append(rendered, objset.RenderedEnvironment{Name: e.Name, Namespace: e.Namespace.Name, Objects: []objset.Entry{
			obj("", "Namespace", "", e.Namespace.Name, "namespace"),
			obj("rbac.authorization.k8s.io", "ClusterRole", "", "reader", "rbac"),
			obj("batch", "Job", e.Namespace.Name, "ring1-init-abcd1234", "ring1-init"),
			obj("apps", "Deployment", e.Namespace.Name, "mcp", "mcp-server"),
			obj("batch", "Job", e.Namespace.Name, "reconcile-abcd1234", "reconcile-views"),
		}})
	}
	return p, rendered
}

func TestGitReference(t *testing.T) {
	commit := strings.Repeat("ab12", 10)
	for _, tc := range []struct{ rev, branch, name, commit string }{
		{"main", "main", "", ""},
		{"release/1.2", "release/1.2", "", ""},
		{"refs/tags/v1.0.0", "", "refs/tags/v1.0.0", ""},
		{commit, "", "", commit},
		{strings.ToUpper(commit), strings.ToUpper(commit), "", ""},
	} {
		r := gitReference(tc.rev)
		if r.Branch != tc.branch || r.Name != tc.name || r.Commit != tc.commit {
			t.Errorf("gitReference(%q) = %+v", tc.rev, r)
		}
	}
}

func TestFluxGitURL(t *testing.T) {
	for in, want := range map[string]string{
		"git@gitlab.example.internal:platform/repo.git": "ssh://git@gitlab.example.internal/platform/repo.git",
		"https://github.com/example/repo.git":           "https://github.com/example/repo.git",
		"ssh://git@github.com/example/repo.git":         "ssh://git@github.com/example/repo.git",
	} {
		if got := fluxGitURL(in); got != want {
			t.Errorf("fluxGitURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHelmCommand(t *testing.T) {
	env := testEnv("dev", "ns", model.EngineNone)
	want := "helm upgrade --install airflow airflow --repo https://airflow.apache.org --version 1.19.0 --namespace ns --values overlays/dev/airflow/values.yaml"
	if got := HelmCommand(&env); !strings.HasPrefix(got, want) {
		t.Errorf("HelmCommand = %q, want it to start %q", got, want)
	}
	env.Airflow.Chart.Repository = "oci://registry.example.com/charts"
	if got := HelmCommand(&env); !strings.Contains(got, " oci://registry.example.com/charts/airflow --version ") {
		t.Errorf("HelmCommand for OCI = %q", got)
	}
}

func TestFluxStages(t *testing.T) {
	p, envs := platformOf(model.EngineFlux, testEnv("dev", "ns", model.EngineFlux))
	out, err := Build(p, envs)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]objset.Entry{}
	var order []string
	for _, o := range out.Objects {
		if o.Entry.GVK.Kind == kustomizev1.KustomizationKind {
			byName[o.Entry.Name] = o.Entry
			order = append(order, o.Entry.Name)
		}
	}
	want := []string{"demo-dev-namespace", "demo-dev-rbac", "demo-dev-airflow", "demo-dev-ring1-init", "demo-dev-workloads"}
	if strings.Join(order, " ") != strings.Join(want, " ") {
		t.Fatalf("Kustomizations %v, want %v", order, want)
	}
	for i, name := range want {
		spec := byName[name].Content["spec"].(map[string]any)
		deps, _ := spec["dependsOn"].([]any)
		if i == 0 && deps != nil || i > 0 && (len(deps) != 1 || deps[0].(map[string]any)["name"] != want[i-1]) {
			t.Errorf("%s depends on %v", name, deps)
		}
		if spec["path"] != "./deploy/gitops/dev/stages/"+strings.TrimPrefix(name, "demo-dev-") || spec["prune"] != true {
			t.Errorf("%s: path %v prune %v", name, spec["path"], spec["prune"])
		}
		// Every stage waits, and none names objects in healthChecks (hash
		// names would tie the stage to them) or forces the whole stage
		// (Jobs carry their own force policy).
		if spec["wait"] != true || spec["healthChecks"] != nil || spec["force"] != nil {
			t.Errorf("%s: wait %v healthChecks %v force %v", name, spec["wait"], spec["healthChecks"], spec["force"])
		}
	}
	files := map[string]string{}
	for _, f := range out.Files {
		files[f.Path] = string(f.Data)
	}
	for _, p := range []string{"gitops/dev/kustomization.yaml", "gitops/dev/stages/airflow/kustomization.yaml",
		"overlays/dev/airflow/kustomization.yaml", "overlays/dev/airflow/kustomizeconfig.yaml", "clusters/dev/kustomization.yaml", ReadmePath} {
		if files[p] == "" {
			t.Errorf("%s is not written", p)
		}
	}
	// flux bootstrap --path=deploy/clusters/dev keeps this file: it must
	// list the flux-system/ bootstrap writes, and the environment.
	if want := "resources:\n- flux-system\n- ../../gitops/dev\n"; !strings.Contains(files["clusters/dev/kustomization.yaml"], want) {
		t.Errorf("clusters/dev/kustomization.yaml lacks %q:\n%s", want, files["clusters/dev/kustomization.yaml"])
	}
	if want := "flux bootstrap git --url=https://github.com/example/gitops.git --branch=main --path=deploy/clusters/dev\n"; !strings.Contains(files[ReadmePath], want) {
		t.Errorf("README lacks %q", want)
	}
	for _, o := range out.Objects {
		if o.Entry.GVK.Kind == "HelmRelease" {
			dd, _ := o.Entry.Content["spec"].(map[string]any)["driftDetection"].(map[string]any)
			if dd["mode"] != "disabled" {
				t.Errorf("HelmRelease drift detection %v: a chart Job that expired would be created again", dd)
			}
		}
	}
	if !strings.Contains(files["gitops/dev/stages/airflow/kustomization.yaml"], "- ../../../../overlays/dev/airflow\n") {
		t.Errorf("the airflow stage does not include the release:\n%s", files["gitops/dev/stages/airflow/kustomization.yaml"])
	}
}

func TestArgoCDObjectsMatchCRDs(t *testing.T) {
	crds, err := crdschema.LoadDir("../testdata/crds")
	if err != nil {
		t.Fatal(err)
	}
	for _, appSet := range []bool{false, true} {
		a, b := testEnv("dev", "ns-dev", model.EngineArgoCD), testEnv("prod", "ns-prod", model.EngineArgoCD)
		a.GitOps.ArgoCD.ApplicationSet, b.GitOps.ArgoCD.ApplicationSet = appSet, appSet
		b.Airflow.Chart.Repository = "oci://registry.example.com/charts"
		p, envs := platformOf(model.EngineArgoCD, a, b)
		out, err := Build(p, envs)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, o := range out.Objects {
			kinds[o.Entry.GVK.Kind]++
			for _, err := range crds.Validate(o.Entry.GVK, o.Entry.Content) {
				t.Errorf("%s: %v", o.Path, err)
			}
			if o.Entry.GVK.Kind == "AppProject" {
				spec := o.Entry.Content["spec"].(map[string]any)
				if got := len(spec["clusterResourceWhitelist"].([]any)); got != 2 {
					t.Errorf("AppProject allows %d cluster kinds, want Namespace and ClusterRole", got)
				}
				if got := spec["sourceRepos"].([]any); len(got) != 3 || got[2] != "registry.example.com/charts" {
					t.Errorf("AppProject sources %v", got)
				}
			}
		}
		want := map[string]int{"AppProject": 1, "Application": 4}
		if appSet {
			want = map[string]int{"AppProject": 1, "Application": 2, "ApplicationSet": 1}
		}
		for _, o := range out.Objects {
			if o.Entry.GVK.Kind != "Application" {
				continue
			}
			spec := o.Entry.Content["spec"].(map[string]any)
			opts := fmt.Sprint(spec["syncPolicy"].(map[string]any)["syncOptions"])
			if !strings.Contains(opts, "FailOnSharedResource=true") {
				t.Errorf("%s: sync options %s", o.Entry.Name, opts)
			}
			if strings.HasSuffix(o.Entry.Name, "-airflow") != strings.Contains(opts, "ApplyOutOfSyncOnly=true") {
				t.Errorf("%s: sync options %s; only the Airflow Application applies out-of-sync objects only", o.Entry.Name, opts)
			}
		}
		for k, n := range want {
			if kinds[k] != n {
				t.Errorf("applicationSet=%v: %d %s, want %d", appSet, kinds[k], k, n)
			}
		}
	}
	// The check can fail: an unknown field and a wrong type.
	p, envs := platformOf(model.EngineArgoCD, testEnv("dev", "ns", model.EngineArgoCD))
	out, err := Build(p, envs)
	if err != nil {
		t.Fatal(err)
	}
	app := out.Objects[1].Entry
	app.Content["spec"].(map[string]any)["destinaton"] = map[string]any{}
	app.Content["spec"].(map[string]any)["project"] = 3
	if errs := crds.Validate(app.GVK, app.Content); len(errs) != 2 {
		t.Errorf("a broken Application gave %v", errs)
	}
}

func TestBuildRefusesMismatchedRenders(t *testing.T) {
	p, envs := platformOf(model.EngineNone, testEnv("dev", "ns", model.EngineNone))
	envs[0].Name = "prod"
	if _, err := Build(p, envs); err == nil {
		t.Error("Build accepted the render of another environment")
	}
	if _, err := Build(p, nil); err == nil {
		t.Error("Build accepted no render")
	}
}

func TestReadmeOrder(t *testing.T) {
	p, envs := platformOf(model.EngineNone, testEnv("dev", "ns", model.EngineNone))
	out, err := Build(p, envs)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(out.Files[len(out.Files)-1].Data)
	var at []int
	for _, s := range []string{
		"-l " + stages.Label + "=namespace",
		"-l " + stages.Label + "=rbac",
		"helm upgrade --install airflow",
		"-l " + stages.Label + "=ring1-init",
		"wait --for=condition=complete --timeout=30m job/ring1-init-abcd1234",
		"-l " + stages.Label + "=workloads",
		"rollout status --timeout=10m deployment/mcp",
	} {
		i := strings.Index(readme, s)
		if i < 0 {
			t.Fatalf("README lacks %q:\n%s", s, readme)
		}
		at = append(at, i)
	}
	for i := 1; i < len(at); i++ {
		if at[i] < at[i-1] {
			t.Errorf("README steps out of order:\n%s", readme)
		}
	}
}

// TestArgoCDDestinations: each Application deploys to the cluster its
// environment names, the AppProject allows exactly those, the
// ApplicationSet carries them in its elements, and the root Application
// syncs gitops/ into Argo CD's own namespace.
func TestArgoCDDestinations(t *testing.T) {
	for _, tc := range []struct {
		name     string
		appSet   bool
		clusters [3]*model.ArgoCDCluster
		want     [3]string // server or name per environment, as the objects show it
	}{
		{"applications, every way", false,
			[3]*model.ArgoCDCluster{nil, {Server: "https://prod.example.com:6443"}, {Name: "edge"}},
			[3]string{"server=https://kubernetes.default.svc", "server=https://prod.example.com:6443", "name=edge"}},
		{"application set, servers only", true,
			[3]*model.ArgoCDCluster{nil, {Server: "https://prod.example.com:6443"}, nil},
			[3]string{"server=https://kubernetes.default.svc", "server=https://prod.example.com:6443", "server=https://kubernetes.default.svc"}},
		{"application set, both ways", true,
			[3]*model.ArgoCDCluster{{Name: "lab"}, {Server: "https://prod.example.com:6443"}, nil},
			[3]string{"name=lab", "server=https://prod.example.com:6443", "server=https://kubernetes.default.svc"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var envs []model.Environment
			for i, name := range []string{"dev", "prod", "staging"} {
				e := testEnv(name, "ns-"+name, model.EngineArgoCD)
				e.Cluster.ArgoCD = tc.clusters[i]
				e.GitOps.ArgoCD.ApplicationSet = tc.appSet
				e.GitOps.ArgoCD.RootApplication = true
				envs = append(envs, e)
			}
			p, rendered := platformOf(model.EngineArgoCD, envs...)
			out, err := Build(p, rendered)
			if err != nil {
				t.Fatal(err)
			}
			dest := func(m any) string {
				d := m.(map[string]any)
				var parts []string
				for _, k := range []string{"server", "name"} {
					if v, ok := d[k].(string); ok && v != "" {
						parts = append(parts, k+"="+v)
					}
				}
				return strings.Join(parts, ",")
			}
			got := map[string]string{}
			var project []string
			for _, o := range out.Objects {
				spec := o.Entry.Content["spec"].(map[string]any)
				switch o.Entry.GVK.Kind {
				case "Application":
					d := spec["destination"].(map[string]any)
					got[o.Entry.Name] = dest(d) + " " + d["namespace"].(string)
				case "AppProject":
					for _, d := range spec["destinations"].([]any) {
						project = append(project, dest(d)+" "+d.(map[string]any)["namespace"].(string))
					}
				case "ApplicationSet":
					for _, el := range spec["generators"].([]any)[0].(map[string]any)["list"].(map[string]any)["elements"].([]any) {
						el := el.(map[string]any)
						got["demo-"+el["environment"].(string)] = dest(el) + " " + el["namespace"].(string)
					}
				}
			}
			var wantProject []string
			for i, name := range []string{"dev", "prod", "staging"} {
				w := tc.want[i] + " ns-" + name
				wantProject = append(wantProject, w)
				for _, app := range []string{"demo-" + name, "demo-" + name + "-airflow"} {
					if got[app] != w {
						t.Errorf("%s: destination %q, want %q", app, got[app], w)
					}
				}
			}
			if got["demo-gitops"] != "server=https://kubernetes.default.svc argocd" {
				t.Errorf("root Application destination %q", got["demo-gitops"])
			}
			slices.Sort(project)
			slices.Sort(wantProject)
			if !slices.Equal(project, wantProject) {
				t.Errorf("AppProject destinations %q, want %q", project, wantProject)
			}
		})
	}
}

// TestReadmeProcedure: each environment reads top to bottom as the whole
// procedure: the DAG branch first, then the deployment, then ring 0's DAG
// (its Job's stage, or seed 002's Phase 5 commands in their order, with the
// spec's image, model, PSP, RTE and DAG repository), then the checks.
func TestReadmeProcedure(t *testing.T) {
	order := func(t *testing.T, readme string, steps ...string) {
		t.Helper()
		last := -1
		for _, s := range steps {
			i := strings.Index(readme, s)
			if i < 0 {
				t.Fatalf("README lacks %q:\n%s", s, readme)
			}
			if i < last {
				t.Errorf("%q comes before the step above it:\n%s", s, readme)
			}
			last = i
		}
	}
	env := testEnv("dev", "ns", model.EngineNone)
	env.DataSurface.InfrastructureDAG.Publish = model.PublishManual
	p, envs := platformOf(model.EngineNone, env)
	out, err := Build(p, envs)
	if err != nil {
		t.Fatal(err)
	}
	order(t, string(out.Files[len(out.Files)-1].Data),
		"git ls-remote --exit-code --heads https://github.com/example/dags.git main",
		"git -C \"$dir\" push https://github.com/example/dags.git main",
		"helm upgrade --install airflow",
		"# infrastructure-dag\n# publish the infrastructure DAG now",
		"-l "+stages.Label+"=ring1-init",
		"git clone --branch main https://github.com/example/model.git model",
		"docker pull datasurface/datasurface:v1.8.4",
		"python -m datasurface.entrypoints.platform generatePlatformBootstrap --ringLevel 0 --model /workspace/model --output /workspace/model/generated_output --psp Demo_PSP --rte-name dev",
		"ls model/generated_output/Demo_PSP/demo_psp_infrastructure_dag.py",
		"git clone --branch main https://github.com/example/dags.git dags",
		"cp model/generated_output/Demo_PSP/*_dag.py dags/dags/",
		"git -C dags push origin main",
		"airflow dags list-import-errors",
		"airflow dags list-runs demo-psp_infrastructure",
	)

	// Published by a Job: its stage in the deploy script, its log after.
	env.DataSurface.InfrastructureDAG.Publish = model.PublishJob
	p, envs = platformOf(model.EngineNone, env)
	envs[0].Objects = append(envs[0].Objects, obj("batch", "Job", "ns", "demo-psp-infrastructure-dag-abcd1234", "infrastructure-dag"))
	out, err = Build(p, envs)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(out.Files[len(out.Files)-1].Data)
	order(t, readme,
		"git ls-remote --exit-code --heads",
		"helm upgrade --install airflow",
		"-l "+stages.Label+"=infrastructure-dag",
		"job/demo-psp-infrastructure-dag-abcd1234",
		"-l "+stages.Label+"=ring1-init",
		"kubectl -n ns logs job/demo-psp-infrastructure-dag-abcd1234",
		"airflow dags list-import-errors",
	)
	if strings.Contains(readme, "docker run") {
		t.Errorf("a Job publishes the DAG, yet the README runs ring 0 by hand:\n%s", readme)
	}
}

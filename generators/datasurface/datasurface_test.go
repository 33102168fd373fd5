package datasurface

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/ydpgen/ydpgen/credentials"
	"github.com/ydpgen/ydpgen/internal/exampletest"
	"github.com/ydpgen/ydpgen/kube/pod"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

func loadExample(t *testing.T, name string) *model.Environment {
	t.Helper()
	return exampletest.First(t, name)
}

func TestHasModelMergeJob(t *testing.T) {
	for _, tc := range []struct {
		version string
		want    bool
		err     bool
	}{
		{"1.0.9", false, false},
		{"1.1.0", true, false},
		{"1.3.2", true, false},
		{"1.4.17", true, false},
		{"1.5.0", false, false},
		{"1.8.4", false, false},
		{"2.2.0", false, false},
		{"1.4", false, true},
		{"v1.4.0", false, true},
	} {
		got, err := HasModelMergeJob(tc.version)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("HasModelMergeJob(%q) = %v, %v; want %v, error %v", tc.version, got, err, tc.want, tc.err)
		}
	}
}

func TestModulesFor(t *testing.T) {
	old := Modules{Platform: "datasurface.cmd.platform", ReconcileViews: "datasurface.platforms.yellow.reconcile_workspace_views"}
	entry := Modules{Platform: "datasurface.entrypoints.platform", ReconcileViews: "datasurface.entrypoints.reconcile_workspace_views"}
	for _, tc := range []struct {
		version string
		want    Modules
	}{
		{"1.1.0", old}, {"1.4.2", old}, {"1.7.9", old}, {"1.8.0", entry}, {"1.8.4", entry}, {"2.0.0", entry},
	} {
		got, err := ModulesFor(tc.version)
		if err != nil || got != tc.want {
			t.Errorf("ModulesFor(%q) = %+v, %v; want %+v", tc.version, got, err, tc.want)
		}
	}
	if _, err := ModulesFor("latest"); err == nil {
		t.Error("ModulesFor(latest) gave no error")
	}
}

func byKind[T objset.Object](objs []objset.Object) []T {
	var out []T
	for _, o := range objs {
		if t, ok := o.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

func generate(t *testing.T, env *model.Environment) []objset.Object {
	t.Helper()
	a, err := Generator{}.Generate(env)
	if err != nil {
		t.Fatal(err)
	}
	return a.Objects
}

func TestJobsByVersion(t *testing.T) {
	for _, tc := range []struct {
		version string
		want    []string
	}{
		{"1.8.4", []string{"test-dp-ring1-init", "test-dp-reconcile-views-job"}},
		{"1.4.2", []string{"test-dp-ring1-init", "test-dp-model-merge-job", "test-dp-reconcile-views-job"}},
	} {
		env := loadExample(t, "onprem")
		env.DataSurface.Version = tc.version
		var got []string
		for _, j := range byKind[*batchv1.Job](generate(t, env)) {
			got = append(got, j.Name)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("version %s: Jobs %v, want %v", tc.version, got, tc.want)
		}
	}
}

func TestJobShape(t *testing.T) {
	env := loadExample(t, "onprem")
	env.DataSurface.Version = "1.4.2"
	env.DataSurface.Jobs.ModelMerge.Resources.Limits.Memory = "3Gi"
	n := env.DataSurfaceNames()
	jobs := byKind[*batchv1.Job](generate(t, env))
	if len(jobs) != 3 {
		t.Fatalf("got %d Jobs, want 3", len(jobs))
	}
	for _, j := range jobs {
		spec := j.Spec.Template.Spec
		// No time to live: an engine would re-create an expired Job.
		if spec.RestartPolicy != corev1.RestartPolicyNever || *j.Spec.BackoffLimit != 3 || j.Spec.TTLSecondsAfterFinished != nil {
			t.Errorf("%s: restartPolicy %s, backoffLimit %d, ttl %v", j.Name, spec.RestartPolicy, *j.Spec.BackoffLimit, j.Spec.TTLSecondsAfterFinished)
		}
		if spec.ServiceAccountName != "airflow-worker" {
			t.Errorf("%s: service account %q, want airflow-worker", j.Name, spec.ServiceAccountName)
		}
		if d := cmp.Diff([]corev1.LocalObjectReference{{Name: "dockerhub-creds"}}, spec.ImagePullSecrets); d != "" {
			t.Errorf("%s: pull secrets (-want +got):\n%s", j.Name, d)
		}
		if spec.Volumes[0].PersistentVolumeClaim.ClaimName != n.GitCacheClaim || spec.Volumes[1].EmptyDir == nil {
			t.Errorf("%s: volumes %+v", j.Name, spec.Volumes)
		}
		c := spec.Containers[0]
		if d := cmp.Diff(volumeMounts(pod.GitAccess{}), c.VolumeMounts); d != "" {
			t.Errorf("%s: mounts (-want +got):\n%s", j.Name, d)
		}
		refs := map[string]string{}
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				refs[e.Name] = e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
			}
		}
		wantRefs := map[string]string{"postgres_USER": "postgres/USER", "postgres_PASSWORD": "postgres/PASSWORD", "git_TOKEN": "git/TOKEN"}
		if d := cmp.Diff(wantRefs, refs); d != "" {
			t.Errorf("%s: secret references (-want +got):\n%s", j.Name, d)
		}
		if c.Image != "datasurface/datasurface:v1.8.4" {
			t.Errorf("%s: image %q", j.Name, c.Image)
		}
	}
	merge := jobs[1]
	if got := merge.Spec.Template.Spec.Containers[0].Resources.Limits.Memory().String(); got != "3Gi" {
		t.Errorf("model-merge memory limit %s, want the spec's 3Gi", got)
	}
	if got := jobs[0].Spec.Template.Spec.Containers[0].Resources.Limits.Memory().String(); got != "2Gi" {
		t.Errorf("ring1-init memory limit %s, want the default 2Gi", got)
	}
	wantCmd := []string{"python", "-m", "datasurface.cmd.platform"}
	if d := cmp.Diff(wantCmd, merge.Spec.Template.Spec.Containers[0].Command); d != "" {
		t.Errorf("model-merge command (-want +got):\n%s", d)
	}
	wantArgs := []string{"handleModelMerge",
		"--git-repo-path", "/cache/git-cache", "--git-repo-owner", "datasurface", "--git-repo-name", "demo_bootstrap",
		"--git-repo-branch", "main", "--git-platform-repo-credential-name", "git",
		"--use-git-cache", "--max-cache-age-minutes", "5",
		"--output", "/workspace/generated_artifacts", "--psp", "Test_DP"}
	if d := cmp.Diff(wantArgs, merge.Spec.Template.Spec.Containers[0].Args); d != "" {
		t.Errorf("model-merge args (-want +got):\n%s", d)
	}
}

func TestServiceAccountFollowsRelease(t *testing.T) {
	env := loadExample(t, "onprem")
	env.Airflow.ReleaseName = "yellow"
	for _, j := range byKind[*batchv1.Job](generate(t, env)) {
		if got := j.Spec.Template.Spec.ServiceAccountName; got != "yellow-airflow-worker" {
			t.Errorf("%s: service account %q, want yellow-airflow-worker", j.Name, got)
		}
	}
}

func TestPublicModelHasNoCredential(t *testing.T) {
	env := loadExample(t, "onprem")
	env.DataSurface.Model.Credential = ""
	for _, o := range generate(t, env) {
		var c corev1.Container
		switch v := o.(type) {
		case *batchv1.Job:
			c = v.Spec.Template.Spec.Containers[0]
			if slices.Contains(c.Args, "--git-platform-repo-credential-name") {
				t.Errorf("%s: credential flag without a credential", v.Name)
			}
		case *appsv1.Deployment:
			c = v.Spec.Template.Spec.Containers[0]
		default:
			continue
		}
		for _, e := range c.Env {
			if e.Name == "git_TOKEN" {
				t.Errorf("%s: git_TOKEN without a credential", o.GetName())
			}
		}
	}
}

func TestMCPServer(t *testing.T) {
	env := loadExample(t, "onprem")
	objs := generate(t, env)
	deps := byKind[*appsv1.Deployment](objs)
	svcs := byKind[*corev1.Service](objs)
	if len(deps) != 1 || len(svcs) != 1 {
		t.Fatalf("got %d Deployments and %d Services, want 1 each", len(deps), len(svcs))
	}
	d, s := deps[0], svcs[0]
	if d.Name != "test-dp-mcp-server" || s.Name != "test-dp-mcp" {
		t.Errorf("names %s, %s", d.Name, s.Name)
	}
	if s.Spec.Type != corev1.ServiceTypeNodePort || s.Spec.Ports[0].Port != 8000 {
		t.Errorf("service type %s port %d, want NodePort 8000", s.Spec.Type, s.Spec.Ports[0].Port)
	}
	for k, v := range s.Spec.Selector {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("service selector %s=%s does not select the pods", k, v)
		}
	}
	if d.Spec.Template.Labels["app"] != "test-dp-mcp-server" || d.Spec.Template.Labels["component"] != "mcp" {
		t.Errorf("pods lack DataSurface's own labels: %v", d.Spec.Template.Labels)
	}
	// DataSurface's documentation selects the Service with app=<psp>-mcp-server.
	if s.Labels["app"] != "test-dp-mcp-server" {
		t.Errorf("service labels %v lack app=test-dp-mcp-server", s.Labels)
	}
	if d := cmp.Diff(env.DataSurface.MCPServer.Command, d.Spec.Template.Spec.Containers[0].Command); d != "" {
		t.Errorf("command (-spec +rendered):\n%s", d)
	}

	env.DataSurface.MCPServer.Enabled = false
	env.DataSurface.MCPServer.Ingress = nil
	objs = generate(t, env)
	if n := len(byKind[*appsv1.Deployment](objs)) + len(byKind[*corev1.Service](objs)) + len(byKind[*networkingv1.Ingress](objs)); n != 0 {
		t.Errorf("disabled MCP server still renders %d objects", n)
	}
}

func TestIngressPerProfile(t *testing.T) {
	for _, tc := range []struct {
		name, profile, class string
		ing                  model.Ingress
		wantAnn              map[string]string
		wantTLS              []networkingv1.IngressTLS
	}{{
		name: "traefik plain", profile: "k3s-pi", class: "traefik",
		ing:     model.Ingress{Host: "mcp.lab.example"},
		wantAnn: map[string]string{"traefik.ingress.kubernetes.io/router.entrypoints": "web"},
	}, {
		name: "traefik issuer", profile: "k3s-pi", class: "traefik",
		ing: model.Ingress{Host: "mcp.lab.example", Issuer: "lab-ca"},
		wantAnn: map[string]string{
			"traefik.ingress.kubernetes.io/router.entrypoints": "websecure",
			"traefik.ingress.kubernetes.io/router.tls":         "true",
			"cert-manager.io/cluster-issuer":                   "lab-ca",
		},
		wantTLS: []networkingv1.IngressTLS{{Hosts: []string{"mcp.lab.example"}, SecretName: "x-mcp-tls"}},
	}, {
		name: "nginx secret and own annotation", profile: "kubeadm", class: "nginx-internal",
		ing: model.Ingress{Host: "mcp.example.com", TLSSecret: "mcp-tls",
			Annotations: map[string]string{"nginx.ingress.kubernetes.io/proxy-read-timeout": "86400"}},
		wantAnn: map[string]string{
			"nginx.ingress.kubernetes.io/proxy-buffering":    "off",
			"nginx.ingress.kubernetes.io/proxy-read-timeout": "86400",
			"nginx.ingress.kubernetes.io/proxy-send-timeout": "3600",
		},
		wantTLS: []networkingv1.IngressTLS{{Hosts: []string{"mcp.example.com"}, SecretName: "mcp-tls"}},
	}, {
		name: "alb", profile: "eks", class: "alb",
		ing: model.Ingress{Host: "mcp.example.com", Annotations: map[string]string{"alb.ingress.kubernetes.io/scheme": "internet-facing"}},
		wantAnn: map[string]string{
			"alb.ingress.kubernetes.io/scheme":                   "internet-facing",
			"alb.ingress.kubernetes.io/target-type":              "ip",
			"alb.ingress.kubernetes.io/listen-ports":             `[{"HTTPS":443}]`,
			"alb.ingress.kubernetes.io/load-balancer-attributes": "idle_timeout.timeout_seconds=3600",
			"alb.ingress.kubernetes.io/success-codes":            "200-499",
		},
		wantTLS: []networkingv1.IngressTLS{{Hosts: []string{"mcp.example.com"}}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			env := &model.Environment{Platform: "p", Profile: tc.profile, Namespace: model.Namespace{Name: "ns"},
				Cluster: model.Cluster{IngressClass: tc.class}}
			got := Ingress(env, "x-mcp", "x-mcp", "http", "x-mcp-tls", tc.ing)
			if d := cmp.Diff(tc.wantAnn, got.Annotations); d != "" {
				t.Errorf("annotations (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.wantTLS, got.Spec.TLS); d != "" {
				t.Errorf("tls (-want +got):\n%s", d)
			}
			if *got.Spec.IngressClassName != tc.class || got.Spec.Rules[0].Host != tc.ing.Host {
				t.Errorf("class %s host %s", *got.Spec.IngressClassName, got.Spec.Rules[0].Host)
			}
			if b := got.Spec.Rules[0].HTTP.Paths[0].Backend.Service; b.Name != "x-mcp" || b.Port.Name != "http" {
				t.Errorf("backend %+v", b)
			}
		})
	}
}

func TestGitCacheClaim(t *testing.T) {
	env := loadExample(t, "pi-lab")
	claims := byKind[*corev1.PersistentVolumeClaim](generate(t, env))
	if len(claims) != 1 {
		t.Fatalf("%d claims", len(claims))
	}
	c := claims[0]
	if c.Name != "git-cache-pvc" || *c.Spec.StorageClassName != "longhorn" ||
		!slices.Equal(c.Spec.AccessModes, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}) ||
		c.Spec.Resources.Requests.Storage().String() != "5Gi" {
		t.Errorf("claim %s class %s modes %v size %s", c.Name, *c.Spec.StorageClassName, c.Spec.AccessModes, c.Spec.Resources.Requests.Storage())
	}
}

func TestCredentialEnv(t *testing.T) {
	for _, tc := range []struct {
		cred    string
		kind    credentials.Kind
		version string
		want    []string // variable=secret/key
	}{
		{"postgres", credentials.UserPassword, "1.8.4", []string{"postgres_USER=postgres/USER", "postgres_PASSWORD=postgres/PASSWORD"}},
		// The variable keeps the name as the model writes it; the Secret
		// has DataSurface's Kubernetes name.
		{"Merge_Cred", credentials.UserPassword, "1.8.4", []string{"Merge_Cred_USER=merge-cred/USER", "Merge_Cred_PASSWORD=merge-cred/PASSWORD"}},
		{"git", credentials.APIToken, "1.8.4", []string{"git_TOKEN=git/TOKEN"}},
		// Releases before 1.0 keep the token under a lowercase key.
		{"git", credentials.APIToken, "0.9.0", []string{"git_TOKEN=git/token"}},
	} {
		vars, err := credentials.EnvVars(tc.cred, tc.kind, tc.version)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, v := range vars {
			got = append(got, v.Name+"="+v.ValueFrom.SecretKeyRef.Name+"/"+v.ValueFrom.SecretKeyRef.Key)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("credentials.EnvVars(%s, %s, %s) = %v, want %v", tc.cred, tc.kind, tc.version, got, tc.want)
		}
	}
}

// The chart creates the worker account only for the executors that have
// workers; DataSurface's pods must not name an account that does not exist.
func TestServiceAccountFollowsExecutor(t *testing.T) {
	for _, tt := range []struct{ executor, want string }{
		{"LocalExecutor", "airflow-scheduler"},
		{"CeleryExecutor", "airflow-worker"},
		{"KubernetesExecutor", "airflow-worker"},
		{"CeleryExecutor,KubernetesExecutor", "airflow-worker"},
	} {
		env := &model.Environment{Airflow: model.Airflow{ReleaseName: "airflow", Executor: tt.executor}}
		if got := ServiceAccount(env); got != tt.want {
			t.Errorf("%s: ServiceAccount = %q, want %q", tt.executor, got, tt.want)
		}
	}
}

// TestReleaseTable holds the table to its own rules: rows in release order,
// each with its source and what it assumes, and the flags ydpgen writes
// follow it.
func TestReleaseTable(t *testing.T) {
	rows := Releases()
	for i, r := range rows {
		if r.Source == "" || r.Assumed == "" || r.PlatformModule == "" || r.ReconcileModule == "" {
			t.Errorf("row %s is incomplete: %+v", r.Since, r)
		}
		if i > 0 {
			prev, _ := parseRelease(rows[i-1].Since + ".0")
			cur, _ := parseRelease(r.Since + ".0")
			if !prev.before(cur.major, cur.minor) {
				t.Errorf("row %s does not follow row %s", r.Since, rows[i-1].Since)
			}
		}
	}
	for _, tc := range []struct {
		version string
		rte     bool
	}{{"0.9.3", false}, {"1.1.0", true}, {"1.8.4", true}} {
		args, err := Ring0Args(tc.version, "Demo_PSP", "lab", "/m", "/o")
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"generatePlatformBootstrap", "--ringLevel", "0", "--model", "/m", "--output", "/o", "--psp", "Demo_PSP"}
		if tc.rte {
			want = append(want, "--rte-name", "lab")
		}
		if !slices.Equal(args, want) {
			t.Errorf("%s: ring 0 %v, want %v", tc.version, args, want)
		}
		env := loadExample(t, "pi-lab")
		env.DataSurface.Version = tc.version
		objs := generate(t, env)
		for _, j := range byKind[*batchv1.Job](objs) {
			if j.Labels["app.kubernetes.io/component"] != "ring1-init" {
				continue
			}
			got := slices.Contains(j.Spec.Template.Spec.Containers[0].Args, "--rte-name")
			if got != tc.rte {
				t.Errorf("%s: ring1-init passes --rte-name %v, want %v", tc.version, got, tc.rte)
			}
		}
	}
}

// TestPublishJob: with a credential that may push, a Job of its own
// component runs the script from its ConfigMap with ring 0's command line
// and git-sync's repository, branch and subPath; published by hand, none.
func TestPublishJob(t *testing.T) {
	env := loadExample(t, "pi-lab")
	objs := generate(t, env)
	var job *batchv1.Job
	for _, j := range byKind[*batchv1.Job](objs) {
		if j.Labels["app.kubernetes.io/component"] == PublishComponent {
			job = j
		}
	}
	var script *corev1.ConfigMap
	for _, c := range byKind[*corev1.ConfigMap](objs) {
		if c.Labels["app.kubernetes.io/component"] == PublishComponent {
			script = c
		}
	}
	if job == nil || script == nil {
		t.Fatalf("publish Job %v, script %v", job, script)
	}
	if job.Name != "demo-psp-infrastructure-dag" || script.Data["publish.sh"] != PublishScript() {
		t.Errorf("Job %s, script of %d bytes", job.Name, len(script.Data["publish.sh"]))
	}
	pod := job.Spec.Template.Spec
	if pod.Volumes[0].ConfigMap == nil || pod.Volumes[0].ConfigMap.Name != script.Name {
		t.Errorf("the Job does not mount its script: %+v", pod.Volumes)
	}
	c := pod.Containers[0]
	wantCmd := []string{"/bin/sh", "/opt/ydpgen/publish.sh", "python", "-m", "datasurface.entrypoints.platform", "generatePlatformBootstrap",
		"--ringLevel", "0", "--model", "/workspace/model", "--output", "/workspace/generated", "--psp", "Demo_PSP", "--rte-name", "lab"}
	if !slices.Equal(c.Command, wantCmd) {
		t.Errorf("command %v\nwant %v", c.Command, wantCmd)
	}
	vars := map[string]corev1.EnvVar{}
	for _, v := range c.Env {
		vars[v.Name] = v
	}
	for k, want := range map[string]string{
		"DAG_REPOSITORY": "https://github.com/example/pi-lab-dags.git", "DAG_BRANCH": "main", "DAG_PATH": "dags",
		"DAG_FILE": "demo_psp_infrastructure_dag.py", "GENERATED_DIR": "/workspace/generated/Demo_PSP",
		"MODEL_REPOSITORY": "https://github.com/example/demo_bootstrap.git", "MODEL_GIT_USERNAME": "x-access-token",
	} {
		if vars[k].Value != want {
			t.Errorf("%s=%q, want %q", k, vars[k].Value, want)
		}
	}
	// git-sync's credential: its own user name and password; the model's
	// token under its key.
	for k, want := range map[string]string{"DAG_GIT_USERNAME": "git-dags/GITSYNC_USERNAME", "DAG_GIT_PASSWORD": "git-dags/GITSYNC_PASSWORD", "MODEL_GIT_PASSWORD": "git/TOKEN"} {
		ref := vars[k].ValueFrom
		if ref == nil || ref.SecretKeyRef.Name+"/"+ref.SecretKeyRef.Key != want {
			t.Errorf("%s from %+v, want %s", k, ref, want)
		}
	}

	// A model over SSH: the Job clones it with the mounted key and known
	// hosts, as DataSurface's own Jobs do, and gives git no model token.
	ssh := *env
	ssh.DataSurface.Model.Repository = "git@github.com:example/demo_bootstrap.git"
	ssh.DataSurface.Model.KnownHosts = "github.com ssh-ed25519 AAAA\n"
	found := false
	for _, j := range byKind[*batchv1.Job](generate(t, &ssh)) {
		if j.Labels["app.kubernetes.io/component"] != PublishComponent {
			continue
		}
		found = true
		c := j.Spec.Template.Spec.Containers[0]
		var names []string
		for _, v := range c.Env {
			names = append(names, v.Name)
		}
		if !slices.Contains(names, "GIT_SSH_COMMAND") || slices.Contains(names, "MODEL_GIT_PASSWORD") {
			t.Errorf("SSH model: env %v", names)
		}
		if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == "model-git-ssh" }) {
			t.Errorf("SSH model: mounts %+v", c.VolumeMounts)
		}
	}
	if !found {
		t.Error("SSH model: no publish Job")
	}

	env.DataSurface.InfrastructureDAG.Publish = model.PublishManual
	for _, o := range generate(t, env) {
		if l := o.GetLabels()["app.kubernetes.io/component"]; l == PublishComponent {
			t.Errorf("published by hand, yet %s %s is rendered", o.GetObjectKind().GroupVersionKind().Kind, o.GetName())
		}
	}
}

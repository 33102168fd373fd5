package review

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// objectsOf parses a YAML stream of objects.
func objectsOf(t *testing.T, src string) []object {
	t.Helper()
	docs, err := parseDocs([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	objs, ok := asObjects(docs)
	if !ok {
		t.Fatalf("not all objects:\n%s", src)
	}
	return objs
}

// flagIDs runs the object diff and lists the flags it raised, in order.
func flagIDs(cs []ObjectChange) []string {
	var ids []string
	for _, c := range cs {
		for _, f := range c.Flags {
			ids = append(ids, f.ID)
		}
	}
	return ids
}

const job = `apiVersion: batch/v1
kind: Job
metadata: {name: ring1-init, namespace: ns}
spec:
  ttlSecondsAfterFinished: 600
  backoffLimit: 3
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: init, image: "ds:1.8.4"}
`

const pvc = `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: git-cache-pvc, namespace: ns}
spec:
  accessModes: [ReadWriteMany]
  storageClassName: efs-sc
  resources: {requests: {storage: 5Gi}}
`

// keptPVC is pvc with one annotation that keeps it when it leaves the tree.
func keptPVC(annotation string) string {
	return strings.Replace(pvc, "namespace: ns}", "namespace: ns, annotations: {"+annotation+"}}", 1)
}

const sts = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: postgres, namespace: ns}
spec:
  serviceName: postgres
  podManagementPolicy: OrderedReady
  selector: {matchLabels: {app: postgres}}
  template:
    metadata: {labels: {app: postgres}}
    spec: {containers: [{name: postgres, image: "postgres:16-alpine"}]}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 8Gi}}}
`

const deploy = `apiVersion: apps/v1
kind: Deployment
metadata: {name: mcp, namespace: ns}
spec:
  replicas: 1
  selector: {matchLabels: {app: mcp}}
  template:
    metadata: {labels: {app: mcp}}
    spec: {containers: [{name: mcp, image: "ds:1.8.4"}]}
`

const daemonSet = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ns}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: "agent:1"}]}
`

const service = `apiVersion: v1
kind: Service
metadata: {name: mcp, namespace: ns}
spec:
  type: NodePort
  selector: {app: mcp}
  ports: [{name: sse, port: 8000}]
`

const namespace = `apiVersion: v1
kind: Namespace
metadata: {name: ns}
`

const application = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: airflow, namespace: argocd}
spec:
  project: yellow
  sources:
  - {repoURL: "https://airflow.apache.org", chart: airflow, targetRevision: 1.19.0, helm: {valueFiles: [$values/overlays/prod/airflow/values.yaml]}}
  - {repoURL: "https://github.com/example/gitops.git", targetRevision: main, ref: values}
`

const applicationSet = `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: airflow, namespace: argocd}
spec:
  template:
    metadata: {name: "airflow-{{env}}"}
    spec:
      source: {repoURL: "https://airflow.apache.org", chart: airflow, targetRevision: 1.19.0}
`

const helmRelease = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: airflow, namespace: ns}
spec:
  interval: 10m
  chart:
    spec:
      chart: airflow
      version: 1.19.0
      sourceRef: {kind: HelmRepository, name: apache-airflow}
  values:
    airflowVersion: 3.1.7
`

// edit replaces old by new in a YAML text, failing when old is not there.
const externalSecret = `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: git}
spec:
  refreshInterval: 1h
  secretStoreRef: {kind: SecretStore, name: runtime}
  data:
  - {secretKey: TOKEN, remoteRef: {key: datasurface/ns/git, property: token}}
`

const generatedSecret = `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: fernet}
spec:
  dataFrom:
  - sourceRef: {generatorRef: {apiVersion: generators.external-secrets.io/v1alpha1, kind: Password, name: fernet}}
`

func edit(t *testing.T, src string, pairs ...string) string {
	t.Helper()
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(src, pairs[i]) {
			t.Fatalf("%q not in\n%s", pairs[i], src)
		}
		src = strings.Replace(src, pairs[i], pairs[i+1], 1)
	}
	return src
}

// TestRiskFlags holds, for every flag, a change that raises it and a
// similar one that must not. Each case fails if its rule is removed or
// made to fire too widely.
func TestRiskFlags(t *testing.T) {
	type tc struct {
		name     string
		old, new string
		want     []string
	}
	cases := []tc{
		{"job template", job, edit(t, job, "ds:1.8.4", "ds:1.8.5"), []string{JobImmutable}},
		{"job selector", job, edit(t, job, "  backoffLimit: 3\n", "  backoffLimit: 3\n  selector: {matchLabels: {a: b}}\n"), []string{JobImmutable}},
		{"job ttl is mutable", job, edit(t, job, "600", "3600"), nil},
		{"job renamed by its hash is a new job", job, edit(t, job, "ring1-init", "ring1-init-7f3k9q", "ds:1.8.4", "ds:1.8.5"), nil},
		{"job hash changes with its template", edit(t, job, "ring1-init", "ring1-init-a1b2c3"), edit(t, job, "ring1-init", "ring1-init-d4e5f6", "ds:1.8.4", "ds:1.8.5"), nil},

		{"pvc grows", pvc, edit(t, pvc, "5Gi", "10Gi"), []string{PVCResize}},
		{"pvc grows across units", pvc, edit(t, pvc, "5Gi", "6000Mi"), []string{PVCResize}},
		{"pvc same size in other units", pvc, edit(t, pvc, "5Gi", "5120Mi"), nil},
		{"pvc shrinks", pvc, edit(t, pvc, "5Gi", "4Gi"), []string{PVCImmutable}},
		{"pvc storage class", pvc, edit(t, pvc, "efs-sc", "gp3"), []string{PVCImmutable}},
		{"pvc access mode", pvc, edit(t, pvc, "ReadWriteMany", "ReadWriteOnce"), []string{PVCImmutable}},
		{"pvc labels are mutable", pvc, edit(t, pvc, "namespace: ns}", "namespace: ns, labels: {a: b}}"), nil},
		{"pvc deleted", pvc + "---\n" + namespace, namespace, []string{PVCDeleted}},
		{"pvc renamed", pvc, edit(t, pvc, "git-cache-pvc", "git-cache"), []string{PVCDeleted}},
		{"protected pvc deleted (argo cd)", keptPVC("argocd.argoproj.io/sync-options: \"Prune=false,Delete=false\"") + "---\n" + namespace, namespace, []string{PVCOrphaned}},
		{"protected pvc renamed (flux)", keptPVC("kustomize.toolkit.fluxcd.io/prune: disabled"),
			edit(t, keptPVC("kustomize.toolkit.fluxcd.io/prune: disabled"), "git-cache-pvc", "git-cache"), []string{PVCOrphaned}},
		{"pvc protected from deletion only", keptPVC("argocd.argoproj.io/sync-options: Delete=false") + "---\n" + namespace, namespace, []string{PVCDeleted}},

		{"statefulset selector", sts, edit(t, sts, "matchLabels: {app: postgres}", "matchLabels: {app: pg}", "labels: {app: postgres}", "labels: {app: postgres, x: y}"), []string{StatefulSetImmutable}},
		{"statefulset serviceName", sts, edit(t, sts, "serviceName: postgres", "serviceName: pg"), []string{StatefulSetImmutable}},
		{"statefulset claims", sts, edit(t, sts, "8Gi", "16Gi"), []string{StatefulSetImmutable}},
		{"statefulset pod management", sts, edit(t, sts, "OrderedReady", "Parallel"), []string{StatefulSetImmutable}},
		{"statefulset image is mutable", sts, edit(t, sts, "16-alpine", "16.4-alpine"), nil},
		{"statefulset deleted with claims", sts, "", []string{StatefulSetWithClaims}},
		{"statefulset without claims deleted", edit(t, sts, "  volumeClaimTemplates:\n  - metadata: {name: data}\n    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 8Gi}}}\n", ""), "", nil},

		{"deployment selector", deploy, edit(t, deploy, "matchLabels: {app: mcp}", "matchLabels: {app: mcp, v: \"2\"}"), []string{SelectorImmutable}},
		{"daemonset selector", daemonSet, edit(t, daemonSet, "matchLabels: {app: agent}", "matchLabels: {name: agent}"), []string{SelectorImmutable}},
		{"deployment replicas are mutable", deploy, edit(t, deploy, "replicas: 1", "replicas: 3"), nil},

		{"service type", service, edit(t, service, "NodePort", "LoadBalancer"), []string{ServiceTypeChange}},
		{"service type from the default", edit(t, service, "  type: NodePort\n", ""), service, []string{ServiceTypeChange}},
		{"service type spelled out as the default", edit(t, service, "  type: NodePort\n", ""), edit(t, service, "NodePort", "ClusterIP"), nil},
		{"service cluster IP", edit(t, service, "  type: NodePort\n", "  clusterIP: 10.0.0.10\n"), edit(t, service, "  type: NodePort\n", "  clusterIP: None\n"), []string{ServiceClusterIP}},
		{"service ports are mutable", service, edit(t, service, "8000", "8001"), nil},

		{"object moves namespace", deploy, edit(t, deploy, "namespace: ns", "namespace: other"), []string{NamespaceMove}},
		{"claim moves namespace", pvc, edit(t, pvc, "namespace: ns", "namespace: other"), []string{NamespaceMove, PVCDeleted}},
		{"protected claim moves namespace", keptPVC("helm.sh/resource-policy: keep"),
			edit(t, keptPVC("helm.sh/resource-policy: keep"), "namespace: ns", "namespace: other"), []string{NamespaceMove, PVCOrphaned}},
		{"namespace renamed", namespace, edit(t, namespace, "name: ns", "name: ns2"), []string{NamespaceRenamed}},
		{"namespace renamed with its objects: one flag", namespace + "---\n" + deploy + "---\n" + service,
			strings.ReplaceAll(strings.ReplaceAll(namespace+"---\n"+deploy+"---\n"+service, "namespace: ns", "namespace: ns2"), "name: ns}", "name: ns2}"), []string{NamespaceRenamed}},
		{"objects move without their namespace: one flag", deploy + "---\n" + service,
			strings.ReplaceAll(deploy+"---\n"+service, "namespace: ns", "namespace: other"), []string{NamespaceMove}},

		{"external secret added", deploy, deploy + "---\n" + externalSecret, []string{CredentialNew}},
		{"external secret reads a new key", externalSecret, edit(t, externalSecret, "datasurface/ns/git", "datasurface/ns/git2"), []string{CredentialNew}},
		{"external secret renamed, same key", externalSecret, edit(t, externalSecret, "name: git}", "name: git-token}"), nil},
		{"external secret refreshes more often", externalSecret, edit(t, externalSecret, "1h", "10m"), nil},
		{"external secret from a generator", deploy, deploy + "---\n" + generatedSecret, nil},
		{"two external secrets read one new key: one flag", deploy, deploy + "---\n" + externalSecret + "---\n" + strings.Replace(externalSecret, "name: git}", "name: git-url}", 1), []string{CredentialNew}},
		{"namespace deleted", namespace + "---\n" + deploy, deploy, []string{NamespaceDeleted}},
		{"namespace added", deploy, namespace + "---\n" + deploy, nil},

		{"argo application chart major", application, edit(t, application, "1.19.0", "2.0.0"), []string{ChartMajor}},
		{"argo application chart minor", application, edit(t, application, "1.19.0", "1.20.0"), nil},
		{"argo application set chart major", applicationSet, edit(t, applicationSet, "1.19.0", "2.1.0"), []string{ChartMajor}},
		{"flux release chart major", helmRelease, edit(t, helmRelease, "version: 1.19.0", "version: 2.0.x"), []string{ChartMajor}},
		{"flux release chart range within a major", helmRelease, edit(t, helmRelease, "version: 1.19.0", "version: \">=1.19.0 <2.0.0\""), nil},

		{"airflow downgrade in a release's values", helmRelease, edit(t, helmRelease, "3.1.7", "3.1.6"), []string{AirflowDowngrade}},
		{"airflow downgrade across minors", helmRelease, edit(t, helmRelease, "3.1.7", "2.11.0"), []string{AirflowDowngrade}},
		{"airflow upgrade", helmRelease, edit(t, helmRelease, "3.1.7", "3.10.0"), nil},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var old, new []object
			if c.old != "" {
				old = objectsOf(t, c.old)
			}
			if c.new != "" {
				new = objectsOf(t, c.new)
			}
			got := flagIDs(diffObjects(old, new))
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("flags (-want +got):\n%s", diff)
			}
		})
		for _, id := range c.want {
			covered[id] = true
		}
	}
	// Every rule has a case that raises it.
	for _, r := range Rules() {
		if !covered[r.ID] {
			t.Errorf("rule %s has no case", r.ID)
		}
	}
}

// TestValuesFileFlags covers the flags raised by Helm values files: the
// chart in ydpgen's header and airflowVersion.
func TestValuesFileFlags(t *testing.T) {
	values := "# Generated by ydpgen. DO NOT EDIT: change the platform spec and render again.\n" +
		"# Helm values for chart airflow 1.19.0 from https://airflow.apache.org,\n" +
		"airflowVersion: 3.1.7\n" +
		"logs: {persistence: {enabled: true, annotations: {helm.sh/resource-policy: keep}}}\n" +
		"dags: {persistence: {enabled: true, annotations: {argocd.argoproj.io/sync-options: \"Prune=false,Delete=false\"}}}\n" +
		"executor: CeleryExecutor\n"
	cases := []struct {
		name string
		new  string
		want []string
	}{
		{"chart major", strings.Replace(values, "1.19.0", "2.0.0", 1), []string{ChartMajor}},
		{"chart minor", strings.Replace(values, "1.19.0", "1.20.0", 1), nil},
		{"airflow downgrade", strings.Replace(values, "3.1.7", "3.1.6", 1), []string{AirflowDowngrade}},
		{"airflow upgrade", strings.Replace(values, "3.1.7", "3.2.0", 1), nil},
		{"both", strings.Replace(strings.Replace(values, "3.1.7", "3.0.0", 1), "1.19.0", "2.0.0", 1), []string{ChartMajor, AirflowDowngrade}},
		{"kept logs claim switched off", strings.Replace(values, "enabled: true, annotations: {helm.sh/resource-policy: keep}", "enabled: false", 1), []string{PVCOrphaned}},
		{"kept DAG claim dropped", strings.Replace(values, "dags: {persistence: {enabled: true, annotations: {argocd.argoproj.io/sync-options: \"Prune=false,Delete=false\"}}}\n", "", 1), []string{PVCOrphaned}},
		{"claim annotations changed", strings.Replace(values, "resource-policy: keep", "resource-policy: delete", 1), nil},
		{"logs claim size written out", strings.Replace(values, "logs: {persistence: {enabled: true", "logs: {persistence: {size: 100Gi, enabled: true", 1), nil},
	}
	sized := strings.Replace(values, "logs: {persistence: {enabled: true", "logs: {persistence: {size: 50Gi, storageClassName: efs-sc, enabled: true", 1)
	for _, c := range []struct {
		name, old, new string
		want           []string
	}{
		{"logs claim grows", "size: 50Gi", "size: 100Gi", []string{PVCResize}},
		{"logs claim shrinks", "size: 50Gi", "size: 20Gi", []string{PVCImmutable}},
		{"logs claim re-classed", "storageClassName: efs-sc", "storageClassName: gp3", []string{PVCImmutable}},
	} {
		t.Run(c.name, func(t *testing.T) {
			fc := diffFile("overlays/prod/airflow/values.yaml", []byte(sized), []byte(strings.Replace(sized, c.old, c.new, 1)), true, true)
			var got []string
			for _, f := range fc.Flags {
				got = append(got, f.ID)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("flags (-want +got):\n%s", diff)
			}
		})
	}
	// A claim without a keep annotation is deleted by the next upgrade.
	unkept := strings.Replace(values, ", annotations: {helm.sh/resource-policy: keep}", "", 1)
	fc := diffFile("overlays/prod/airflow/values.yaml", []byte(unkept), []byte(strings.Replace(unkept, "logs: {persistence: {enabled: true}}", "logs: {persistence: {enabled: false}}", 1)), true, true)
	if len(fc.Flags) != 1 || fc.Flags[0].ID != PVCDeleted {
		t.Errorf("an unkept logs claim switched off: flags %v, want %s", fc.Flags, PVCDeleted)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fc := diffFile("overlays/prod/airflow/values.yaml", []byte(values), []byte(c.new), true, true)
			var got []string
			for _, f := range fc.Flags {
				got = append(got, f.ID)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("flags (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRulesAreDocumented(t *testing.T) {
	var ids []string
	for _, r := range Rules() {
		if r.Why == "" || strings.Contains(r.Why, "\n") {
			t.Errorf("rule %s needs a one-line why", r.ID)
		}
		if slices.Contains(ids, r.ID) {
			t.Errorf("rule %s twice", r.ID)
		}
		ids = append(ids, r.ID)
	}
}

func TestMajor(t *testing.T) {
	cases := map[string]int{"1.19.0": 1, "v2": 2, "^1.19": 1, ">=1.19.0 <2.0.0": 1, "1.x": 1, "~3.0": 3, "10.0.0": 10}
	for in, want := range cases {
		got, ok := major(in)
		if !ok || got != want {
			t.Errorf("major(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "*", "latest", "main"} {
		if _, ok := major(in); ok {
			t.Errorf("major(%q) reads a version", in)
		}
	}
}

func TestVersionLess(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"3.1.6", "3.1.7", true},
		{"3.1.7", "3.1.6", false},
		{"3.1.7", "3.1.7", false},
		{"3.9.0", "3.10.0", true},
		{"2.11.0", "3.0.0", true},
		{"3.1", "3.1.1", true},
		{"3.1.7rc1", "3.1.8", true},
		{`"3.2"`, "3.10", true},
		{"latest", "3.1.7", false},
	}
	for _, c := range cases {
		if got := versionLess(c.a, c.b); got != c.want {
			t.Errorf("versionLess(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

// TestNamespaceMoveCountedOnce: one flag per namespace move, saying how
// many objects move.
func TestNamespaceMoveCountedOnce(t *testing.T) {
	two := deploy + "---\n" + service
	details := func(cs []ObjectChange) []string {
		var out []string
		for _, c := range cs {
			for _, f := range c.Flags {
				out = append(out, f.ID+" "+f.Detail)
			}
		}
		return out
	}
	got := details(diffObjects(objectsOf(t, namespace+"---\n"+two),
		objectsOf(t, strings.ReplaceAll(strings.ReplaceAll(namespace+"---\n"+two, "namespace: ns", "namespace: ns2"), "name: ns}", "name: ns2}"))))
	if diff := cmp.Diff([]string{"namespace-renamed ns -> ns2: 2 objects move with it"}, got); diff != "" {
		t.Errorf("renamed namespace (-want +got):\n%s", diff)
	}
	got = details(diffObjects(objectsOf(t, two), objectsOf(t, strings.ReplaceAll(two, "namespace: ns", "namespace: other"))))
	if diff := cmp.Diff([]string{"namespace-move ns -> other: 2 objects move"}, got); diff != "" {
		t.Errorf("moved objects (-want +got):\n%s", diff)
	}
}

// TestManualSecretFlags: a Secret SECRETS.md of the manual provider asks
// for that it did not before, or in a new namespace, must be created first.
func TestManualSecretFlags(t *testing.T) {
	doc := func(ns string, names ...string) []byte {
		s := "# Secrets of environment `lab`\n\nPlatform `pi-lab`, namespace `" + ns + "`, secrets provider `manual`.\n\n" +
			"| Secret | Type | Keys | Made | Variables |\n| --- | --- | --- | --- | --- |\n"
		for _, n := range names {
			s += "| `" + n + "` | API_TOKEN | `TOKEN` | typed once | `YDP_TOKEN` |\n"
		}
		s += "| `mcp-tls` | Ingress certificate (kubernetes.io/tls) | `tls.crt`, `tls.key` | issued by cert-manager, from ClusterIssuer lab-ca |  |\n"
		return []byte(s)
	}
	details := func(fc FileChange) []string {
		var out []string
		for _, f := range fc.Flags {
			out = append(out, f.ID+": "+f.Detail)
		}
		return out
	}
	for _, c := range []struct {
		name string
		a, b []byte
		ina  bool
		want []string
	}{
		{"credential renamed", doc("ds", "git", "postgres"), doc("ds", "git-token", "postgres"), true,
			[]string{"credential-new: Secret git-token must exist in namespace ds before this merges (typed once; SECRETS.md says how)"}},
		{"credential removed", doc("ds", "git", "postgres"), doc("ds", "postgres"), true, nil},
		{"namespace moved", doc("ds", "git"), doc("ds2", "git"), true,
			[]string{"credential-new: Secret git must exist in namespace ds2 before this merges (typed once; SECRETS.md says how)"}},
		{"new environment", nil, doc("ds", "git"), false,
			[]string{"credential-new: Secret git must exist in namespace ds before this merges (typed once; SECRETS.md says how)"}},
		{"another provider", nil, []byte(strings.Replace(string(doc("ds", "git")), "`manual`", "`external-secrets`", 1)), false, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := details(diffFile("overlays/lab/SECRETS.md", c.a, c.b, c.ina, true))
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("flags (-want +got):\n%s", diff)
			}
		})
	}
}

package database

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
	"github.com/ydpgen/ydpgen/passes/jobhash"
)

func inCluster() *model.Environment {
	env, _ := richEnvironment()
	md := &env.Airflow.MetadataDatabase
	md.Mode = model.InCluster
	md.Host = model.InClusterDatabaseHost(env.Namespace.Name)
	md.Server.Storage = model.DatabaseStorage{Size: "8Gi"}
	md.Server.Resources = model.Resources{Requests: model.CPUMemory{CPU: "250m", Memory: "256Mi"}, Limits: model.CPUMemory{CPU: "1", Memory: "1Gi"}}
	return env
}

func kinds(objs []objset.Object) string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetObjectKind().GroupVersionKind().Kind+"/"+o.GetName())
	}
	return strings.Join(out, " ")
}

func TestGenerateByMode(t *testing.T) {
	for _, tc := range []struct {
		name   string
		env    func() *model.Environment
		prefix string
	}{
		{"in-cluster", inCluster, "StatefulSet/postgres Service/postgres ConfigMap/postgres-bootstrap Job/postgres-bootstrap"},
		{"external", func() *model.Environment { e, _ := richEnvironment(); return e }, "ConfigMap/postgres-bootstrap Job/postgres-bootstrap"},
		{"external without bootstrap", func() *model.Environment {
			e, _ := richEnvironment()
			e.Airflow.MetadataDatabase.Bootstrap.Enabled = false
			return e
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Generator{}.Generate(tc.env())
			if err != nil {
				t.Fatal(err)
			}
			got := kinds(a.Objects)
			if !strings.HasPrefix(got, tc.prefix) || (tc.prefix == "") != (got == "") {
				t.Errorf("objects %q, want %q...", got, tc.prefix)
			}
		})
	}
}

func objects(t *testing.T, env *model.Environment) (*appsv1.StatefulSet, *corev1.Service, *batchv1.Job) {
	t.Helper()
	a, err := Generator{}.Generate(env)
	if err != nil {
		t.Fatal(err)
	}
	var sts *appsv1.StatefulSet
	var svc *corev1.Service
	var job *batchv1.Job
	for _, o := range a.Objects {
		switch o := o.(type) {
		case *appsv1.StatefulSet:
			sts = o
		case *corev1.Service:
			svc = o
		case *batchv1.Job:
			job = o
		}
	}
	return sts, svc, job
}

// Pod Security "restricted", for every pod the generator makes.
func TestRestricted(t *testing.T) {
	sts, _, job := objects(t, inCluster())
	for _, pod := range []corev1.PodSpec{sts.Spec.Template.Spec, job.Spec.Template.Spec} {
		psc := pod.SecurityContext
		if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 ||
			psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("pod security context %+v", psc)
		}
		for _, c := range pod.Containers {
			sc := c.SecurityContext
			if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
				sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" || len(sc.Capabilities.Add) > 0 {
				t.Errorf("container %s: security context %+v", c.Name, sc)
			}
			if c.Resources.Requests.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
				t.Errorf("container %s: resources %+v", c.Name, c.Resources)
			}
			if strings.HasSuffix(c.Image, ":latest") || !strings.Contains(c.Image, ":") {
				t.Errorf("container %s: image %s not pinned", c.Name, c.Image)
			}
			for _, e := range c.Env {
				if (strings.Contains(e.Name, "PASSWORD") || strings.HasSuffix(e.Name, "USER")) && e.ValueFrom == nil {
					t.Errorf("container %s: %s has a value in the manifest", c.Name, e.Name)
				}
			}
		}
	}
}

func TestServer(t *testing.T) {
	env := inCluster()
	env.Airflow.ReleaseName = "yellow"
	sts, svc, job := objects(t, env)

	// Airflow's connection, the Job and the Service agree on the address.
	if got := job.Spec.Template.Spec.Containers[0].Env[0]; got.Name != "PGHOST" || got.Value != "postgres.datasurface.svc.cluster.local" {
		t.Errorf("Job connects to %+v", got)
	}
	if svc.Name+"."+svc.Namespace+".svc.cluster.local" != env.Airflow.MetadataDatabase.Host {
		t.Errorf("Service %s/%s does not serve %s", svc.Namespace, svc.Name, env.Airflow.MetadataDatabase.Host)
	}
	for k, v := range svc.Spec.Selector {
		if sts.Spec.Template.Labels[k] != v {
			t.Errorf("Service selector %s=%s does not match the pods", k, v)
		}
	}

	// The database is placed first: it waits for no other pod, and the
	// scheduler follows it (generators/airflow).
	if a := sts.Spec.Template.Spec.Affinity; a != nil {
		t.Errorf("the database has an affinity the apply order cannot satisfy: %+v", a)
	}
	for k, v := range ServerSelector(env) {
		if sts.Spec.Template.Labels[k] != v {
			t.Errorf("ServerSelector %s=%s does not select the database's pod", k, v)
		}
	}

	// The claim: ReadWriteOnce, the spec's size, the cluster's default class.
	claim := sts.Spec.VolumeClaimTemplates[0].Spec
	if claim.AccessModes[0] != corev1.ReadWriteOnce || *claim.StorageClassName != "longhorn" || claim.Resources.Requests.Storage().String() != "8Gi" {
		t.Errorf("claim %+v", claim)
	}
	env.Airflow.MetadataDatabase.Server.Storage.StorageClass = "local-path"
	sts, _, _ = objects(t, env)
	if got := *sts.Spec.VolumeClaimTemplates[0].Spec.StorageClassName; got != "local-path" {
		t.Errorf("storage class %s, want the spec's local-path", got)
	}

	// PGDATA below the mount point: a new volume's lost+found would make
	// initdb refuse the directory.
	c := sts.Spec.Template.Spec.Containers[0]
	var pgdata string
	for _, e := range c.Env {
		if e.Name == "PGDATA" {
			pgdata = e.Value
		}
	}
	if !strings.HasPrefix(pgdata, c.VolumeMounts[0].MountPath+"/") {
		t.Errorf("PGDATA %s is not below the data mount %s", pgdata, c.VolumeMounts[0].MountPath)
	}
}

// TestJobName: the bootstrap Job is named like its ConfigMap, and what
// render's jobhash pass hashes (the Job's spec and the SQL it mounts)
// changes with the databases, so a changed bootstrap becomes a new Job.
func TestJobName(t *testing.T) {
	hash := func(env *model.Environment) string {
		t.Helper()
		a, err := Generator{}.Generate(env)
		if err != nil {
			t.Fatal(err)
		}
		byKind := map[string]objset.Entry{}
		for _, o := range a.Objects {
			e, err := objset.NewEntry(o)
			if err != nil {
				t.Fatal(err)
			}
			byKind[e.GVK.Kind] = e
		}
		job, cm := byKind["Job"], byKind["ConfigMap"]
		if job.Name != BootstrapName || cm.Name != BootstrapName {
			t.Fatalf("Job %q and ConfigMap %q, want both %q", job.Name, cm.Name, BootstrapName)
		}
		h, err := jobhash.Hash(job.Content, func(name string) map[string]any {
			if name == cm.Name {
				return cm.Content
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	a, b := hash(inCluster()), hash(inCluster())
	if a != b {
		t.Errorf("the same spec gave hashes %s and %s", a, b)
	}
	env := inCluster()
	env.Databases = append(env.Databases, model.Database{Name: "customer_db", Owner: "postgres"})
	if c := hash(env); c == a {
		t.Errorf("another database, same hash %s: the immutable Job could not be updated", c)
	}
}

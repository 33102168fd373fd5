package golden

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/ydpgen/ydpgen/kube/labels"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

// podTemplate returns the pod template of a workload, or nil for other kinds.
func podTemplate(o any) *corev1.PodTemplateSpec {
	switch v := o.(type) {
	case *appsv1.Deployment:
		return &v.Spec.Template
	case *appsv1.StatefulSet:
		return &v.Spec.Template
	case *appsv1.DaemonSet:
		return &v.Spec.Template
	case *batchv1.Job:
		return &v.Spec.Template
	case *batchv1.CronJob:
		return &v.Spec.JobTemplate.Spec.Template
	}
	return nil
}

func typed(t *testing.T, e objset.Entry) any {
	t.Helper()
	obj, err := scheme.Scheme.New(e.GVK)
	if err != nil {
		return nil
	}
	raw, err := json.Marshal(e.Content)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

// TestWorkloadQuality holds every rendered workload to the bar:
// requests and limits on every container, Pod Security "restricted",
// images pinned by tag (or digest), and the recommended labels on every
// object: under Argo CD without app.kubernetes.io/instance, which its label
// tracking writes (the owning Application's name), and with the platform
// label instead.
func TestWorkloadQuality(t *testing.T) {
	workloads := 0
	for _, v := range variants(t) {
		name := v.dir
		res := renderVariant(t, v)
		for _, env := range res.Environments {
			for _, e := range env.Objects {
				id := name + "/" + env.Name + ": " + e.ID()
				md, _ := e.Content["metadata"].(map[string]any)
				l, _ := md["labels"].(map[string]any)
				for _, k := range []string{"app.kubernetes.io/name", "app.kubernetes.io/component", "app.kubernetes.io/part-of", "app.kubernetes.io/managed-by"} {
					if s, _ := l[k].(string); s == "" {
						t.Errorf("%s: no label %s", id, k)
					}
				}
				if l[labels.Platform] != res.Platform.Name {
					t.Errorf("%s: label %s=%v, want %s", id, labels.Platform, l[labels.Platform], res.Platform.Name)
				}
				argo := res.Platform.Environments[0].GitOps.Engine == model.EngineArgoCD
				if inst, has := l[labels.Instance]; has == argo || (has && inst != res.Platform.Name) {
					t.Errorf("%s: label %s=%v under engine %s", id, labels.Instance, inst, res.Platform.Environments[0].GitOps.Engine)
				}
				if l["app.kubernetes.io/managed-by"] != labels.ManagedBy {
					t.Errorf("%s: managed-by %v", id, l["app.kubernetes.io/managed-by"])
				}
				pt := podTemplate(typed(t, e))
				if pt == nil {
					continue
				}
				workloads++
				checkPod(t, id, pt)
			}
		}
	}
	if workloads == 0 {
		t.Fatal("no workload was checked")
	}
}

func checkPod(t *testing.T, id string, pt *corev1.PodTemplateSpec) {
	t.Helper()
	ps := pt.Spec.SecurityContext
	if ps == nil || ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot {
		t.Errorf("%s: pod does not require a non-root user", id)
	}
	if ps != nil && ps.RunAsUser != nil && *ps.RunAsUser == 0 {
		t.Errorf("%s: pod runs as root", id)
	}
	if ps == nil || ps.SeccompProfile == nil || ps.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: no RuntimeDefault seccomp profile", id)
	}
	if len(pt.Labels) == 0 {
		t.Errorf("%s: pod template has no labels", id)
	}
	containers := append(append([]corev1.Container{}, pt.Spec.InitContainers...), pt.Spec.Containers...)
	for _, c := range containers {
		cid := id + " container " + c.Name
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if _, ok := c.Resources.Requests[r]; !ok {
				t.Errorf("%s: no %s request", cid, r)
			}
			if _, ok := c.Resources.Limits[r]; !ok {
				t.Errorf("%s: no %s limit", cid, r)
			}
		}
		sc := c.SecurityContext
		if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("%s: privilege escalation not forbidden", cid)
		}
		if sc == nil || sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
			t.Errorf("%s: capabilities not all dropped", cid)
		}
		if sc != nil && sc.Privileged != nil && *sc.Privileged {
			t.Errorf("%s: privileged", cid)
		}
		if !pinned(c.Image) {
			t.Errorf("%s: image %q is not pinned by a tag other than latest", cid, c.Image)
		}
	}
}

// pinned reports whether an image reference names a tag other than latest,
// or a digest.
func pinned(ref string) bool {
	if strings.Contains(ref, "@sha256:") {
		return true
	}
	name := ref[strings.LastIndex(ref, "/")+1:]
	i := strings.LastIndexByte(name, ':')
	return i > 0 && name[i+1:] != "" && name[i+1:] != "latest"
}

func TestPinned(t *testing.T) {
	for ref, want := range map[string]bool{
		"postgres:16-alpine":                      true,
		"registry.example.com:5000/team/app:v1.2": true,
		"registry.example.com:5000/team/app":      false,
		"busybox":                                 false,
		"busybox:latest":                          false,
		"app@sha256:0123":                         true,
	} {
		if got := pinned(ref); got != want {
			t.Errorf("pinned(%q) = %v, want %v", ref, got, want)
		}
	}
}

// TestGitCacheOneOwner holds every pod that mounts DataSurface's git cache to
// one user and group (user, group and fsGroup all datasurface.runAsUser) and
// to git's trust in the cache's clones, and holds Airflow's local settings
// to giving DataSurface's own task pods the same through the pod mutation
// hook: no pod may meet git's "dubious ownership" in the shared cache.
func TestGitCacheOneOwner(t *testing.T) {
	checked := 0
	for _, v := range variants(t) {
		res := renderVariant(t, v)
		for i, env := range res.Environments {
			uid := res.Platform.Environments[i].DataSurface.RunAsUser
			claim := res.Platform.Environments[i].DataSurfaceNames().GitCacheClaim
			for _, e := range env.Objects {
				pt := podTemplate(typed(t, e))
				if pt == nil {
					continue
				}
				id := v.dir + "/" + env.Name + ": " + e.ID()
				vol := ""
				for _, vl := range pt.Spec.Volumes {
					if vl.PersistentVolumeClaim != nil && vl.PersistentVolumeClaim.ClaimName == claim {
						vol = vl.Name
					}
				}
				if vol == "" {
					continue
				}
				checked++
				sc := pt.Spec.SecurityContext
				if sc == nil || sc.RunAsUser == nil || sc.RunAsGroup == nil || sc.FSGroup == nil ||
					*sc.RunAsUser != uid || *sc.RunAsGroup != uid || *sc.FSGroup != uid {
					t.Errorf("%s: mounts the git cache without user, group and fsGroup %d: %+v", id, uid, sc)
				}
				for _, c := range pt.Spec.Containers {
					vars := map[string]string{}
					for _, ev := range c.Env {
						vars[ev.Name] = ev.Value
					}
					mounts := false
					for _, m := range c.VolumeMounts {
						mounts = mounts || m.Name == vol
					}
					if mounts && (vars["GIT_CONFIG_KEY_0"] != "safe.directory" || vars["GIT_CONFIG_VALUE_0"] != "*" || vars["GIT_CONFIG_COUNT"] == "") {
						t.Errorf("%s container %s: uses the git cache without git's trust in its clones", id, c.Name)
					}
				}
			}
			values := ""
			for _, f := range env.Files {
				if strings.HasSuffix(f.Path, "values.yaml") {
					values = string(f.Data)
				}
			}
			if !strings.Contains(values, "def pod_mutation_hook(pod):") || !strings.Contains(values, fmt.Sprintf("GIT_CACHE_USER = %d", uid)) {
				t.Errorf("%s/%s: the Airflow values give DataSurface's task pods no git cache owner", v.dir, env.Name)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no pod mounts the git cache")
	}
}

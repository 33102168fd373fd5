package airflow

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ydpgen/ydpgen/model"
)

// stubModels stands in for kubernetes.client.models: the few classes the
// hook builds, as plain attribute bags, so the hook runs without the
// Kubernetes client installed.
const stubModels = `
class _Bag:
    FIELDS = ()
    def __init__(self, **kw):
        for f in self.FIELDS:
            setattr(self, f, None)
        for k, v in kw.items():
            setattr(self, k, v)

class V1PodSecurityContext(_Bag):
    FIELDS = ("run_as_user", "run_as_group", "run_as_non_root", "fs_group", "fs_group_change_policy", "seccomp_profile")

class V1SeccompProfile(_Bag):
    FIELDS = ("type",)

class V1EnvVar(_Bag):
    FIELDS = ("name", "value")
`

// driver builds three pods shaped like DataSurface's task pods, runs the
// hook on each and prints what it made of them.
const driver = `
import json, sys, types
sys.path.insert(0, sys.argv[1])
import airflow_local_settings as s
from kubernetes.client import models as k8s

def ns(**kw):
    return types.SimpleNamespace(**kw)

def pod(claim, sc=None, env=None):
    vols = [ns(persistent_volume_claim=ns(claim_name=claim)), ns(persistent_volume_claim=None)]
    c = ns(env=env, volume_mounts=[ns(mount_path="/cache/git-cache"), ns(mount_path="/workspace")])
    return ns(spec=ns(volumes=vols, security_context=sc, containers=[c]))

def show(p):
    sc = p.spec.security_context
    out = {"env": {e.name: e.value for e in (p.spec.containers[0].env or [])}}
    if sc is not None:
        out.update(user=sc.run_as_user, group=sc.run_as_group, fsGroup=sc.fs_group, nonRoot=sc.run_as_non_root,
                   seccomp=sc.seccomp_profile.type if sc.seccomp_profile else None)
    return out

pods = {
    "task": pod("git-cache-pvc"),
    "other": pod("data"),
    "own-user": pod("git-cache-pvc", sc=k8s.V1PodSecurityContext(run_as_user=2000), env=[k8s.V1EnvVar(name="HOME", value="/home/ds")]),
}
for p in pods.values():
    s.pod_mutation_hook(p)
json.dump({k: show(p) for k, p in pods.items()}, sys.stdout)
`

func TestPodMutationHook(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	dir := t.TempDir()
	env := &model.Environment{}
	env.DataSurface.PSP = "Demo_PSP"
	env.DataSurface.RunAsUser = 1000
	files := map[string]string{
		"airflow_local_settings.py":     LocalSettings(env),
		"kubernetes/__init__.py":        "",
		"kubernetes/client/__init__.py": "",
		"kubernetes/client/models.py":   stubModels,
		"driver.py":                     driver,
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(python, filepath.Join(dir, "driver.py"), dir)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+dir, "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the hook failed: %v\n%s", err, out)
	}
	type result struct {
		Env     map[string]string `json:"env"`
		User    *int64            `json:"user"`
		Group   *int64            `json:"group"`
		FSGroup *int64            `json:"fsGroup"`
		NonRoot *bool             `json:"nonRoot"`
		Seccomp *string           `json:"seccomp"`
	}
	var got map[string]result
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	val := func(p *int64) int64 {
		if p == nil {
			return -1
		}
		return *p
	}
	task := got["task"]
	if val(task.User) != 1000 || val(task.Group) != 1000 || val(task.FSGroup) != 1000 || task.NonRoot == nil || !*task.NonRoot ||
		task.Seccomp == nil || *task.Seccomp != "RuntimeDefault" {
		t.Errorf("task pod: %+v", task)
	}
	if task.Env["GIT_CONFIG_KEY_0"] != "safe.directory" || task.Env["GIT_CONFIG_VALUE_0"] != "*" || task.Env["HOME"] != "/workspace" {
		t.Errorf("task pod env: %v", task.Env)
	}
	if other := got["other"]; other.User != nil || len(other.Env) != 0 {
		t.Errorf("a pod without the git cache was changed: %+v", other)
	}
	own := got["own-user"]
	if val(own.User) != 2000 || val(own.Group) != 1000 || own.NonRoot != nil || own.Env["HOME"] != "/home/ds" {
		t.Errorf("a pod's own settings were overwritten: %+v", own)
	}
}

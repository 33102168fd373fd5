package airflow

import (
	"fmt"

	"github.com/ydpgen/ydpgen/model"
)

// LocalSettings is the airflow_local_settings.py the chart mounts into
// every Airflow component (value airflowLocalSettings). Its
// pod_mutation_hook, which Airflow applies to every pod a
// KubernetesPodOperator or the KubernetesExecutor starts, gives the pods
// that mount DataSurface's git cache the cache's one owner: DataSurface's
// DAGs start their task pods with no security context, so they would run
// as their image's user (root) and leave clones that ydpgen's pods (and
// git, which refuses a repository another user owns) cannot use.
//
// The hook sets only what a pod leaves unset: user, group and fsGroup (the
// spec's datasurface.runAsUser), a RuntimeDefault seccomp profile, and, in
// each container, git's trust in the cache's clones and a HOME on the
// /workspace volume DataSurface mounts. Pods that do not mount the cache,
// and anything DataSurface sets itself, are left alone. The chart passes
// the text through Helm's tpl, so it holds no template braces.
func LocalSettings(env *model.Environment) string {
	n := env.DataSurfaceNames()
	return fmt.Sprintf(`# Rendered by ydpgen: DataSurface's task pods share the git cache with
# ydpgen's pods, so they get the cache's user and group and trust its clones.
GIT_CACHE_CLAIM = %[1]q
GIT_CACHE_USER = %[2]d
WORKSPACE = %[3]q
GIT_TRUST = [("GIT_CONFIG_COUNT", "1"), ("GIT_CONFIG_KEY_0", "safe.directory"), ("GIT_CONFIG_VALUE_0", "*")]


def _mounts_git_cache(spec):
    for volume in spec.volumes or []:
        claim = volume.persistent_volume_claim
        if claim is not None and claim.claim_name == GIT_CACHE_CLAIM:
            return True
    return False


def pod_mutation_hook(pod):
    from kubernetes.client import models as k8s

    spec = pod.spec
    if spec is None or not _mounts_git_cache(spec):
        return
    if spec.security_context is None:
        spec.security_context = k8s.V1PodSecurityContext()
    sc = spec.security_context
    if sc.run_as_user is None:
        sc.run_as_user = GIT_CACHE_USER
        if sc.run_as_non_root is None:
            sc.run_as_non_root = True
    if sc.run_as_group is None:
        sc.run_as_group = GIT_CACHE_USER
    if sc.fs_group is None:
        sc.fs_group = GIT_CACHE_USER
        sc.fs_group_change_policy = "OnRootMismatch"
    if sc.seccomp_profile is None:
        sc.seccomp_profile = k8s.V1SeccompProfile(type="RuntimeDefault")
    for container in spec.containers or []:
        env = list(container.env or [])
        names = set(e.name for e in env)
        if "GIT_CONFIG_COUNT" not in names:
            env.extend(k8s.V1EnvVar(name=k, value=v) for k, v in GIT_TRUST)
        mounts = [m.mount_path for m in container.volume_mounts or []]
        if "HOME" not in names and WORKSPACE in mounts:
            env.append(k8s.V1EnvVar(name="HOME", value=WORKSPACE))
        container.env = env
`, n.GitCacheClaim, env.DataSurface.RunAsUser, model.DataSurfaceWorkspacePath)
}

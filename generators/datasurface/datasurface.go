package datasurface

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ydpgen/ydpgen/generators"
	"github.com/ydpgen/ydpgen/generators/rbac"
	"github.com/ydpgen/ydpgen/kube/labels"
	"github.com/ydpgen/ydpgen/kube/pod"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

// Where DataSurface's containers find things; its templates use the same.
const (
	// MCPPort is the MCP server's port, in the pod and on its Service.
	MCPPort = 8000
	// MCPPath is where MCP clients connect (Server-Sent Events).
	MCPPath = "/sse"
	// cacheMaxAgeMinutes is how old a cached clone may get before
	// DataSurface fetches again: its cache works in 5-minute steps.
	cacheMaxAgeMinutes = 5
)

// ServiceAccount is the account DataSurface's pods run as: the chart's
// worker account, as in DataSurface's own Job templates, which the
// secret-reader Role is bound to. The chart creates that account only for
// the Celery and Kubernetes executors; under LocalExecutor tasks run in the
// scheduler, so its account (also bound to the Role) takes the place.
func ServiceAccount(env *model.Environment) string {
	if rbac.PodLaunchingExecutor(env.Airflow.Executor) {
		return rbac.ServiceAccountName(env.Airflow.ReleaseName, "worker")
	}
	return rbac.ServiceAccountName(env.Airflow.ReleaseName, "scheduler")
}

// Generator renders DataSurface's workloads.
type Generator struct{}

// Name implements generators.Generator.
func (Generator) Name() string { return "datasurface" }

// Generate implements generators.Generator.
func (Generator) Generate(env *model.Environment) (generators.Artifacts, error) {
	n := env.DataSurfaceNames()
	objs := []objset.Object{gitCacheClaim(env, n), loggingConfig(env, n)}
	if model.IsSSHURL(env.DataSurface.Model.Repository) && env.DataSurface.Model.Credential != "" {
		objs = append(objs, knownHosts(env, n))
	}
	jobs, err := Jobs(env)
	if err != nil {
		return generators.Artifacts{}, err
	}
	objs = append(objs, jobs...)
	mcp, err := mcpServer(env, n)
	if err != nil {
		return generators.Artifacts{}, err
	}
	objs = append(objs, mcp...)
	publish, err := publishJob(env, n)
	if err != nil {
		return generators.Artifacts{}, err
	}
	objs = append(objs, publish...)
	return generators.Artifacts{Objects: objs}, nil
}

func gitCacheClaim(env *model.Environment, n model.DataSurfaceNames) *corev1.PersistentVolumeClaim {
	gc := env.DataSurface.GitCache
	return &corev1.PersistentVolumeClaim{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: metav1.ObjectMeta{Name: n.GitCacheClaim, Namespace: env.Namespace.Name, Labels: labels.For(env, n.GitCacheClaim, "git-cache")},
		Spec: corev1.PersistentVolumeClaimSpec{
			// The MCP server, the Jobs and every task pod mount it at once,
			// on any node: ReadWriteOnce gives Multi-Attach errors.
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
			StorageClassName: ptr.To(gc.StorageClass),
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceStorage: resource.MustParse(gc.Size),
			}},
		},
	}
}

func loggingConfig(env *model.Environment, n model.DataSurfaceNames) *corev1.ConfigMap {
	ds := env.DataSurface
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: n.LoggingConfig, Namespace: env.Namespace.Name, Labels: labels.For(env, n.LoggingConfig, "logging")},
		// Read as environment variables; the namespace comes from the
		// downward API instead, so the map is the same in every namespace.
		Data: map[string]string{
			"LOG_LEVEL":          ds.Logging.Level,
			"LOG_FORMAT":         ds.Logging.Format,
			"PSP_NAME":           ds.PSP,
			"YELLOW_ENVIRONMENT": ds.RTE,
		},
	}
}

// commonEnv is what every DataSurface container gets: a writable HOME for
// git, its namespace, and git's trust in the shared cache's clones.
func commonEnv() []corev1.EnvVar {
	return append([]corev1.EnvVar{
		{Name: "HOME", Value: model.DataSurfaceWorkspacePath},
		{Name: "NAMESPACE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
	}, pod.GitTrust()...)
}

func volumes(n model.DataSurfaceNames, git pod.GitAccess) []corev1.Volume {
	return append([]corev1.Volume{
		{Name: "git-cache", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: n.GitCacheClaim}}},
		{Name: "workspace", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
	}, git.Volumes...)
}

func volumeMounts(git pod.GitAccess) []corev1.VolumeMount {
	return append([]corev1.VolumeMount{
		{Name: "git-cache", MountPath: model.DataSurfaceGitCachePath},
		{Name: "workspace", MountPath: model.DataSurfaceWorkspacePath},
	}, git.Mounts...)
}

// knownHosts is the ConfigMap of the model repository's SSH host keys,
// which DataSurface's containers mount next to the key (an SSH URL only).
func knownHosts(env *model.Environment, n model.DataSurfaceNames) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: n.ModelKnownHosts, Namespace: env.Namespace.Name, Labels: labels.For(env, n.ModelKnownHosts, "git-cache")},
		Data:       map[string]string{"known_hosts": strings.TrimSuffix(env.DataSurface.Model.KnownHosts, "\n") + "\n"},
	}
}

func loggingEnvFrom(n model.DataSurfaceNames) []corev1.EnvFromSource {
	return []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: n.LoggingConfig}}}}
}

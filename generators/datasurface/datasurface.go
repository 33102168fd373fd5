package datasurface

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ydpgen/ydpgen/credentials"
	"github.com/ydpgen/ydpgen/generators"
	"github.com/ydpgen/ydpgen/generators/labels"
	"github.com/ydpgen/ydpgen/generators/objset"
	"github.com/ydpgen/ydpgen/generators/rbac"
	"github.com/ydpgen/ydpgen/model"
)

// Where DataSurface's containers find things; its templates use the same.
const (
	// GitCacheMountPath is where the git cache claim is mounted.
	GitCacheMountPath = "/cache/git-cache"
	// WorkspacePath is the scratch emptyDir, also HOME.
	WorkspacePath = "/workspace"
	// MCPPort is the MCP server's port, in the pod and on its Service.
	MCPPort = 8000
	// MCPPath is where MCP clients connect (Server-Sent Events).
	MCPPath = "/sse"
	// cacheMaxAgeMinutes is how old a cached clone may get before
	// DataSurface fetches again: its cache works in 5-minute steps.
	cacheMaxAgeMinutes = 5
)

// Names are the Kubernetes names of DataSurface's objects in an
// environment. Every reference to one of them, here and in other
// generators, goes through Names.
type Names struct {
	GitCacheClaim  string
	LoggingConfig  string
	Ring1Init      string
	ModelMerge     string
	ReconcileViews string
	MCPServer      string // the Deployment
	MCPService     string // the Service and the Ingress
	// MCPTLSSecret is where cert-manager writes the MCP certificate when the
	// spec names an issuer but no Secret.
	MCPTLSSecret string
}

// NamesFor returns the names for an environment: DataSurface's own, derived
// from the PSP's Kubernetes name.
func NamesFor(env *model.Environment) Names {
	psp := model.K8sName(env.DataSurface.PSP)
	return Names{
		GitCacheClaim:  "git-cache-pvc",
		LoggingConfig:  psp + "-logging-config",
		Ring1Init:      psp + "-ring1-init",
		ModelMerge:     psp + "-model-merge-job",
		ReconcileViews: psp + "-reconcile-views-job",
		MCPServer:      psp + "-mcp-server",
		MCPService:     psp + "-mcp",
		MCPTLSSecret:   psp + "-mcp-tls",
	}
}

// ServiceAccount is the account DataSurface's pods run as: the chart's
// worker account, as in DataSurface's own Job templates, which the
// secret-reader Role is bound to. The chart creates that account only for
// the Celery and Kubernetes executors; under LocalExecutor tasks run in the
// scheduler, so its account (also bound to the Role) takes the place.
func ServiceAccount(env *model.Environment) string {
	if ex := env.Airflow.Executor; strings.Contains(ex, "Celery") || strings.Contains(ex, "Kubernetes") {
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
	n := NamesFor(env)
	objs := []objset.Object{gitCacheClaim(env, n), loggingConfig(env, n)}
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
	return generators.Artifacts{Objects: objs}, nil
}

func gitCacheClaim(env *model.Environment, n Names) *corev1.PersistentVolumeClaim {
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

func loggingConfig(env *model.Environment, n Names) *corev1.ConfigMap {
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

// PodSecurity is the pod security context of DataSurface's pods: Pod
// Security "restricted" with the spec's user, which also owns what the pod
// writes to its volumes. Changing ownership only on a mismatch keeps a large
// git cache from being walked on every start.
func PodSecurity(uid int64) *corev1.PodSecurityContext {
	return &corev1.PodSecurityContext{
		RunAsNonRoot:        ptr.To(true),
		RunAsUser:           ptr.To(uid),
		RunAsGroup:          ptr.To(uid),
		FSGroup:             ptr.To(uid),
		FSGroupChangePolicy: ptr.To(corev1.FSGroupChangeOnRootMismatch),
		SeccompProfile:      &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

// ContainerSecurity is the "restricted" container security context.
func ContainerSecurity() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}

// PullSecrets lists the Secret of a registry credential, if there is one.
func PullSecrets(credential string) []corev1.LocalObjectReference {
	if credential == "" {
		return nil
	}
	return []corev1.LocalObjectReference{{Name: model.K8sName(credential)}}
}

// Resources converts spec quantities into Kubernetes ones.
func Resources(path string, r model.Resources) (corev1.ResourceRequirements, error) {
	list := func(what string, s model.Resources1) (corev1.ResourceList, error) {
		cpu, err := resource.ParseQuantity(s.CPU)
		if err != nil {
			return nil, fmt.Errorf("%s.%s.cpu %q: %w", path, what, s.CPU, err)
		}
		mem, err := resource.ParseQuantity(s.Memory)
		if err != nil {
			return nil, fmt.Errorf("%s.%s.memory %q: %w", path, what, s.Memory, err)
		}
		return corev1.ResourceList{corev1.ResourceCPU: cpu, corev1.ResourceMemory: mem}, nil
	}
	req, err := list("requests", r.Requests)
	if err != nil {
		return corev1.ResourceRequirements{}, err
	}
	lim, err := list("limits", r.Limits)
	if err != nil {
		return corev1.ResourceRequirements{}, err
	}
	return corev1.ResourceRequirements{Requests: req, Limits: lim}, nil
}

// CredentialEnv returns how DataSurface reads a credential from the
// environment: one variable <credential>_<KEY> per key of the credential's
// Secret (the credential's name with '_' for '-'), with the keys its kind has
// in this DataSurface release.
func CredentialEnv(credential string, kind credentials.Kind, version string) ([]corev1.EnvVar, error) {
	layout, err := credentials.LayoutOf(kind, version)
	if err != nil {
		return nil, err
	}
	var out []corev1.EnvVar
	for _, k := range layout.Keys {
		out = append(out, corev1.EnvVar{
			Name: model.PythonName(credential) + "_" + strings.ToUpper(k.Name),
			ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: model.K8sName(credential)},
				Key:                  k.Name,
			}},
		})
	}
	return out, nil
}

// commonEnv is what every DataSurface container gets: a writable HOME for
// git, and its namespace.
func commonEnv() []corev1.EnvVar {
	return []corev1.EnvVar{
		{Name: "HOME", Value: WorkspacePath},
		{Name: "NAMESPACE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
	}
}

func volumes(n Names) []corev1.Volume {
	return []corev1.Volume{
		{Name: "git-cache", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: n.GitCacheClaim}}},
		{Name: "workspace", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
	}
}

func volumeMounts() []corev1.VolumeMount {
	return []corev1.VolumeMount{
		{Name: "git-cache", MountPath: GitCacheMountPath},
		{Name: "workspace", MountPath: WorkspacePath},
	}
}

func loggingEnvFrom(n Names) []corev1.EnvFromSource {
	return []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: n.LoggingConfig}}}}
}

package smoketest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ydpgen/ydpgen/generators"
	"github.com/ydpgen/ydpgen/generators/airflow"
	"github.com/ydpgen/ydpgen/kube/labels"
	"github.com/ydpgen/ydpgen/kube/pod"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

// Name is the ConfigMap's name and the Job's before its hash suffix.
const Name = "platform-smoke-test"

// Component is the component label of the smoke test's objects; package
// stages puts them in the last stage by it.
const Component = "smoke-test"

// ScriptKey is the script's key in the ConfigMap.
const ScriptKey = "smoke_test.py"

// DigestAnnotation is the pod template annotation that carries the digest
// of the rest of the environment (see Stamp).
const DigestAnnotation = "ydpgen.dev/platform-digest"

// Timeout is how long the script retries a check before it fails; the
// chart's first start on small nodes (image pulls, migrations, a first DAG
// parse after git-sync) takes minutes.
const Timeout = 15 * 60

// The script's environment.
const (
	envTimeout   = "SMOKE_TEST_TIMEOUT_SECONDS"
	envHealthURL = "SMOKE_TEST_API_HEALTH_URL"
	envDAGFile   = "SMOKE_TEST_DAG_FILE"
	envPause     = "SMOKE_TEST_PAUSE_SECONDS"
)

const (
	scriptMount = "/smoke-test"
	tmpMount    = "/tmp"
	// The Airflow CLI writes its home (config, logs); the image's own may
	// not be writable under the pod's user.
	airflowHome = tmpMount + "/airflow"
	// The chart's API server Service port.
	apiServerPort = 8080
)

// Generator renders the smoke test.
type Generator struct{}

// Name implements generators.Generator.
func (Generator) Name() string { return "smoke-test" }

// Generate implements generators.Generator.
func (Generator) Generate(env *model.Environment) (generators.Artifacts, error) {
	if !env.Airflow.SmokeTest.Enabled {
		return generators.Artifacts{}, nil
	}
	cm, job, err := Objects(env)
	if err != nil {
		return generators.Artifacts{}, err
	}
	return generators.Artifacts{Objects: []objset.Object{cm, job}}, nil
}

// DAGFile is the file name of the infrastructure DAG that DataSurface's
// ring 0 generates for the PSP (test_dp_infrastructure_dag.py for Test_DP).
func DAGFile(env *model.Environment) string {
	return model.PythonName(env.DataSurface.PSP) + "_infrastructure_dag.py"
}

// HealthURL is the Airflow API server's health endpoint inside the cluster:
// the chart's Service <release>-api-server on port 8080.
func HealthURL(env *model.Environment) string {
	return fmt.Sprintf("http://%s-api-server.%s.svc:%d/api/v2/monitor/health", env.Airflow.ReleaseName, env.Namespace.Name, apiServerPort)
}

// Objects returns the script's ConfigMap and the Job that runs it.
func Objects(env *model.Environment) (*corev1.ConfigMap, *batchv1.Job, error) {
	a := env.Airflow
	res, err := pod.Resources("airflow.smokeTest.resources", a.SmokeTest.Resources)
	if err != nil {
		return nil, nil, err
	}
	l := labels.For(env, Name, Component)
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: Name, Namespace: env.Namespace.Name, Labels: l},
		Data:       map[string]string{ScriptKey: Script},
	}
	podLabels := labels.For(env, Name, Component)
	// The release's label lets the pod through the NetworkPolicy the
	// release's components share (package namespace): it reaches the API
	// server and PgBouncer as they do.
	podLabels["release"] = a.ReleaseName
	job := &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: Name, Namespace: env.Namespace.Name, Labels: l},
		Spec: batchv1.JobSpec{
			// The script retries each check itself; one more attempt
			// covers a lost node. No ttlSecondsAfterFinished: an engine
			// would create the expired Job again and run it again.
			BackoffLimit:          ptr.To[int32](1),
			ActiveDeadlineSeconds: ptr.To[int64](2*Timeout + 600),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels},
				Spec: corev1.PodSpec{
					RestartPolicy:                corev1.RestartPolicyNever,
					AutomountServiceAccountToken: ptr.To(false),
					EnableServiceLinks:           ptr.To(false),
					ImagePullSecrets:             pod.PullSecrets(a.PullSecret),
					SecurityContext:              airflow.PodSecurity(),
					Containers: []corev1.Container{{
						Name:            Component,
						Image:           a.Image.Ref(),
						ImagePullPolicy: corev1.PullPolicy(a.Image.PullPolicy),
						Command:         []string{"python", scriptMount + "/" + ScriptKey},
						Env: []corev1.EnvVar{
							{Name: "AIRFLOW_HOME", Value: airflowHome},
							{Name: "AIRFLOW__CORE__LOAD_EXAMPLES", Value: "False"},
							{Name: "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
								LocalObjectReference: corev1.LocalObjectReference{Name: airflow.Secrets(env).Metadata},
								Key:                  "connection",
							}}},
							{Name: envTimeout, Value: strconv.Itoa(Timeout)},
							{Name: envHealthURL, Value: HealthURL(env)},
							{Name: envDAGFile, Value: DAGFile(env)},
						},
						Resources:       res,
						SecurityContext: pod.ContainerSecurity(),
						VolumeMounts: []corev1.VolumeMount{
							{Name: "script", MountPath: scriptMount, ReadOnly: true},
							{Name: "tmp", MountPath: tmpMount},
						},
					}},
					Volumes: []corev1.Volume{
						{Name: "script", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: Name},
							DefaultMode:          ptr.To[int32](0o444),
						}}},
						{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
					},
				},
			},
		},
	}
	return cm, job, nil
}

// Stamp writes into the smoke test Job's pod template (in place) a digest
// of every other object of the environment and of its files (the Airflow
// values among them), before passes/jobhash names the Job after its
// content: the smoke test then runs again exactly when something it checks
// may have changed. It does nothing when entries hold no smoke test.
func Stamp(entries []objset.Entry, files []objset.File) error {
	var job *objset.Entry
	type part struct {
		ID      string `json:"id"`
		Content any    `json:"content"`
	}
	var parts []part
	for i := range entries {
		e := &entries[i]
		if component(e) == Component {
			if e.GVK.Group == "batch" && e.GVK.Kind == "Job" {
				job = e
			}
			continue
		}
		parts = append(parts, part{ID: e.ID(), Content: e.Content})
	}
	if job == nil {
		return nil
	}
	sorted := slices.Clone(files)
	slices.SortFunc(sorted, func(a, b objset.File) int { return strings.Compare(a.Path, b.Path) })
	for _, f := range sorted {
		parts = append(parts, part{ID: "file " + f.Path, Content: string(f.Data)})
	}
	// encoding/json writes map keys sorted: the same environment always
	// gives the same digest.
	b, err := json.Marshal(parts)
	if err != nil {
		return fmt.Errorf("%s: %w", job.ID(), err)
	}
	sum := sha256.Sum256(b)
	tmpl, ok := nested(job.Content, "spec", "template")
	if !ok {
		return fmt.Errorf("%s has no pod template", job.ID())
	}
	md, _ := tmpl["metadata"].(map[string]any)
	if md == nil {
		md = map[string]any{}
		tmpl["metadata"] = md
	}
	ann, _ := md["annotations"].(map[string]any)
	if ann == nil {
		ann = map[string]any{}
		md["annotations"] = ann
	}
	ann[DigestAnnotation] = hex.EncodeToString(sum[:16])
	return nil
}

func component(e *objset.Entry) string {
	md, _ := e.Content["metadata"].(map[string]any)
	l, _ := md["labels"].(map[string]any)
	c, _ := l["app.kubernetes.io/component"].(string)
	return c
}

func nested(m map[string]any, keys ...string) (map[string]any, bool) {
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			return nil, false
		}
		m = next
	}
	return m, true
}

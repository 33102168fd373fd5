package capacity

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

// Amount is CPU in millicores and memory in bytes.
type Amount struct {
	MilliCPU int64 `json:"milliCPU"`
	Memory   int64 `json:"memoryBytes"`
}

// Add returns a+b.
func (a Amount) Add(b Amount) Amount {
	return Amount{a.MilliCPU + b.MilliCPU, a.Memory + b.Memory}
}

// Times returns a scaled by n.
func (a Amount) Times(n int) Amount {
	return Amount{a.MilliCPU * int64(n), a.Memory * int64(n)}
}

// Container is one container of a pod, with what it asks for.
type Container struct {
	Name string
	// Path locates the container for messages: the spec path of a chart
	// component (airflow.components.scheduler) or the rendered object.
	Path      string
	Requests  Amount
	Limits    Amount
	HasLimits bool // both CPU and memory limits are set
	HasReqs   bool // both CPU and memory requests are set
}

// Claim is a PersistentVolumeClaim a pod mounts.
type Claim struct {
	Name      string
	ReadOnly  bool
	AccessRWO bool
}

// Workload is a set of identical pods: a chart component or a rendered
// Deployment, StatefulSet, Job or CronJob.
type Workload struct {
	// Name is the pod's owner, such as scheduler or StatefulSet/metadata-db.
	Name string
	// Component is the app.kubernetes.io/component label or chart
	// component name, for grouping in the chart.
	Component string
	// Path is the spec path that sizes the workload.
	Path     string
	Replicas int
	// Transient workloads (Jobs, CronJobs) run for a while and end; they
	// need room, but not all the time.
	Transient  bool
	Containers []Container
	Claims     []Claim
	// Near names the workload whose node this one prefers (an affinity the
	// placement honours when the pod fits there).
	Near string
}

// Requests is what one pod asks for.
func (w Workload) Requests() Amount {
	var a Amount
	for _, c := range w.Containers {
		a = a.Add(c.Requests)
	}
	return a
}

// Limits is what one pod may use at most.
func (w Workload) Limits() Amount {
	var a Amount
	for _, c := range w.Containers {
		a = a.Add(c.Limits)
	}
	return a
}

// Workloads lists every pod set of an environment: first the Airflow chart's
// components as the spec sizes them, then the rendered workload objects, in
// object order.
func Workloads(env *model.Environment, objects []objset.Entry) ([]Workload, error) {
	out := chartWorkloads(env)
	claims := map[string]bool{} // PVC name -> ReadWriteOnce
	for _, e := range objects {
		if e.GVK.Kind == "PersistentVolumeClaim" {
			var pvc corev1.PersistentVolumeClaim
			if err := fromContent(e, &pvc); err != nil {
				return nil, err
			}
			claims[pvc.Name] = slices.Contains(pvc.Spec.AccessModes, corev1.ReadWriteOnce) || slices.Contains(pvc.Spec.AccessModes, corev1.ReadWriteOncePod)
		}
	}
	for _, e := range objects {
		w, ok, err := objectWorkload(e, claims)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, w)
		}
	}
	return out, nil
}

func fromContent(e objset.Entry, into any) error {
	b, err := json.Marshal(e.Content)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, into); err != nil {
		return fmt.Errorf("reading %s: %w", e.ID(), err)
	}
	return nil
}

func objectWorkload(e objset.Entry, rwo map[string]bool) (Workload, bool, error) {
	var (
		tmpl      corev1.PodTemplateSpec
		replicas  = 1
		transient bool
		claims    []Claim
	)
	switch e.GVK.Kind {
	case "Deployment":
		var d appsv1.Deployment
		if err := fromContent(e, &d); err != nil {
			return Workload{}, false, err
		}
		tmpl = d.Spec.Template
		if d.Spec.Replicas != nil {
			replicas = int(*d.Spec.Replicas)
		}
	case "StatefulSet":
		var s appsv1.StatefulSet
		if err := fromContent(e, &s); err != nil {
			return Workload{}, false, err
		}
		tmpl = s.Spec.Template
		if s.Spec.Replicas != nil {
			replicas = int(*s.Spec.Replicas)
		}
		// Each replica gets its own claim from a template: never shared.
	case "DaemonSet":
		var d appsv1.DaemonSet
		if err := fromContent(e, &d); err != nil {
			return Workload{}, false, err
		}
		tmpl = d.Spec.Template
	case "Job":
		var j batchv1.Job
		if err := fromContent(e, &j); err != nil {
			return Workload{}, false, err
		}
		tmpl, transient = j.Spec.Template, true
		if j.Spec.Parallelism != nil {
			replicas = int(*j.Spec.Parallelism)
		}
	case "CronJob":
		var c batchv1.CronJob
		if err := fromContent(e, &c); err != nil {
			return Workload{}, false, err
		}
		tmpl, transient = c.Spec.JobTemplate.Spec.Template, true
	default:
		return Workload{}, false, nil
	}
	for _, v := range tmpl.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			claims = append(claims, Claim{Name: v.PersistentVolumeClaim.ClaimName, ReadOnly: v.PersistentVolumeClaim.ReadOnly, AccessRWO: rwo[v.PersistentVolumeClaim.ClaimName]})
		}
	}
	w := Workload{
		Name:      e.GVK.Kind + "/" + e.Name,
		Component: tmpl.Labels["app.kubernetes.io/component"],
		Path:      e.ID(),
		Replicas:  replicas,
		Transient: transient,
		Claims:    claims,
	}
	if w.Component == "" {
		w.Component = e.Name
	}
	for _, c := range slices.Concat(tmpl.Spec.InitContainers, tmpl.Spec.Containers) {
		w.Containers = append(w.Containers, containerOf(c, e.GVK.Kind+" "+e.Name+" container "+c.Name))
	}
	return w, true, nil
}

func containerOf(c corev1.Container, path string) Container {
	r := c.Resources
	_, hasRC := r.Requests[corev1.ResourceCPU]
	_, hasRM := r.Requests[corev1.ResourceMemory]
	_, hasLC := r.Limits[corev1.ResourceCPU]
	_, hasLM := r.Limits[corev1.ResourceMemory]
	req := Amount{milli(r.Requests, corev1.ResourceCPU), bytesOf(r.Requests, corev1.ResourceMemory)}
	lim := Amount{milli(r.Limits, corev1.ResourceCPU), bytesOf(r.Limits, corev1.ResourceMemory)}
	// Kubernetes uses the limit as the request when only the limit is set.
	if !hasRC {
		req.MilliCPU = lim.MilliCPU
	}
	if !hasRM {
		req.Memory = lim.Memory
	}
	return Container{Name: c.Name, Path: path, Requests: req, Limits: lim,
		HasReqs: (hasRC || hasLC) && (hasRM || hasLM), HasLimits: hasLC && hasLM}
}

func milli(l corev1.ResourceList, n corev1.ResourceName) int64 {
	q, ok := l[n]
	if !ok {
		return 0
	}
	return q.MilliValue()
}

func bytesOf(l corev1.ResourceList, n corev1.ResourceName) int64 {
	q, ok := l[n]
	if !ok {
		return 0
	}
	return q.Value()
}

// chartComponent is one pod the Airflow chart runs, sized from the spec.
type chartComponent struct {
	name      string
	component model.Component
	// gitSync says the chart adds the git-sync sidecar to this pod.
	gitSync bool
	// groomer says the chart adds the log groomer sidecar to this pod.
	groomer bool
	// sidecars are the pod's other containers, as name, spec path, size.
	sidecars []sidecar
	// transient components are the chart's Jobs.
	transient bool
	// path is the spec path of the component when it is not under
	// airflow.components.
	path string
}

type sidecar struct {
	name, path string
	resources  model.Resources
}

func chartComponents(env *model.Environment) []chartComponent {
	a := env.Airflow
	c := a.Components
	celery := strings.Contains(a.Executor, "Celery")
	// The scheduler runs the tasks, and so mounts the DAGs, under
	// LocalExecutor.
	local := strings.Contains(a.Executor, "Local")
	list := []chartComponent{
		{name: "scheduler", component: c.Scheduler, gitSync: local, groomer: true},
		{name: "dagProcessor", component: c.DAGProcessor, gitSync: true, groomer: true},
		{name: "triggerer", component: c.Triggerer, gitSync: true, groomer: true},
		{name: "apiServer", component: c.APIServer},
		{name: "statsd", component: c.StatsD},
	}
	if celery {
		list = append(list, chartComponent{name: "workers", component: c.Workers, gitSync: true, groomer: true})
		if a.Broker != model.BrokerExternal {
			list = append(list, chartComponent{name: "redis", component: c.Redis})
		}
	}
	if p := a.PgBouncer; p.Enabled {
		list = append(list, chartComponent{name: "pgbouncer", path: "airflow.pgbouncer", component: model.Component{Enabled: true, Replicas: p.Replicas, Resources: p.Resources},
			sidecars: []sidecar{{"metrics-exporter", "airflow.pgbouncer.exporterResources", p.ExporterResources}}})
	}
	list = append(list, chartComponent{name: "jobs", component: c.Jobs, transient: true})
	return list
}

func chartWorkloads(env *model.Environment) []Workload {
	var out []Workload
	for _, cc := range chartComponents(env) {
		if !cc.component.Enabled {
			continue
		}
		path := "airflow.components." + cc.name
		if cc.path != "" {
			path = cc.path
		}
		replicas := cc.component.Replicas
		if replicas == 0 {
			replicas = 1
		}
		w := Workload{Name: cc.name, Component: cc.name, Path: path, Replicas: replicas, Transient: cc.transient}
		if cc.name == "scheduler" && env.Airflow.MetadataDatabase.Mode == model.InCluster {
			// The scheduler prefers the in-cluster database's node
			// (generators/airflow).
			w.Near = "StatefulSet/" + model.InClusterDatabaseService
		}
		w.Containers = append(w.Containers, modelContainer(cc.name, path+".resources", cc.component.Resources))
		if cc.gitSync && env.Airflow.DAGs.GitSync.Enabled {
			w.Containers = append(w.Containers, modelContainer("git-sync", "airflow.dags.gitSync.resources", env.Airflow.DAGs.GitSync.Resources))
		}
		if cc.groomer && env.Maintenance.LogCleanup.Enabled {
			w.Containers = append(w.Containers, modelContainer("log-groomer", "airflow.logs.groomer.resources", env.Airflow.Logs.Groomer.Resources))
		}
		for _, sc := range cc.sidecars {
			w.Containers = append(w.Containers, modelContainer(sc.name, sc.path, sc.resources))
		}
		out = append(out, w)
	}
	return out
}

func modelContainer(name, path string, r model.Resources) Container {
	req := Amount{parseCPU(r.Requests.CPU), parseMemory(r.Requests.Memory)}
	lim := Amount{parseCPU(r.Limits.CPU), parseMemory(r.Limits.Memory)}
	return Container{Name: name, Path: path, Requests: req, Limits: lim,
		HasReqs:   r.Requests.CPU != "" && r.Requests.Memory != "",
		HasLimits: r.Limits.CPU != "" && r.Limits.Memory != ""}
}

// parseCPU and parseMemory read quantities the schema already checked; a
// value that still fails counts as zero rather than stopping a report.
func parseCPU(s string) int64 {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return 0
	}
	return q.MilliValue()
}

func parseMemory(s string) int64 {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return 0
	}
	return q.Value()
}

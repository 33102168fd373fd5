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
	// Init is an init container that runs to completion before the
	// others start (a native sidecar, restartPolicy Always, is not).
	Init bool
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

// Requests is what one pod asks for: as the scheduler counts it, the sum of
// its containers or its largest init container, whichever is more.
func (w Workload) Requests() Amount {
	return w.effective(func(c Container) Amount { return c.Requests })
}

// Limits is what one pod may use at most, counted as Requests.
func (w Workload) Limits() Amount {
	return w.effective(func(c Container) Amount { return c.Limits })
}

func (w Workload) effective(of func(Container) Amount) Amount {
	var sum, init Amount
	for _, c := range w.Containers {
		if !c.Init {
			sum = sum.Add(of(c))
			continue
		}
		a := of(c)
		init.MilliCPU = max(init.MilliCPU, a.MilliCPU)
		init.Memory = max(init.Memory, a.Memory)
	}
	return Amount{max(sum.MilliCPU, init.MilliCPU), max(sum.Memory, init.Memory)}
}

// Workloads lists every pod set of an environment: first the Airflow chart's
// components as the spec sizes them, then the rendered workload objects, in
// object order. When the chart is hydrated its objects are among them: a
// component they hold is counted from its real pod spec, under the
// component's name and spec path, instead of from the model.
func Workloads(env *model.Environment, objects []objset.Entry) ([]Workload, error) {
	rendered := map[string]bool{}
	for _, e := range objects {
		if name, _, ok := chartComponentOf(env, podLabels(e)); ok {
			rendered[name] = true
		}
	}
	var out []Workload
	for _, w := range chartWorkloads(env) {
		if !rendered[w.Name] {
			out = append(out, w)
		}
	}
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
		w, ok, err := objectWorkload(env, e, claims)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, w)
		}
	}
	return out, nil
}

// ChartComponent tells which component of the model the pods of a
// hydrated chart object are (scheduler, apiServer, workers, ...) and the
// spec path that sizes it; ok is false for an object that is not one of
// the chart's workloads.
func ChartComponent(env *model.Environment, e objset.Entry) (name, path string, ok bool) {
	return chartComponentOf(env, podLabels(e))
}

// podLabels are the labels of an object's pod template, if it has one.
func podLabels(e objset.Entry) map[string]any {
	spec, _ := e.Content["spec"].(map[string]any)
	if jt, ok := spec["jobTemplate"].(map[string]any); ok {
		spec, _ = jt["spec"].(map[string]any)
	}
	tmpl, _ := spec["template"].(map[string]any)
	md, _ := tmpl["metadata"].(map[string]any)
	l, _ := md["labels"].(map[string]any)
	return l
}

// chartComponentOf tells which component of the model a pod of the Airflow
// chart is (the chart labels its pods tier=airflow, release=<release>,
// component=<component>), and the spec path that sizes it.
func chartComponentOf(env *model.Environment, l map[string]any) (name, path string, ok bool) {
	if l["tier"] != "airflow" || l["release"] != env.Airflow.ReleaseName {
		return "", "", false
	}
	c, _ := l["component"].(string)
	switch c {
	case "scheduler", "triggerer", "statsd", "redis":
		return c, "airflow.components." + c, true
	case "dag-processor":
		return "dagProcessor", "airflow.components.dagProcessor", true
	case "api-server":
		return "apiServer", "airflow.components.apiServer", true
	case "worker":
		return "workers", "airflow.components.workers", true
	case "pgbouncer":
		return "pgbouncer", "airflow.pgbouncer", true
	case "run-airflow-migrations", "create-user-job", "database-cleanup":
		return "jobs", "airflow.components.jobs", true
	}
	return "", "", false
}

// chartContainerPath is the spec path that sizes a container of a chart
// component's pod.
func chartContainerPath(path, container string) string {
	switch {
	case strings.HasPrefix(container, "git-sync"):
		return "airflow.dags.gitSync.resources"
	case strings.HasSuffix(container, "log-groomer"):
		return "airflow.logs.groomer.resources"
	case container == "metrics-exporter":
		return "airflow.pgbouncer.exporterResources"
	}
	return path + ".resources"
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

func objectWorkload(env *model.Environment, e objset.Entry, rwo map[string]bool) (Workload, bool, error) {
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
	name, path, chart := chartComponentOf(env, podLabels(e))
	if chart {
		// A long-running component keeps the model's name, which the
		// sizing rules look for; a Job or CronJob keeps its own.
		if !transient {
			w.Name = name
		}
		w.Component, w.Path = name, path
	}
	cpath := func(c corev1.Container) string {
		if chart {
			return chartContainerPath(path, c.Name)
		}
		return e.GVK.Kind + " " + e.Name + " container " + c.Name
	}
	for _, c := range tmpl.Spec.Containers {
		w.Containers = append(w.Containers, containerOf(c, cpath(c)))
	}
	for _, c := range tmpl.Spec.InitContainers {
		ct := containerOf(c, cpath(c))
		ct.Init = c.RestartPolicy == nil || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways
		w.Containers = append(w.Containers, ct)
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

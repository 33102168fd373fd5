package capacity

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

// JobKind is a kind of DataSurface job pod with its size and how long one
// run takes.
type JobKind struct {
	Name     string        `json:"name"`
	Requests Amount        `json:"requests"`
	Limits   Amount        `json:"limits"`
	Duration time.Duration `json:"duration"`
}

// Options are the workload assumptions a capacity report is made for.
type Options struct {
	Jobs []JobKind
	// Schedules are the intervals at which each stream runs one ingestion.
	Schedules []time.Duration
	// DAGs is the number of DAGs the platform will hold (0: not asked).
	DAGs int
}

// DefaultOptions uses DataSurface's documented job pod sizes; the
// durations are assumptions a user replaces with measured ones.
func DefaultOptions() Options {
	const mi, gi = 1 << 20, 1 << 30
	return Options{
		Jobs: []JobKind{
			{Name: "ingestion", Requests: Amount{100, 256 * mi}, Limits: Amount{100, 256 * mi}, Duration: 2 * time.Minute},
			{Name: "transformer", Requests: Amount{200, 512 * mi}, Limits: Amount{1000, 2 * gi}, Duration: 5 * time.Minute},
			{Name: "cqrs-sync", Requests: Amount{200, 512 * mi}, Limits: Amount{500, 1 * gi}, Duration: 3 * time.Minute},
			{Name: "reconcile", Requests: Amount{200, 512 * mi}, Limits: Amount{1000, 2 * gi}, Duration: 10 * time.Minute},
		},
		Schedules: []time.Duration{15 * time.Minute, time.Hour},
	}
}

// Pod is one placed pod.
type Pod struct {
	// Environment is set in a plan of several environments (Stack).
	Environment string `json:"environment,omitempty"`
	Workload    string `json:"workload"`
	Component   string `json:"component"`
	Requests    Amount `json:"requests"`
	// Near is the workload whose node the pod prefers.
	Near string `json:"near,omitempty"`
}

// Node is one of the declared nodes with the pods a first-fit placement
// puts on it.
type Node struct {
	Name string `json:"name"`
	Pods []Pod  `json:"pods"`
	Used Amount `json:"used"`
	Free Amount `json:"free"`
}

// JobCapacity is how many pods of one job kind fit next to the platform.
type JobCapacity struct {
	JobKind
	Concurrent int     `json:"concurrent"`
	PerHour    float64 `json:"perHour"`
}

// StreamCapacity is how many streams one schedule supports, each running
// one ingestion per interval.
type StreamCapacity struct {
	Every   time.Duration `json:"every"`
	Streams int           `json:"streams"`
}

// Report is an environment's capacity plan.
type Report struct {
	Environment string `json:"environment"`
	// Cluster and Environments are set in a plan of several environments
	// on one cluster (Stack).
	Cluster      string   `json:"cluster,omitempty"`
	Environments []string `json:"environments,omitempty"`
	Profile      string   `json:"profile"`
	Nodes        int      `json:"nodes"`
	// NodeSize is one node's capacity, Reserved what the system keeps of it,
	// Allocatable the rest.
	NodeSize    Amount `json:"nodeSize"`
	Reserved    Amount `json:"reserved"`
	Allocatable Amount `json:"allocatable"`
	// Total is Allocatable times Nodes.
	Total     Amount     `json:"total"`
	Workloads []Workload `json:"-"`
	// Steady is what the long-running pods request; SteadyLimits what they
	// may use; Transient what the platform's own Jobs request at most at once.
	Steady       Amount `json:"steady"`
	SteadyLimits Amount `json:"steadyLimits"`
	Transient    Amount `json:"transient"`
	Headroom     Amount `json:"headroom"`
	// MemoryUsed and CPUUsed are Steady as a share of Total, in percent.
	MemoryUsed float64 `json:"memoryUsedPercent"`
	CPUUsed    float64 `json:"cpuUsedPercent"`
	// Largest is the pod with the largest memory request.
	Largest    Pod              `json:"largest"`
	Placement  []Node           `json:"placement"`
	Unplaced   []Pod            `json:"unplaced,omitempty"`
	Jobs       []JobCapacity    `json:"jobs"`
	Streams    []StreamCapacity `json:"streams"`
	DAGs       int              `json:"dags,omitempty"`
	DAGShards  string           `json:"dagShards,omitempty"`
	Assumption string           `json:"assumption"`
}

// Plan computes an environment's capacity report.
func Plan(env *model.Environment, objects []objset.Entry, opts Options) (*Report, error) {
	ws, err := Workloads(env, objects)
	if err != nil {
		return nil, err
	}
	c := env.Cluster
	r := &Report{
		Environment: env.Name,
		Profile:     env.Profile,
		Nodes:       c.Nodes,
		NodeSize:    Amount{parseCPU(c.NodeCPU), parseMemory(c.NodeMemory)},
		Reserved:    Amount{parseCPU(c.SystemReserved.CPU), parseMemory(c.SystemReserved.Memory)},
		Workloads:   ws,
		Assumption:  "job durations and schedules are assumptions: pass measured ones with --job-duration and --schedule",
	}
	r.Allocatable = Amount{max(0, r.NodeSize.MilliCPU-r.Reserved.MilliCPU), max(0, r.NodeSize.Memory-r.Reserved.Memory)}
	r.Total = r.Allocatable.Times(r.Nodes)
	r.compute([]envWorkloads{{workloads: ws}}, opts)
	return r, nil
}

// envWorkloads are one environment's workloads; env is empty in the plan
// of a single environment.
type envWorkloads struct {
	env       string
	workloads []Workload
}

// Stack is the plan of several environments that declare one cluster:
// their long-running pods placed together on its nodes (the first report's
// node facts; the loader makes every environment of a cluster declare the
// same ones), and the room job pods have left after all of them.
func Stack(cluster string, reports []*Report, opts Options) *Report {
	first := reports[0]
	r := &Report{
		Cluster: cluster, Profile: first.Profile, Nodes: first.Nodes,
		NodeSize: first.NodeSize, Reserved: first.Reserved, Allocatable: first.Allocatable, Total: first.Total,
		Assumption: first.Assumption,
	}
	var groups []envWorkloads
	for _, e := range reports {
		r.Environments = append(r.Environments, e.Environment)
		groups = append(groups, envWorkloads{env: e.Environment, workloads: e.Workloads})
		for _, w := range e.Workloads {
			w.Name = e.Environment + "/" + w.Name
			r.Workloads = append(r.Workloads, w)
		}
	}
	r.Environment = "cluster " + cluster
	r.compute(groups, opts)
	return r
}

// compute fills in the totals, the placement and what is left for job pods.
func (r *Report) compute(groups []envWorkloads, opts Options) {
	var pods []Pod
	for _, g := range groups {
		for _, w := range g.workloads {
			req := w.Requests()
			name := w.Name
			if g.env != "" {
				name = g.env + "/" + w.Name
			}
			if w.Transient {
				r.Transient = r.Transient.Add(req.Times(w.Replicas))
			} else {
				r.Steady = r.Steady.Add(req.Times(w.Replicas))
				r.SteadyLimits = r.SteadyLimits.Add(w.Limits().Times(w.Replicas))
				near := w.Near
				if near != "" && g.env != "" {
					near = g.env + "/" + near
				}
				for range w.Replicas {
					pods = append(pods, Pod{Environment: g.env, Workload: name, Component: w.Component, Requests: req, Near: near})
				}
			}
			if req.Memory > r.Largest.Requests.Memory {
				r.Largest = Pod{Environment: g.env, Workload: name, Component: w.Component, Requests: req}
			}
		}
	}
	r.Headroom = Amount{r.Total.MilliCPU - r.Steady.MilliCPU, r.Total.Memory - r.Steady.Memory}
	r.MemoryUsed = percent(r.Steady.Memory, r.Total.Memory)
	r.CPUUsed = percent(r.Steady.MilliCPU, r.Total.MilliCPU)
	r.Placement, r.Unplaced = place(pods, r.Nodes, r.Allocatable)

	for _, j := range opts.Jobs {
		jc := JobCapacity{JobKind: j}
		for _, n := range r.Placement {
			jc.Concurrent += fits(n.Free, j.Requests)
		}
		if j.Duration > 0 {
			jc.PerHour = float64(jc.Concurrent) * float64(time.Hour) / float64(j.Duration)
		}
		r.Jobs = append(r.Jobs, jc)
	}
	if len(r.Jobs) > 0 && r.Jobs[0].Duration > 0 {
		ingest := r.Jobs[0]
		for _, every := range opts.Schedules {
			r.Streams = append(r.Streams, StreamCapacity{Every: every, Streams: int(float64(ingest.Concurrent) * float64(every) / float64(ingest.Duration))})
		}
	}
	if opts.DAGs > 0 {
		r.DAGs = opts.DAGs
		r.DAGShards = DAGShards(opts.DAGs)
	}
}

func percent(part, whole int64) float64 {
	if whole <= 0 {
		return math.Inf(1)
	}
	return math.Round(float64(part)*1000/float64(whole)) / 10
}

// fits is how many pods of size req fit into free.
func fits(free, req Amount) int {
	n := math.MaxInt
	if req.Memory > 0 {
		n = min(n, int(max(0, free.Memory)/req.Memory))
	}
	if req.MilliCPU > 0 {
		n = min(n, int(max(0, free.MilliCPU)/req.MilliCPU))
	}
	if n == math.MaxInt {
		return 0
	}
	return n
}

// place puts pods on nodes by decreasing memory, each on the node with the
// most free memory that fits it, as the default scheduler spreads pods: it
// shows whether the requests fit node by node, not just in sum. Ties go to
// the first node so the chart is reproducible. A pod that prefers another
// workload's node (Near) waits until that workload is placed and goes to
// its node when it fits there, as the scheduler's affinity would place it:
// the database stage runs before Airflow's.
func place(pods []Pod, nodes int, alloc Amount) ([]Node, []Pod) {
	sorted := slices.Clone(pods)
	slices.SortStableFunc(sorted, func(a, b Pod) int {
		return cmp.Or(cmp.Compare(b.Requests.Memory, a.Requests.Memory), cmp.Compare(a.Workload, b.Workload))
	})
	out := make([]Node, nodes)
	for i := range out {
		out[i] = Node{Name: fmt.Sprintf("node-%d", i+1), Free: alloc}
	}
	fitsOn := func(i int, p Pod) bool { return fits(out[i].Free, p.Requests) >= 1 || p.Requests == (Amount{}) }
	nodeOf := func(workload string) int {
		for i, n := range out {
			if slices.ContainsFunc(n.Pods, func(q Pod) bool { return q.Workload == workload }) {
				return i
			}
		}
		return -1
	}
	present := func(workload string) bool {
		return slices.ContainsFunc(sorted, func(q Pod) bool { return q.Workload == workload })
	}
	var unplaced, waiting []Pod
	put := func(p Pod) {
		best := -1
		if i := nodeOf(p.Near); p.Near != "" && i >= 0 && fitsOn(i, p) {
			best = i
		} else {
			for i := range out {
				if fitsOn(i, p) && (best < 0 || out[i].Free.Memory > out[best].Free.Memory) {
					best = i
				}
			}
		}
		if best < 0 {
			unplaced = append(unplaced, p)
			return
		}
		n := &out[best]
		n.Pods = append(n.Pods, p)
		n.Used = n.Used.Add(p.Requests)
		n.Free = Amount{n.Free.MilliCPU - p.Requests.MilliCPU, n.Free.Memory - p.Requests.Memory}
	}
	for _, p := range sorted {
		if p.Near != "" && present(p.Near) && nodeOf(p.Near) < 0 {
			waiting = append(waiting, p)
			continue
		}
		put(p)
		var still []Pod
		for _, w := range waiting {
			if nodeOf(w.Near) >= 0 {
				put(w)
			} else {
				still = append(still, w)
			}
		}
		waiting = still
	}
	// A pod whose workload never got a node goes wherever it fits.
	for _, w := range waiting {
		put(w)
	}
	return out, unplaced
}

// DAGShards is DataSurface's sizing rule for how many DAG shards a number of
// DAGs needs.
func DAGShards(dags int) string {
	switch {
	case dags <= 1000:
		return "1"
	case dags <= 5000:
		return "1-2"
	case dags <= 20000:
		return "5-10"
	case dags <= 100000:
		return "20-50"
	default:
		return "more than 50 (beyond the documented sizing: split the platform)"
	}
}

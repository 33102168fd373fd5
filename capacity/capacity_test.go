package capacity

import (
	"testing"
	"time"

	"github.com/ydpgen/ydpgen/model"
)

func res(reqCPU, reqMem, limCPU, limMem string) model.Resources {
	return model.Resources{Requests: model.CPUMemory{CPU: reqCPU, Memory: reqMem}, Limits: model.CPUMemory{CPU: limCPU, Memory: limMem}}
}

// smallEnv is two 8 GiB, 4-core nodes with 2 GiB and 500m reserved, and a
// LocalExecutor Airflow whose numbers the tests below work out by hand.
func smallEnv() *model.Environment {
	return &model.Environment{
		Name: "lab", Profile: "k3s-pi",
		Cluster: model.Cluster{Nodes: 2, NodeMemory: "8Gi", NodeCPU: "4", SystemReserved: model.CPUMemory{CPU: "500m", Memory: "2Gi"}},
		Airflow: model.Airflow{
			Executor: "LocalExecutor",
			DAGs:     model.DAGs{GitSync: model.GitSync{Enabled: true, Resources: res("100m", "128Mi", "200m", "256Mi")}},
			Components: model.Components{
				Scheduler:    model.Component{Enabled: true, Replicas: 1, Resources: res("500m", "1Gi", "1", "2Gi")},
				DAGProcessor: model.Component{Enabled: true, Replicas: 1, Resources: res("250m", "512Mi", "500m", "1Gi")},
				Triggerer:    model.Component{Enabled: true, Replicas: 1, Resources: res("100m", "256Mi", "500m", "512Mi")},
				APIServer:    model.Component{Enabled: true, Replicas: 1, Resources: res("250m", "2Gi", "1", "3Gi")},
				Workers:      model.Component{Enabled: true, Replicas: 3, Resources: res("1", "4Gi", "2", "5Gi")}, // not run: LocalExecutor
				Jobs:         model.Component{Enabled: true, Replicas: 1, Resources: res("100m", "512Mi", "1", "1Gi")},
			},
		},
	}
}

const mi = 1 << 20

func TestPlanByHand(t *testing.T) {
	r, err := Plan(smallEnv(), nil, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	// Steady: scheduler+git-sync 600m/1152Mi (it runs the tasks, so it
	// mounts the DAGs); dagProcessor+git-sync 350m/640Mi; triggerer+git-sync
	// 200m/384Mi; apiServer 250m/2048Mi.
	checks := []struct {
		name      string
		got, want any
	}{
		{"allocatable per node", r.Allocatable, Amount{3500, 6144 * mi}},
		{"total", r.Total, Amount{7000, 12288 * mi}},
		{"steady", r.Steady, Amount{1400, 4224 * mi}},
		{"steady limits", r.SteadyLimits, Amount{1200 + 700 + 700 + 1000, (2304 + 1280 + 768 + 3072) * mi}},
		{"transient", r.Transient, Amount{100, 512 * mi}},
		{"headroom", r.Headroom, Amount{5600, 8064 * mi}},
		{"memory used %", r.MemoryUsed, 34.4},
		{"cpu used %", r.CPUUsed, 20.0},
		{"largest", r.Largest.Workload, "apiServer"},
		// Spread by most free memory: apiServer alone on node-1, the rest on node-2.
		{"node-1 free", r.Placement[0].Free, Amount{3250, 4096 * mi}},
		{"node-2 free", r.Placement[1].Free, Amount{2350, 3968 * mi}},
		{"unplaced", len(r.Unplaced), 0},
		// ingestion 100m/256Mi: 16 on node-1, 15 on node-2 by memory; 2m
		// runs: 30 an hour each.
		{"ingestion concurrent", r.Jobs[0].Concurrent, 31},
		{"ingestion per hour", r.Jobs[0].PerHour, 930.0},
		// transformer 200m/512Mi: 8 and 7; 5m runs.
		{"transformer concurrent", r.Jobs[1].Concurrent, 15},
		{"transformer per hour", r.Jobs[1].PerHour, 180.0},
		// 31 ingestions of 2m in every 15m: 31 * 7.5.
		{"streams every 15m", r.Streams[0], StreamCapacity{Every: 15 * time.Minute, Streams: 232}},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestPlanCountsCeleryWorkersAndUnplaced(t *testing.T) {
	env := smallEnv()
	env.Airflow.Executor = "CeleryExecutor"
	env.Airflow.Components.Redis = model.Component{Enabled: true, Replicas: 1, Resources: res("100m", "128Mi", "500m", "256Mi")}
	r, err := Plan(env, nil, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	// Three workers of 4Gi+128Mi each: two fit (one a node), the third does not.
	want := Amount{1300 + 3*1100 + 100, (4096 + 3*(4096+128) + 128) * mi}
	if r.Steady != want {
		t.Errorf("steady: got %v, want %v", r.Steady, want)
	}
	if len(r.Unplaced) == 0 {
		t.Error("all pods placed, but three 4 GiB workers cannot share two 6 GiB nodes with the rest")
	}
}

func TestDAGShards(t *testing.T) {
	for _, tt := range []struct {
		dags int
		want string
	}{{1, "1"}, {1000, "1"}, {1001, "1-2"}, {5000, "1-2"}, {20000, "5-10"}, {100000, "20-50"}} {
		if got := DAGShards(tt.dags); got != tt.want {
			t.Errorf("DAGShards(%d) = %q, want %q", tt.dags, got, tt.want)
		}
	}
	if got := DAGShards(100001); got[:9] != "more than" {
		t.Errorf("DAGShards beyond the table: %q", got)
	}
}

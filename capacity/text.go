package capacity

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText prints the report as aligned tables for a terminal.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	p := func(format string, args ...any) { fmt.Fprintf(tw, format, args...) }
	who := "environment " + r.Environment
	if r.Cluster != "" {
		who = fmt.Sprintf("cluster %s, environments %s together", r.Cluster, strings.Join(r.Environments, ", "))
	}
	p("%s (profile %s): %d nodes of %s and %s; %s and %s reserved per node\n",
		who, r.Profile, r.Nodes, cpu(r.NodeSize.MilliCPU), gib(r.NodeSize.Memory), cpu(r.Reserved.MilliCPU), gib(r.Reserved.Memory))
	p("\nWORKLOAD\tREPLICAS\tCPU REQ\tMEM REQ\tCPU LIM\tMEM LIM\t\n")
	for _, wl := range r.Workloads {
		name := wl.Name
		if wl.Transient {
			name += " (job)"
		}
		req, lim := wl.Requests(), wl.Limits()
		p("%s\t%d\t%s\t%s\t%s\t%s\t\n", name, wl.Replicas, cpu(req.MilliCPU), gib(req.Memory), cpu(lim.MilliCPU), gib(lim.Memory))
	}
	p("\n\tCPU\tMEMORY\t\n")
	p("allocatable (all nodes)\t%s\t%s\t\n", cpu(r.Total.MilliCPU), gib(r.Total.Memory))
	p("platform requests\t%s (%.1f%%)\t%s (%.1f%%)\t\n", cpu(r.Steady.MilliCPU), r.CPUUsed, gib(r.Steady.Memory), r.MemoryUsed)
	p("platform limits\t%s\t%s\t\n", cpu(r.SteadyLimits.MilliCPU), gib(r.SteadyLimits.Memory))
	p("platform jobs at once\t%s\t%s\t\n", cpu(r.Transient.MilliCPU), gib(r.Transient.Memory))
	p("headroom\t%s\t%s\t\n", cpu(r.Headroom.MilliCPU), gib(r.Headroom.Memory))
	p("largest pod\t%s\t%s\t(%s)\n", cpu(r.Largest.Requests.MilliCPU), gib(r.Largest.Requests.Memory), r.Largest.Workload)
	if len(r.Unplaced) > 0 {
		p("does not fit\t%d pods\t\t\n", len(r.Unplaced))
	}
	p("\nJOB POD\tCPU REQ\tMEM REQ\tCONCURRENT\tRUN TIME\tPER HOUR\t\n")
	for _, j := range r.Jobs {
		p("%s\t%s\t%s\t%d\t%s\t%.0f\t\n", j.Name, cpu(j.Requests.MilliCPU), gib(j.Requests.Memory), j.Concurrent, j.Duration, j.PerHour)
	}
	if len(r.Streams) > 0 {
		p("\nSCHEDULE\tSTREAMS\t\n")
		for _, s := range r.Streams {
			p("every %s\t%d\t\n", s.Every, s.Streams)
		}
	}
	if r.DAGs > 0 {
		p("\n%d DAGs need %s DAG shards\n", r.DAGs, r.DAGShards)
	}
	p("\n%s\n", r.Assumption)
	return tw.Flush()
}

func cpu(m int64) string {
	if m%1000 == 0 {
		return fmt.Sprintf("%d", m/1000)
	}
	return fmt.Sprintf("%dm", m)
}

package review

import (
	"strings"
	"testing"

	"github.com/ydpgen/ydpgen/capacity"
)

// chart draws a capacity chart the way render does, with nodes of 16 GiB.
func chart(used float64, nodes, unplaced int) []byte {
	const gib = 1 << 30
	r := &capacity.Report{Environment: "prod", Profile: "kubeadm", Nodes: nodes,
		NodeSize:    capacity.Amount{Memory: 16 * gib},
		Reserved:    capacity.Amount{Memory: gib},
		Allocatable: capacity.Amount{Memory: 15 * gib},
		MemoryUsed:  used}
	for i := range nodes {
		r.Placement = append(r.Placement, capacity.Node{Name: "node-" + string(rune('1'+i)),
			Pods: []capacity.Pod{{Workload: "scheduler", Component: "scheduler", Requests: capacity.Amount{Memory: gib}}}})
	}
	for range unplaced {
		r.Unplaced = append(r.Unplaced, capacity.Pod{Workload: "workers", Component: "workers"})
	}
	return r.SVG()
}

func TestCapacityChartSummary(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b []byte
		want string
	}{
		{"more memory", chart(61, 3, 0), chart(74.2, 3, 0),
			"capacity chart: memory requests 61.0 % -> 74.2 % of the nodes' allocatable memory"},
		{"more nodes, pods that no longer fit", chart(61, 3, 0), chart(90, 2, 2),
			"capacity chart: memory requests 61.0 % -> 90.0 % of the nodes' allocatable memory, 3 -> 2 nodes, pods that fit on no node 0 -> 2"},
		{"same numbers", chart(61, 3, 0), []byte(strings.Replace(string(chart(61, 3, 0)), "node-1", "node-one", 1)),
			"capacity chart: memory requests 61.0 % of the nodes' allocatable memory, as before; only the drawing differs (placement or labels)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fc := diffFile("overlays/prod/capacity.svg", tc.a, tc.b, true, true)
			if fc.Note != tc.want || len(fc.Lines) > 0 {
				t.Errorf("note %q, %d lines; want %q and no lines", fc.Note, len(fc.Lines), tc.want)
			}
		})
	}
	// Any other SVG is compared as text.
	fc := diffFile("docs/logo.svg", []byte("<svg>\n<circle r=\"1\"/>\n</svg>\n"), []byte("<svg>\n<circle r=\"2\"/>\n</svg>\n"), true, true)
	if fc.Note != "" || len(fc.Lines) == 0 {
		t.Errorf("another SVG: note %q, %d lines; want a line diff", fc.Note, len(fc.Lines))
	}
}

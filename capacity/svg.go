package capacity

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"slices"
	"strings"
)

// SVG draws the memory budget of every node: the placed pods stacked by
// component (by environment, in the plan of a cluster that several
// environments share) against the node's allocatable memory, with the
// system reserve on top and the 80 % line that the sizing rule warns at.
func (r *Report) SVG() []byte {
	const (
		barW, gap, left, top, plotH = 56, 24, 64, 56, 320
	)
	components := r.components()
	width := left + max(1, len(r.Placement))*(barW+gap) + 180
	height := top + plotH + 72
	scale := func(bytes int64) float64 {
		if r.NodeSize.Memory <= 0 {
			return 0
		}
		return float64(bytes) * plotH / float64(r.NodeSize.Memory)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	subject, who := "environment "+r.Environment, r.Environment
	if r.Cluster != "" {
		subject = fmt.Sprintf("cluster %s, environments %s", r.Cluster, strings.Join(r.Environments, " and "))
		who = fmt.Sprintf("cluster %s (%s)", r.Cluster, strings.Join(r.Environments, ", "))
	}
	fmt.Fprintf(&b, `<title>%s</title>`+"\n", esc(fmt.Sprintf("Memory requests per node, %s (%s)", subject, r.Profile)))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="15" font-weight="bold">%s</text>`+"\n", left, esc(fmt.Sprintf("%s: memory requests per node (%.1f%% of allocatable)", who, r.MemoryUsed)))
	base := float64(top + plotH)
	// Axis ticks every GiB (or every 4 GiB on large nodes).
	step := int64(1 << 30)
	for r.NodeSize.Memory/step > 16 && step <= math.MaxInt64/4 {
		step *= 4
	}
	// m < m+step stops at overflow, so no size can make this loop forever.
	for m := int64(0); m <= r.NodeSize.Memory && m+step > m; m += step {
		y := base - scale(m)
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e0e0e0"/>`+"\n", left, width-170, y, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", left-6, y+4, esc(gib(m)))
	}
	for i, n := range r.Placement {
		x := left + gap/2 + i*(barW+gap)
		y := base
		for _, p := range n.Pods {
			h := scale(p.Requests.Memory)
			y -= h
			title := fmt.Sprintf("%s: %s", p.Workload, gib(p.Requests.Memory))
			if p.Near != "" && slices.ContainsFunc(n.Pods, func(q Pod) bool { return q.Workload == p.Near }) {
				title += ", next to " + p.Near
			}
			fmt.Fprintf(&b, `<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="%s" stroke="#ffffff"><title>%s</title></rect>`+"\n",
				x, y, barW, h, color(slices.Index(components, r.legendKey(p))), esc(title))
		}
		// The system reserve sits above the allocatable memory.
		resY := base - scale(r.NodeSize.Memory)
		fmt.Fprintf(&b, `<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="#bdbdbd"><title>%s</title></rect>`+"\n",
			x, resY, barW, scale(r.Reserved.Memory), esc("system reserved: "+gib(r.Reserved.Memory)))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="middle">%s</text>`+"\n", x+barW/2, base+16, esc(n.Name))
	}
	for _, l := range []struct {
		at    int64
		label string
		color string
	}{
		{r.Allocatable.Memory, "allocatable " + gib(r.Allocatable.Memory), "#c62828"},
		{r.Allocatable.Memory * 8 / 10, "80 %", "#ef6c00"},
	} {
		y := base - scale(l.at)
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="6 3"/>`+"\n", left, width-170, y, y, l.color)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" fill="%s">%s</text>`+"\n", width-166, y+4, l.color, esc(l.label))
	}
	for i, c := range components {
		y := top + plotH/2 + i*18
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/>`+"\n", width-166, y, color(i))
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", width-148, y+11, esc(c))
	}
	if len(r.Unplaced) > 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%.0f" fill="#c62828">%s</text>`+"\n", left, base+40, esc(fmt.Sprintf("%d pods do not fit on any node", len(r.Unplaced))))
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// legendKey is what a pod's colour says: its component, or its
// environment in the plan of a shared cluster.
func (r *Report) legendKey(p Pod) string {
	if r.Cluster != "" {
		return p.Environment
	}
	return p.Component
}

// components lists the placed pods' legend keys, sorted, for colours and
// legend.
func (r *Report) components() []string {
	var out []string
	for _, n := range r.Placement {
		for _, p := range n.Pods {
			if k := r.legendKey(p); !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	slices.Sort(out)
	return out
}

func color(i int) string {
	palette := []string{"#1565c0", "#2e7d32", "#6a1b9a", "#00838f", "#ad1457", "#f9a825", "#4e342e", "#283593", "#558b2f", "#00695c", "#d84315", "#37474f"}
	if i < 0 {
		return "#9e9e9e"
	}
	return palette[i%len(palette)]
}

func gib(b int64) string {
	return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

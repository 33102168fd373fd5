package review

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// capacityChart is what a capacity.svg says, read back from its own text:
// the share of the nodes' allocatable memory that requests take, the number
// of nodes drawn and how many pods fit nowhere.
//
// The chart is read rather than recomputed: the old side of a comparison is
// only a rendered tree (a directory, or a commit rendered by an older
// ydpgen), with no spec to compute from, and what a reviewer should see is
// what the chart in the tree says on each side.
type capacityChart struct {
	memory   float64
	nodes    int
	unplaced int
}

var (
	memoryShare  = regexp.MustCompile(`\(([0-9]+(?:\.[0-9]+)?)% of allocatable\)`)
	unplacedPods = regexp.MustCompile(`^([0-9]+) pods? do(?:es)? not fit on any node$`)
)

// readCapacityChart parses an SVG as ydpgen's capacity chart; false when it
// is not one (any other SVG is compared as text).
func readCapacityChart(data []byte) (capacityChart, bool) {
	var c capacityChart
	dec := xml.NewDecoder(bytes.NewReader(data))
	var stack []string
	headline := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return c, false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name.Local)
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			if len(stack) == 0 {
				continue
			}
			s := strings.TrimSpace(string(t))
			switch stack[len(stack)-1] {
			case "text":
				if m := memoryShare.FindStringSubmatch(s); m != nil && !headline && strings.Contains(s, "memory requests per node") {
					c.memory, _ = strconv.ParseFloat(m[1], 64)
					headline = true
				}
				if m := unplacedPods.FindStringSubmatch(s); m != nil {
					c.unplaced, _ = strconv.Atoi(m[1])
				}
			case "title":
				// One system reserve is drawn on top of every node.
				if len(stack) >= 2 && stack[len(stack)-2] == "rect" && strings.HasPrefix(s, "system reserved:") {
					c.nodes++
				}
			}
		}
	}
	return c, headline
}

// capacityNote says in one line how a capacity chart changed, such as
// "capacity chart: memory requests 61.0 % -> 74.2 % of the nodes' allocatable memory".
func capacityNote(a, b []byte) (string, bool) {
	ca, oka := readCapacityChart(a)
	cb, okb := readCapacityChart(b)
	if !oka || !okb {
		return "", false
	}
	parts := []string{fmt.Sprintf("memory requests %.1f %% -> %.1f %% of the nodes' allocatable memory", ca.memory, cb.memory)}
	if ca.memory == cb.memory {
		parts[0] = fmt.Sprintf("memory requests %.1f %% of the nodes' allocatable memory, as before", cb.memory)
	}
	if ca.nodes != cb.nodes {
		parts = append(parts, fmt.Sprintf("%d -> %d nodes", ca.nodes, cb.nodes))
	}
	if ca.unplaced != cb.unplaced {
		parts = append(parts, fmt.Sprintf("pods that fit on no node %d -> %d", ca.unplaced, cb.unplaced))
	}
	note := "capacity chart: " + strings.Join(parts, ", ")
	if ca == cb {
		note += "; only the drawing differs (placement or labels)"
	}
	return note, true
}

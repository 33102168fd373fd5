package proc

import "testing"

func TestFreePortsDiffer(t *testing.T) {
	ports, err := FreePorts(4)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if seen[p] || p == 0 {
			t.Errorf("ports %v", ports)
		}
		seen[p] = true
	}
}

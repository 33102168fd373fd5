package capacity

import "testing"

// A pod that prefers another workload's node lands there when it fits,
// even when it is larger and would otherwise be placed first.
func TestPlaceNear(t *testing.T) {
	gi := int64(1 << 30)
	pods := []Pod{
		{Workload: "scheduler", Requests: Amount{100, 2 * gi}, Near: "StatefulSet/postgres"},
		{Workload: "apiServer", Requests: Amount{100, 3 * gi}},
		{Workload: "StatefulSet/postgres", Requests: Amount{100, 1 * gi}},
	}
	nodes, unplaced := place(pods, 3, Amount{4000, 6 * gi})
	if len(unplaced) != 0 {
		t.Fatalf("unplaced %v", unplaced)
	}
	where := map[string]string{}
	for _, n := range nodes {
		for _, p := range n.Pods {
			where[p.Workload] = n.Name
		}
	}
	if where["scheduler"] != where["StatefulSet/postgres"] {
		t.Errorf("scheduler on %s, database on %s", where["scheduler"], where["StatefulSet/postgres"])
	}
	// Without room next to the database, it goes wherever it fits.
	nodes, unplaced = place(pods, 2, Amount{4000, 3*gi + gi/2})
	if len(unplaced) != 0 {
		t.Fatalf("unplaced %v", unplaced)
	}
	for _, n := range nodes {
		if n.Free.Memory < 0 {
			t.Errorf("%s overcommitted: %v", n.Name, n.Free)
		}
	}
}

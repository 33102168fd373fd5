package pod

import (
	"strings"
	"testing"

	"github.com/ydpgen/ydpgen/model"
)

func TestResources(t *testing.T) {
	r := model.Resources{Requests: model.CPUMemory{CPU: "250m", Memory: "256Mi"}, Limits: model.CPUMemory{CPU: "1", Memory: "1Gi"}}
	rr, err := Resources("maintenance.resources", r)
	if err != nil {
		t.Fatal(err)
	}
	if got := rr.Requests.Cpu().MilliValue(); got != 250 {
		t.Errorf("cpu request %dm, want 250m", got)
	}
	if got := rr.Limits.Memory().Value(); got != 1<<30 {
		t.Errorf("memory limit %d, want 1Gi", got)
	}
	// An error names the spec field that holds the bad quantity.
	r.Limits.Memory = "lots"
	_, err = Resources("maintenance.resources", r)
	if err == nil || !strings.HasPrefix(err.Error(), `maintenance.resources.limits.memory "lots"`) {
		t.Errorf("error %v, want it to start with the field and value", err)
	}
}

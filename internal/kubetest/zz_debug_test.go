package kubetest

import (
	"encoding/json"
	"testing"
)

func TestZZDebug(t *testing.T) {
	s := Start(t)
	objs := mustDecode(t, validObjects)[:1]
	for i := 0; i < 3; i++ {
		r, err := s.Apply(t.Context(), objs, ApplyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.MarshalIndent(r.Objects[0].Object.Object, "", " ")
		t.Logf("apply %d changed=%v rv %s->%s\n%s", i, r.Objects[0].Changed, r.Objects[0].ResourceVersionBefore, r.Objects[0].ResourceVersionAfter, b)
	}
}

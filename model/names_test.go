package model

import "testing"

func TestK8sName(t *testing.T) {
	for _, tc := range []struct{ in, want, py string }{
		{"Demo_PSP", "demo-psp", "demo_psp"},
		{"Test_DP", "test-dp", "test_dp"},
		{"mask_dt_cred", "mask-dt-cred", "mask_dt_cred"},
		{"  My  Platform!! ", "my-platform", "my_platform"},
		{"a__b--c", "a-b-c", "a_b_c"},
		{"_edge_", "edge", "edge"},
		{"ÄÖ-x", "x", "x"},
	} {
		if got := K8sName(tc.in); got != tc.want {
			t.Errorf("K8sName(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := PythonName(tc.in); got != tc.py {
			t.Errorf("PythonName(%q) = %q, want %q", tc.in, got, tc.py)
		}
	}
}

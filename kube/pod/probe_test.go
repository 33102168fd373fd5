package pod

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/ydpgen/ydpgen/model"
)

func TestStartWindow(t *testing.T) {
	for _, tc := range []struct {
		name  string
		probe corev1.Probe
		want  int32
	}{
		{"kubelet defaults", corev1.Probe{}, 30},
		{"chart startup probe", corev1.Probe{PeriodSeconds: 10, FailureThreshold: 6}, 60},
		{"delay counts", corev1.Probe{InitialDelaySeconds: 120, PeriodSeconds: 10, FailureThreshold: 5}, 170},
		{"period only", corev1.Probe{PeriodSeconds: 60}, 180},
	} {
		if got := StartWindow(&tc.probe); got != tc.want {
			t.Errorf("%s: StartWindow = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestFitProbes(t *testing.T) {
	pi := model.ProbeFloor{TimeoutSeconds: 10, StartSeconds: 120}
	for _, tc := range []struct {
		name     string
		in, want corev1.Container
	}{{
		name: "startup probe stretched, liveness timeout raised, readiness left",
		in: corev1.Container{
			StartupProbe:   &corev1.Probe{PeriodSeconds: 10, TimeoutSeconds: 5, FailureThreshold: 6},
			LivenessProbe:  &corev1.Probe{PeriodSeconds: 20, TimeoutSeconds: 5, FailureThreshold: 6},
			ReadinessProbe: &corev1.Probe{PeriodSeconds: 10, TimeoutSeconds: 2},
		},
		want: corev1.Container{
			StartupProbe:   &corev1.Probe{PeriodSeconds: 10, TimeoutSeconds: 10, FailureThreshold: 12},
			LivenessProbe:  &corev1.Probe{PeriodSeconds: 20, TimeoutSeconds: 10, FailureThreshold: 6},
			ReadinessProbe: &corev1.Probe{PeriodSeconds: 10, TimeoutSeconds: 2},
		},
	}, {
		name: "liveness alone starts the container: its delay counts, the kubelet's period is written",
		in:   corev1.Container{LivenessProbe: &corev1.Probe{InitialDelaySeconds: 35}},
		want: corev1.Container{LivenessProbe: &corev1.Probe{InitialDelaySeconds: 35, PeriodSeconds: 10, TimeoutSeconds: 10, FailureThreshold: 9}},
	}, {
		name: "generous probes stay as they are",
		in:   corev1.Container{StartupProbe: &corev1.Probe{PeriodSeconds: 10, TimeoutSeconds: 30, FailureThreshold: 60}},
		want: corev1.Container{StartupProbe: &corev1.Probe{PeriodSeconds: 10, TimeoutSeconds: 30, FailureThreshold: 60}},
	}, {
		name: "no probes",
		in:   corev1.Container{Name: "c"},
		want: corev1.Container{Name: "c"},
	}} {
		c := tc.in
		FitProbes(&c, pi)
		if d := cmp.Diff(tc.want, c); d != "" {
			t.Errorf("%s: (-want +got)\n%s", tc.name, d)
		}
		if p, _ := FirstRestarting(&c); p != nil && StartWindow(p) < pi.StartSeconds {
			t.Errorf("%s: start window %d after FitProbes, floor %d", tc.name, StartWindow(p), pi.StartSeconds)
		}
	}
}

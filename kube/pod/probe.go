package pod

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/ydpgen/ydpgen/model"
)

// The kubelet's values for a probe field left at zero.
const (
	defaultPeriod   = 10
	defaultTimeout  = 1
	defaultFailures = 3
)

// ProbeTimeout is the time one check of p may take, as the kubelet reads it.
func ProbeTimeout(p *corev1.Probe) int32 {
	if p.TimeoutSeconds <= 0 {
		return defaultTimeout
	}
	return p.TimeoutSeconds
}

// ProbePeriod is the time between two checks of p, as the kubelet reads it.
func ProbePeriod(p *corev1.Probe) int32 {
	if p.PeriodSeconds <= 0 {
		return defaultPeriod
	}
	return p.PeriodSeconds
}

func probeFailures(p *corev1.Probe) int32 {
	if p.FailureThreshold <= 0 {
		return defaultFailures
	}
	return p.FailureThreshold
}

// StartWindow is how long p lets a container start before it restarts it:
// the first check after the initial delay, then as many failed checks in a
// row as the threshold allows, a period apart.
func StartWindow(p *corev1.Probe) int32 {
	return p.InitialDelaySeconds + ProbePeriod(p)*probeFailures(p)
}

// FirstRestarting is the probe that may restart a starting container: the
// startup probe, which holds the liveness probe back, else the liveness
// probe; nil when the container has neither.
func FirstRestarting(c *corev1.Container) (p *corev1.Probe, kind string) {
	switch {
	case c.StartupProbe != nil:
		return c.StartupProbe, "startup"
	case c.LivenessProbe != nil:
		return c.LivenessProbe, "liveness"
	}
	return nil, ""
}

// FitProbes raises the probes that restart c to the cluster's probe floor:
// every check may take at least the floor's timeout, and the probe that
// runs first gives the container at least the floor's start time. Probes
// already as generous stay as they are; readiness probes restart nothing
// and are left alone.
func FitProbes(c *corev1.Container, floor model.ProbeFloor) {
	for _, p := range []*corev1.Probe{c.StartupProbe, c.LivenessProbe} {
		if p != nil && ProbeTimeout(p) < floor.TimeoutSeconds {
			p.TimeoutSeconds = floor.TimeoutSeconds
		}
	}
	p, _ := FirstRestarting(c)
	if p == nil || StartWindow(p) >= floor.StartSeconds {
		return
	}
	p.PeriodSeconds = ProbePeriod(p)
	p.FailureThreshold = FailuresFor(p, floor.StartSeconds)
}

// FailuresFor is the least failure threshold with which p, at its initial
// delay and period, gives a container start seconds to start.
func FailuresFor(p *corev1.Probe, start int32) int32 {
	period := ProbePeriod(p)
	return max(1, (start-p.InitialDelaySeconds+period-1)/period)
}

package lint

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/ydpgen/ydpgen/capacity"
	"github.com/ydpgen/ydpgen/kube/pod"
	"github.com/ydpgen/ydpgen/model"
)

// probedContainers are the containers of each chart component whose
// probes the spec times (airflow.probes.<component>), by component.
func probedContainers() map[string]string {
	return map[string]string{
		"scheduler":    "scheduler",
		"apiServer":    "api-server",
		"triggerer":    "triggerer",
		"dagProcessor": "dag-processor",
		"workers":      "worker",
	}
}

// checkProbeFloor: a liveness or startup probe that gives a slow node too
// little time restarts a container that works, and does so again after
// every start, so the pod never settles. The kubelet has the last word and
// nothing in the manifests looks wrong; on small nodes under memory
// pressure the seed's Flower restarted every two minutes, 123 times.
func checkProbeFloor(in *Input, r *Report) {
	floor := in.Env.Cluster.ProbeFloor
	for _, e := range in.Objects {
		tmpl, ok, err := podTemplate(e)
		if err != nil || !ok {
			// YDP026 reports a pod template it cannot read.
			continue
		}
		component, _, chart := capacity.ChartComponent(in.Env, e)
		for _, c := range restartingContainers(tmpl.Spec) {
			at := probeSpec{env: in.Env, object: e.GVK.Kind + " " + e.Name, container: c.Name}
			if chart && probedContainers()[component] == c.Name {
				at.component = component
			}
			for _, p := range []struct {
				kind  string
				probe *corev1.Probe
			}{{"startup", c.StartupProbe}, {"liveness", c.LivenessProbe}} {
				if p.probe == nil {
					continue
				}
				if t := pod.ProbeTimeout(p.probe); t < floor.TimeoutSeconds {
					at.report(r, p.kind, []string{"timeoutSeconds"},
						fmt.Sprintf("the %s probe of container %s of %s gives a check %d s to answer, and this cluster's nodes need at least %d (cluster.probeFloor.timeoutSeconds): a slow answer restarts a container that works",
							p.kind, c.Name, at.object, t, floor.TimeoutSeconds),
						fmt.Sprintf("timeoutSeconds: %d or more", floor.TimeoutSeconds))
				}
			}
			p, kind := pod.FirstRestarting(&c)
			if p == nil {
				continue
			}
			if w := pod.StartWindow(p); w < floor.StartSeconds {
				at.report(r, kind, []string{"failureThreshold", "periodSeconds", "initialDelaySeconds"},
					fmt.Sprintf("the %s probe of container %s of %s restarts it if it has not started after %d s (initialDelaySeconds + periodSeconds x failureThreshold), and this cluster's nodes need at least %d (cluster.probeFloor.startSeconds): a slow start becomes a restart loop",
						kind, c.Name, at.object, w, floor.StartSeconds),
					fmt.Sprintf("failureThreshold: %d or more (with periodSeconds %d and initialDelaySeconds %d)",
						pod.FailuresFor(p, floor.StartSeconds), pod.ProbePeriod(p), p.InitialDelaySeconds))
			}
		}
	}
}

// restartingContainers are the containers of a pod whose probes restart
// them: the main ones and native sidecars (init containers that keep
// running).
func restartingContainers(spec corev1.PodSpec) []corev1.Container {
	out := append([]corev1.Container(nil), spec.Containers...)
	for _, c := range spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			out = append(out, c)
		}
	}
	return out
}

// probeSpec places a probe finding: at the spec's airflow.probes entry for
// a chart component whose probes the spec times, else at the cluster's
// probe floor, the one value the spec has for the other probes.
type probeSpec struct {
	env               *model.Environment
	object, container string
	// component is the chart component whose probes the spec times, or "".
	component string
}

// report places the finding at the first of fields the spec wrote, else
// at the first field, naming who decided the value.
func (p probeSpec) report(r *Report, kind string, fields []string, message, want string) {
	if p.component == "" {
		r.At("environment.cluster.probeFloor",
			message+"; the spec cannot time this probe",
			"lower cluster.probeFloor if the nodes are faster than it says, or suppress YDP027 with the reason the probe is safe")
		return
	}
	base := "airflow.probes." + p.component + "." + kind
	fix := fmt.Sprintf("set %s.%s", base, want)
	for _, f := range fields {
		if _, written := p.env.Origins[base+"."+f]; written {
			r.At(base+"."+f, message, fix)
			return
		}
	}
	for _, f := range fields {
		if profileSet(p.env, p.component, kind, f) {
			r.At(base+"."+f, message, fix)
			return
		}
	}
	r.AtChartDefault(base+"."+fields[0], message, fix)
}

// profileSet says whether the resolved environment sets a probe's field
// that the spec did not write, which only a profile default does; the
// chart's default decides it otherwise.
func profileSet(env *model.Environment, component, kind, field string) bool {
	ps := map[string]*model.Probes{
		"scheduler": env.Airflow.Probes.Scheduler, "apiServer": env.Airflow.Probes.APIServer,
		"triggerer": env.Airflow.Probes.Triggerer, "dagProcessor": env.Airflow.Probes.DAGProcessor,
		"workers": env.Airflow.Probes.Workers,
	}[component]
	if ps == nil {
		return false
	}
	p := ps.Liveness
	if kind == "startup" {
		p = ps.Startup
	}
	if p == nil {
		return false
	}
	return map[string]*int32{
		"initialDelaySeconds": p.InitialDelaySeconds, "periodSeconds": p.PeriodSeconds,
		"timeoutSeconds": p.TimeoutSeconds, "failureThreshold": p.FailureThreshold,
	}[field] != nil
}

package lint

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

func TestProbeFloor(t *testing.T) {
	// The chart's scheduler: a startup probe of 60 s and a liveness probe
	// with 20 s checks.
	chartScheduler := func(edit func(c *corev1.Container)) objset.Object {
		d := deployment("airflow-scheduler", "data", 1, sized())
		d.Spec.Template.Labels = map[string]string{"tier": "airflow", "release": "airflow", "component": "scheduler"}
		c := &d.Spec.Template.Spec.Containers[0]
		c.Name = "scheduler"
		c.StartupProbe = &corev1.Probe{PeriodSeconds: 10, TimeoutSeconds: 20, FailureThreshold: 6}
		c.LivenessProbe = &corev1.Probe{InitialDelaySeconds: 10, PeriodSeconds: 60, TimeoutSeconds: 20, FailureThreshold: 5}
		if edit != nil {
			edit(c)
		}
		return d
	}
	own := func(c corev1.Container) objset.Object {
		d := deployment("mcp-server", "data", 1, sized())
		d.Spec.Template.Spec.Containers[0] = c
		return d
	}
	sidecar := func(restart *corev1.ContainerRestartPolicy) objset.Object {
		d := deployment("airflow-scheduler", "data", 1, sized())
		d.Spec.Template.Labels = map[string]string{"tier": "airflow", "release": "airflow", "component": "scheduler"}
		d.Spec.Template.Spec.Containers[0].Name = "scheduler"
		d.Spec.Template.Spec.InitContainers = []corev1.Container{{Name: "log-shipper", Image: "busybox:1.36", RestartPolicy: restart,
			LivenessProbe: &corev1.Probe{PeriodSeconds: 10, TimeoutSeconds: 2, FailureThreshold: 30}}}
		return d
	}
	pi := func(e *model.Environment) {
		e.Cluster.ProbeFloor = model.ProbeFloor{TimeoutSeconds: 10, StartSeconds: 120}
	}
	for _, tc := range []struct {
		name string
		env  func(e *model.Environment)
		obj  objset.Object
		// want are the findings, each as "path: parts of the message"
		// (separated by " … "); none when empty.
		want []string
	}{
		{"the chart's default start window, on a Pi", pi, chartScheduler(nil), []string{
			"spec.environments.dev.airflow.probes.scheduler.startup.failureThreshold: the startup probe of container scheduler of Deployment airflow-scheduler restarts it if it has not started after 60 s … this cluster's nodes need at least 120 … (the value is the chart's default)",
		}},
		{"the same on server nodes", func(e *model.Environment) {
			e.Cluster.ProbeFloor = model.ProbeFloor{TimeoutSeconds: 5, StartSeconds: 60}
		},
			chartScheduler(nil), nil},
		{"a window the profile set", func(e *model.Environment) {
			pi(e)
			e.Airflow.Probes.Scheduler = &model.Probes{Startup: &model.Probe{FailureThreshold: ptr.To[int32](6)}}
		}, chartScheduler(nil), []string{
			"spec.environments.dev.airflow.probes.scheduler.startup.failureThreshold: the startup probe of container scheduler … (the value is the kubeadm profile's default)",
		}},
		{"the spec's period, placed where it wrote it", func(e *model.Environment) {
			pi(e)
			e.Origins["airflow.probes.scheduler.startup.periodSeconds"] = model.Origin{File: "p.yaml", Line: 30, Col: 21, Path: "spec.airflow.probes.scheduler.startup.periodSeconds"}
		}, chartScheduler(func(c *corev1.Container) { c.StartupProbe.PeriodSeconds = 5; c.StartupProbe.FailureThreshold = 12 }), []string{
			"spec.airflow.probes.scheduler.startup.periodSeconds: the startup probe of container scheduler of Deployment airflow-scheduler restarts it if it has not started after 60 s",
		}},
		{"a tight timeout and a tight window, two findings", pi,
			chartScheduler(func(c *corev1.Container) { c.LivenessProbe.TimeoutSeconds = 5 }), []string{
				"spec.environments.dev.airflow.probes.scheduler.liveness.timeoutSeconds: the liveness probe of container scheduler of Deployment airflow-scheduler gives a check 5 s to answer",
				"spec.environments.dev.airflow.probes.scheduler.startup.failureThreshold: the startup probe",
			}},
		{"the chart's probes, retimed for a Pi", pi, chartScheduler(func(c *corev1.Container) { c.StartupProbe.FailureThreshold = 12 }), nil},
		{"a liveness probe alone starts the container", pi, own(corev1.Container{Name: "mcp-server",
			LivenessProbe: &corev1.Probe{InitialDelaySeconds: 10, PeriodSeconds: 10, TimeoutSeconds: 10, FailureThreshold: 3}}), []string{
			"spec.environments.dev.cluster.probeFloor: the liveness probe of container mcp-server of Deployment mcp-server restarts it if it has not started after 40 s",
		}},
		{"the kubelet's default timeout of 1 s", pi, own(corev1.Container{Name: "mcp-server",
			LivenessProbe: &corev1.Probe{InitialDelaySeconds: 120}}), []string{
			"spec.environments.dev.cluster.probeFloor: the liveness probe of container mcp-server of Deployment mcp-server gives a check 1 s to answer",
		}},
		{"readiness restarts nothing", pi, own(corev1.Container{Name: "mcp-server",
			ReadinessProbe: &corev1.Probe{TimeoutSeconds: 1}}), nil},
		{"a native sidecar's probe", pi, sidecar(ptr.To(corev1.ContainerRestartPolicyAlways)), []string{
			"spec.environments.dev.cluster.probeFloor: the liveness probe of container log-shipper of Deployment airflow-scheduler gives a check 2 s to answer",
		}},
		{"an init container that ends is not probed", pi, sidecar(nil), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := env()
			e.Airflow.ReleaseName = "airflow"
			tc.env(e)
			got := run(t, "YDP027", e, entries(t, tc.obj))
			if len(got) != len(tc.want) {
				t.Fatalf("want %d findings, got %v", len(tc.want), got)
			}
			for i, w := range tc.want {
				path, msg, _ := strings.Cut(w, ": ")
				ok := got[i].Path == path
				for _, part := range strings.Split(msg, " … ") {
					ok = ok && strings.Contains(got[i].Message, part)
				}
				if !ok {
					t.Errorf("finding %d: got %s: %s\nwant %s: %s...", i, got[i].Path, got[i].Message, path, msg)
				}
			}
		})
	}
}

// YDP006's slow-start warning holds the API server's workers, 30-40 s each
// on a Pi, to its startup probe when the chart is rendered, and to the
// seed's 120 s otherwise.
func TestAPIServerWorkersAgainstStartWindow(t *testing.T) {
	big := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("4Gi")}
	apiServer := func(failures int32) objset.Object {
		d := deployment("airflow-api-server", "data", 1, corev1.ResourceRequirements{Requests: big, Limits: big})
		d.Spec.Template.Labels = map[string]string{"tier": "airflow", "release": "airflow", "component": "api-server"}
		c := &d.Spec.Template.Spec.Containers[0]
		c.Name = "api-server"
		c.StartupProbe = &corev1.Probe{PeriodSeconds: 10, TimeoutSeconds: 20, FailureThreshold: failures}
		return d
	}
	for _, tc := range []struct {
		name    string
		workers string
		objs    []objset.Object
		want    string // a part of the one warning's message and fix; empty for none
	}{
		{"four workers, 120 s to start", "4", []objset.Object{apiServer(12)},
			"up to 160 s, and it is restarted if not up after 120 s … failureThreshold: 16 or more"},
		{"four workers, given 180 s", "4", []objset.Object{apiServer(18)}, ""},
		{"three workers fit 120 s", "3", []objset.Object{apiServer(12)}, ""},
		{"the chart not rendered: the seed's deadline", "4", nil, "up to 160 s, and it is restarted if not up after 120 s"},
		{"the chart not rendered, two workers", "2", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := env()
			e.Profile = "k3s-pi"
			e.Airflow.ReleaseName = "airflow"
			e.Airflow.Config = map[string]map[string]string{"api": {"workers": tc.workers}}
			e.Airflow.Components.APIServer = model.Component{Enabled: true, Replicas: 1, Resources: model.Resources{
				Requests: model.CPUMemory{CPU: "1", Memory: "4Gi"}, Limits: model.CPUMemory{CPU: "1", Memory: "4Gi"}}}
			got := run(t, "YDP006", e, entries(t, tc.objs...))
			if tc.want == "" {
				if len(got) != 0 {
					t.Fatalf("want no finding, got %v", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("want one warning, got %v", got)
			}
			for _, part := range strings.Split(tc.want, " … ") {
				if !strings.Contains(got[0].Message+"; "+got[0].Fix, part) {
					t.Errorf("got %s; %s\nwant it to say %q", got[0].Message, got[0].Fix, part)
				}
			}
		})
	}
}

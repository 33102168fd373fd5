package datasurface

import (
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/ydpgen/ydpgen/kube/labels"
	"github.com/ydpgen/ydpgen/kube/pod"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

// mcpPortName names the MCP port on the container and the Service.
const mcpPortName = "http"

// mcpServer renders the MCP server's Deployment and Service, and its Ingress
// when the spec asks for one; nothing when the server is disabled.
func mcpServer(env *model.Environment, n model.DataSurfaceNames) ([]objset.Object, error) {
	ds := env.DataSurface
	mcp := ds.MCPServer
	if !mcp.Enabled {
		return nil, nil
	}
	res, err := pod.Resources("datasurface.mcpServer.resources", mcp.Resources)
	if err != nil {
		return nil, err
	}
	owner, name, _ := model.RepoOwnerName(ds.Model.Repository)

	l := labels.For(env, n.MCPServer, "mcp-server")
	selector := map[string]string{
		"app.kubernetes.io/name":      l["app.kubernetes.io/name"],
		"app.kubernetes.io/instance":  l["app.kubernetes.io/instance"],
		"app.kubernetes.io/component": l["app.kubernetes.io/component"],
	}
	podLabels := maps.Clone(l)
	// DataSurface's documentation finds the server's pods with these.
	podLabels["app"] = n.MCPServer
	podLabels["component"] = "mcp"

	env1 := append(commonEnv(),
		corev1.EnvVar{Name: "GIT_REPO_URL", Value: ds.Model.Repository},
		corev1.EnvVar{Name: "GIT_REPO_OWNER", Value: owner},
		corev1.EnvVar{Name: "GIT_REPO_NAME", Value: name},
		corev1.EnvVar{Name: "GIT_REPO_BRANCH", Value: ds.Model.Ref},
		corev1.EnvVar{Name: "GIT_CACHE_PATH", Value: model.DataSurfaceGitCachePath},
	)
	git, err := pod.ModelGit(env)
	if err != nil {
		return nil, err
	}
	env1 = append(env1, git.Env...)

	// The server speaks SSE, which never ends a response: probes check that
	// the port accepts connections. Startup is generous for small nodes
	// that load a large model (up to five minutes).
	tcp := corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString(mcpPortName)}}
	deploy := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: n.MCPServer, Namespace: env.Namespace.Name, Labels: l},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: selector},
			// The server holds no state of its own (the model is in the git
			// cache), so the new pod may start before the old one stops.
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels},
				Spec: corev1.PodSpec{
					ServiceAccountName: ServiceAccount(env),
					ImagePullSecrets:   pod.PullSecrets(ds.PullSecret),
					SecurityContext:    pod.PodSecurity(ds.RunAsUser),
					Containers: []corev1.Container{{
						Name:            "mcp-server",
						Image:           ds.Image.Ref(),
						ImagePullPolicy: corev1.PullPolicy(ds.Image.PullPolicy),
						Command:         mcp.Command,
						Ports:           []corev1.ContainerPort{{Name: mcpPortName, ContainerPort: MCPPort, Protocol: corev1.ProtocolTCP}},
						Env:             env1,
						EnvFrom:         loggingEnvFrom(n),
						Resources:       res,
						SecurityContext: pod.ContainerSecurity(),
						VolumeMounts:    volumeMounts(git),
						StartupProbe:    &corev1.Probe{ProbeHandler: tcp, PeriodSeconds: 10, TimeoutSeconds: 5, FailureThreshold: 30},
						ReadinessProbe:  &corev1.Probe{ProbeHandler: tcp, PeriodSeconds: 10, TimeoutSeconds: 5, FailureThreshold: 3},
						LivenessProbe:   &corev1.Probe{ProbeHandler: tcp, PeriodSeconds: 20, TimeoutSeconds: 5, FailureThreshold: 6},
					}},
					Volumes: volumes(n, git),
				},
			},
		},
	}
	pod.FitProbes(&deploy.Spec.Template.Spec.Containers[0], env.Cluster.ProbeFloor)
	svcLabels := labels.For(env, n.MCPService, "mcp-server")
	// DataSurface's documentation finds the server's Service by this label.
	svcLabels["app"] = n.MCPServer
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: n.MCPService, Namespace: env.Namespace.Name, Labels: svcLabels},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceType(mcp.ServiceType),
			Selector: selector,
			Ports: []corev1.ServicePort{{
				Name: mcpPortName, Port: MCPPort, TargetPort: intstr.FromString(mcpPortName), Protocol: corev1.ProtocolTCP,
			}},
		},
	}
	out := []objset.Object{deploy, svc}
	if mcp.Ingress != nil {
		out = append(out, Ingress(env, n.MCPService, n.MCPService, mcpPortName, n.MCPTLSSecret, *mcp.Ingress))
	}
	return out, nil
}

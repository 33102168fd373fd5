package pod

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	"github.com/ydpgen/ydpgen/model"
)

// PodSecurity is the pod security context of DataSurface's pods: Pod
// Security "restricted" with the spec's user as user, group and fsGroup:
// the one owner of the shared git cache, whichever pod writes it. Changing
// ownership only on a mismatch keeps a large git cache from being walked on
// every start.
func PodSecurity(uid int64) *corev1.PodSecurityContext {
	return &corev1.PodSecurityContext{
		RunAsNonRoot:        ptr.To(true),
		RunAsUser:           ptr.To(uid),
		RunAsGroup:          ptr.To(uid),
		FSGroup:             ptr.To(uid),
		FSGroupChangePolicy: ptr.To(corev1.FSGroupChangeOnRootMismatch),
		SeccompProfile:      &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

// ContainerSecurity is the "restricted" container security context.
func ContainerSecurity() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}

// GitTrust is the environment that makes git trust every repository, as
// git configuration given on the command line (GIT_CONFIG_COUNT and its
// pairs, which git reads like -c): clones in the shared git cache belong to
// whichever pod made them, and git refuses a repository another user owns
// ("dubious ownership"). Every pod that uses the cache gets it, and the
// variables say nothing secret.
func GitTrust() []corev1.EnvVar {
	return []corev1.EnvVar{
		{Name: "GIT_CONFIG_COUNT", Value: "1"},
		{Name: "GIT_CONFIG_KEY_0", Value: "safe.directory"},
		{Name: "GIT_CONFIG_VALUE_0", Value: "*"},
	}
}

// PullSecrets lists the Secret of a registry credential, if there is one.
func PullSecrets(credential string) []corev1.LocalObjectReference {
	if credential == "" {
		return nil
	}
	return []corev1.LocalObjectReference{{Name: model.K8sName(credential)}}
}

// Resources converts the spec's requests and limits into Kubernetes
// quantities; path names the spec field in errors
// (datasurface.mcpServer.resources). Every generator converts through it.
func Resources(path string, r model.Resources) (corev1.ResourceRequirements, error) {
	req, err := ResourceList(path+".requests", r.Requests)
	if err != nil {
		return corev1.ResourceRequirements{}, err
	}
	lim, err := ResourceList(path+".limits", r.Limits)
	if err != nil {
		return corev1.ResourceRequirements{}, err
	}
	return corev1.ResourceRequirements{Requests: req, Limits: lim}, nil
}

// ResourceList converts one CPU and memory pair; path names it in errors
// (namespace.limitRange.defaultRequests).
func ResourceList(path string, q model.CPUMemory) (corev1.ResourceList, error) {
	cpu, err := resource.ParseQuantity(q.CPU)
	if err != nil {
		return nil, fmt.Errorf("%s.cpu %q: %w", path, q.CPU, err)
	}
	mem, err := resource.ParseQuantity(q.Memory)
	if err != nil {
		return nil, fmt.Errorf("%s.memory %q: %w", path, q.Memory, err)
	}
	return corev1.ResourceList{corev1.ResourceCPU: cpu, corev1.ResourceMemory: mem}, nil
}

package namespace

import (
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ydpgen/ydpgen/generators"
	"github.com/ydpgen/ydpgen/kube/labels"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

// PodSecurityLabels are the Pod Security admission labels of a namespace
// that enforces level: DataSurface's task pods run with no security context
// of their own, so the level the namespace enforces is the spec's (baseline
// unless DataSurface's pods are known to meet restricted), while warnings on
// apply and the audit log always measure against restricted, so what
// restricted would refuse is visible before anyone turns it on.
func PodSecurityLabels(level string) map[string]string {
	return map[string]string{
		"pod-security.kubernetes.io/enforce": level,
		"pod-security.kubernetes.io/warn":    "restricted",
		"pod-security.kubernetes.io/audit":   "restricted",
	}
}

// Generator renders the Namespace and its guard rails.
type Generator struct{}

// Object is the environment's Namespace. The manual secrets provider
// creates the same object before any Secret, so that a later sync of the
// overlay finds it as it would have made it.
func Object(env *model.Environment) *corev1.Namespace {
	l := labels.For(env, env.Namespace.Name, "namespace")
	maps.Copy(l, PodSecurityLabels(env.Namespace.PodSecurity))
	return &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: env.Namespace.Name, Labels: l},
	}
}

// Name implements generators.Generator.
func (Generator) Name() string { return "namespace" }

// Generate implements generators.Generator.
func (Generator) Generate(env *model.Environment) (generators.Artifacts, error) {
	ns := Object(env)
	rails, err := guardRails(env)
	if err != nil {
		return generators.Artifacts{}, err
	}
	objs := []objset.Object{ns}
	if sa := defaultServiceAccount(env); sa != nil {
		objs = append(objs, sa)
	}
	return generators.Artifacts{Objects: append(objs, rails...)}, nil
}

// DefaultServiceAccount is the account Kubernetes makes in every namespace,
// which pods that name none run as: DataSurface's own task pods among them.
const DefaultServiceAccount = "default"

// PullSecrets are the Secrets of the environment's registry credentials
// (DataSurface's and Airflow's), sorted and each once.
func PullSecrets(env *model.Environment) []corev1.LocalObjectReference {
	var names []string
	for _, c := range []string{env.DataSurface.PullSecret, env.Airflow.PullSecret} {
		if c != "" {
			names = append(names, model.K8sName(c))
		}
	}
	slices.Sort(names)
	var out []corev1.LocalObjectReference
	for _, n := range slices.Compact(names) {
		out = append(out, corev1.LocalObjectReference{Name: n})
	}
	return out
}

// defaultServiceAccount gives the namespace's default account the
// environment's pull secrets, so that pods whose spec names none (the
// KubernetesPodOperator pods DataSurface's DAG starts) can pull a private
// image; nil when there is no pull secret. Kubernetes creates the account
// itself; applied server-side, this object owns only imagePullSecrets and
// the labels, and leaves the rest of the account to its controller.
// ydpgen's own pods name their pull secrets in their pod specs, since the
// Airflow chart's accounts, which some of them run as, are the chart's.
func defaultServiceAccount(env *model.Environment) *corev1.ServiceAccount {
	secrets := PullSecrets(env)
	if len(secrets) == 0 {
		return nil
	}
	return &corev1.ServiceAccount{
		TypeMeta:         metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta:       metav1.ObjectMeta{Name: DefaultServiceAccount, Namespace: env.Namespace.Name, Labels: labels.For(env, DefaultServiceAccount, "service-account")},
		ImagePullSecrets: secrets,
	}
}

package namespace

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ydpgen/ydpgen/generators"
	"github.com/ydpgen/ydpgen/kube/labels"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

// Generator renders the Namespace and its guard rails.
type Generator struct{}

// Object is the environment's Namespace. The manual secrets provider
// creates the same object before any Secret, so that a later sync of the
// overlay finds it as it would have made it.
func Object(env *model.Environment) *corev1.Namespace {
	l := labels.For(env, env.Namespace.Name, "namespace")
	// Enforce, audit and warn at the same level: a warning a user sees on
	// apply then means the same as a rejection would.
	for _, mode := range []string{"enforce", "audit", "warn"} {
		l["pod-security.kubernetes.io/"+mode] = env.Namespace.PodSecurity
	}
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
	return generators.Artifacts{Objects: append([]objset.Object{ns}, rails...)}, nil
}

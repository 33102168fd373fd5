package namespace

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/ydpgen/ydpgen/model"
)

func generated(t *testing.T, env *model.Environment) (*corev1.Namespace, *corev1.ServiceAccount) {
	t.Helper()
	a, err := Generator{}.Generate(env)
	if err != nil {
		t.Fatal(err)
	}
	var ns *corev1.Namespace
	var sa *corev1.ServiceAccount
	for _, o := range a.Objects {
		switch v := o.(type) {
		case *corev1.Namespace:
			ns = v
		case *corev1.ServiceAccount:
			sa = v
		}
	}
	if ns == nil {
		t.Fatal("no Namespace")
	}
	return ns, sa
}

// The namespace enforces the spec's level and always warns and audits at
// restricted.
func TestPodSecurityLabels(t *testing.T) {
	for _, level := range []string{"baseline", "restricted"} {
		env := testEnv()
		env.Namespace.PodSecurity = level
		ns, _ := generated(t, env)
		want := map[string]string{"enforce": level, "warn": "restricted", "audit": "restricted"}
		for mode, w := range want {
			if got := ns.Labels["pod-security.kubernetes.io/"+mode]; got != w {
				t.Errorf("%s: %s=%q, want %q", level, mode, got, w)
			}
		}
	}
}

// DataSurface's task pods run as the default account: it carries every pull
// secret of the environment, once each.
func TestDefaultServiceAccountPullSecrets(t *testing.T) {
	env := testEnv()
	if _, sa := generated(t, env); sa != nil {
		t.Errorf("no pull secret, yet a default ServiceAccount: %+v", sa)
	}
	env.DataSurface.PullSecret = "gitlab-registry"
	env.Airflow.PullSecret = "Docker_Hub"
	_, sa := generated(t, env)
	if sa == nil || sa.Name != "default" || sa.Namespace != "demo" {
		t.Fatalf("default ServiceAccount: %+v", sa)
	}
	var names []string
	for _, s := range sa.ImagePullSecrets {
		names = append(names, s.Name)
	}
	if !slices.Equal(names, []string{"docker-hub", "gitlab-registry"}) {
		t.Errorf("pull secrets %v", names)
	}
	env.Airflow.PullSecret = env.DataSurface.PullSecret
	if _, sa := generated(t, env); len(sa.ImagePullSecrets) != 1 {
		t.Errorf("a shared pull secret listed %d times", len(sa.ImagePullSecrets))
	}
}

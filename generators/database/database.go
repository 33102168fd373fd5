package database

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/ydpgen/ydpgen/generators"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

// Names of what the generator renders.
const (
	// ServerName names the in-cluster server's StatefulSet and Service.
	ServerName = model.InClusterDatabaseService
	// BootstrapName names the bootstrap's ConfigMap and its Job (to which
	// render adds the hash suffix every Job gets).
	BootstrapName = "postgres-bootstrap"
	// SQLKey is the ConfigMap key that holds the bootstrap SQL.
	SQLKey = "bootstrap.sql"
)

// The official postgres image on Alpine runs as user and group 70
// (postgres); on Debian the same uid works through the image's nss_wrapper.
const postgresUID = 70

// Generator renders the in-cluster PostgreSQL and the bootstrap Job.
type Generator struct{}

// Name implements generators.Generator.
func (Generator) Name() string { return "database" }

// Generate implements generators.Generator.
func (Generator) Generate(env *model.Environment) (generators.Artifacts, error) {
	md := env.Airflow.MetadataDatabase
	var objs []objset.Object
	if md.Mode == model.InCluster {
		sts, svc, err := server(env)
		if err != nil {
			return generators.Artifacts{}, err
		}
		objs = append(objs, sts, svc)
	}
	if md.Bootstrap.Enabled {
		cm, job, err := bootstrap(env)
		if err != nil {
			return generators.Artifacts{}, err
		}
		objs = append(objs, cm, job)
	}
	return generators.Artifacts{Objects: objs}, nil
}

// podSecurity meets Pod Security "restricted" as the image's postgres user.
func podSecurity() *corev1.PodSecurityContext {
	return &corev1.PodSecurityContext{
		RunAsNonRoot:   ptr.To(true),
		RunAsUser:      ptr.To[int64](postgresUID),
		RunAsGroup:     ptr.To[int64](postgresUID),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

// containerSecurity is the restricted container context; the root file
// system is read-only, so whatever is written goes to a mounted volume.
func containerSecurity() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		ReadOnlyRootFilesystem:   ptr.To(true),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}

// secretEnv is a variable filled from one key of a credential's Secret.
func secretEnv(name, credential, key string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: model.K8sName(credential)},
		Key:                  key,
	}}}
}

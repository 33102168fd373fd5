package database

import (
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/ydpgen/ydpgen/kube/labels"
	"github.com/ydpgen/ydpgen/kube/pod"
	"github.com/ydpgen/ydpgen/model"
)

// Paths inside the server's container.
const (
	dataMount = "/var/lib/postgresql/data"
	// pgData is a subdirectory: a fresh volume's root may hold lost+found,
	// and initdb refuses a directory that is not empty.
	pgData = dataMount + "/pgdata"
	// socketDir is where the server puts its socket and lock file; with a
	// read-only root it must be a volume.
	socketDir     = "/var/run/postgresql"
	containerPort = 5432
	portName      = "postgresql"
)

// ServerSelector selects the in-cluster PostgreSQL's pod: its Service does,
// and so does the Airflow scheduler's affinity to its node.
func ServerSelector(env *model.Environment) map[string]string {
	l := labels.For(env, ServerName, "database")
	return map[string]string{
		"app.kubernetes.io/name":      l["app.kubernetes.io/name"],
		"app.kubernetes.io/instance":  l["app.kubernetes.io/instance"],
		"app.kubernetes.io/component": l["app.kubernetes.io/component"],
	}
}

// server returns the in-cluster PostgreSQL: one StatefulSet pod with a
// ReadWriteOnce claim, and the Service Airflow's connection names.
func server(env *model.Environment) (*appsv1.StatefulSet, *corev1.Service, error) {
	md := env.Airflow.MetadataDatabase
	s := md.Server
	l := labels.For(env, ServerName, "database")
	selector := ServerSelector(env)
	res, err := pod.Resources("airflow.metadataDatabase.server.resources", s.Resources)
	if err != nil {
		return nil, nil, err
	}
	size, err := resource.ParseQuantity(s.Storage.Size)
	if err != nil {
		return nil, nil, err
	}
	class := s.Storage.StorageClass
	if class == "" {
		class = env.Cluster.DefaultStorageClass
	}
	admin := s.AdminCredential

	// pg_isready only asks whether the server accepts connections; it
	// needs no password. It checks TCP on loopback, which the image's
	// first-start initialisation keeps closed until it is done.
	isReady := &corev1.ExecAction{Command: []string{"pg_isready", "--quiet", "--host", "127.0.0.1", "--port", strconv.Itoa(containerPort)}}
	container := corev1.Container{
		Name:            "postgres",
		Image:           s.Image.Ref(),
		ImagePullPolicy: corev1.PullPolicy(s.Image.PullPolicy),
		Ports:           []corev1.ContainerPort{{Name: portName, ContainerPort: containerPort, Protocol: corev1.ProtocolTCP}},
		Env: []corev1.EnvVar{
			// The image's entrypoint makes the superuser from these on the
			// first start only; later changes of the Secret do not reach
			// the server.
			secretEnv("POSTGRES_USER", admin, "USER"),
			secretEnv("POSTGRES_PASSWORD", admin, "PASSWORD"),
			// Without it the entrypoint also creates a database named
			// after the superuser.
			{Name: "POSTGRES_DB", Value: "postgres"},
			{Name: "PGDATA", Value: pgData},
		},
		Resources: res,
		// Slow SD cards and busy Pi nodes: up to ten minutes for the
		// first initdb or crash recovery, then minutes of silence before
		// a restart, never a restart loop because of a tight probe.
		StartupProbe: &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{Exec: isReady},
			PeriodSeconds: 10, TimeoutSeconds: 5, FailureThreshold: 60,
		},
		ReadinessProbe: &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{Exec: isReady},
			PeriodSeconds: 10, TimeoutSeconds: 5, FailureThreshold: 3,
		},
		LivenessProbe: &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{Exec: isReady},
			PeriodSeconds: 30, TimeoutSeconds: 10, FailureThreshold: 6,
		},
		// Kubernetes stops containers with SIGTERM, which PostgreSQL takes
		// as a smart shutdown: it waits for every client, Airflow never
		// leaves, and the kill at the end of the grace period forces a
		// crash recovery on the next start. A fast shutdown first.
		Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{
			Command: []string{"pg_ctl", "stop", "--mode", "fast", "--wait", "--timeout", "50"},
		}}},
		SecurityContext: containerSecurity(),
		VolumeMounts: []corev1.VolumeMount{
			{Name: "data", MountPath: dataMount},
			{Name: "run", MountPath: socketDir},
			{Name: "tmp", MountPath: "/tmp"},
		},
	}
	// Nodes slower than these allow raise them (lint YDP027 holds the
	// chart's probes to the same floor).
	pod.FitProbes(&container, env.Cluster.ProbeFloor)
	podSec := podSecurity()
	// The claim's files belong to the image's group; checked only at the
	// root so a large data directory does not slow every start.
	podSec.FSGroup = ptr.To[int64](postgresUID)
	podSec.FSGroupChangePolicy = ptr.To(corev1.FSGroupChangeOnRootMismatch)

	sts := &appsv1.StatefulSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"},
		ObjectMeta: metav1.ObjectMeta{Name: ServerName, Namespace: env.Namespace.Name, Labels: l},
		Spec: appsv1.StatefulSetSpec{
			// One server, no replication: the claim is ReadWriteOnce.
			Replicas:    ptr.To[int32](1),
			ServiceName: ServerName,
			// A changed pod template replaces the one pod: there is no
			// second server to hand over to, so Airflow waits a minute.
			UpdateStrategy: appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType},
			Selector:       &metav1.LabelSelector{MatchLabels: selector},
			// Deleting or scaling the StatefulSet never deletes the data.
			PersistentVolumeClaimRetentionPolicy: &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
				WhenDeleted: appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
				WhenScaled:  appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
			},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: l},
				Spec: corev1.PodSpec{
					AutomountServiceAccountToken:  ptr.To(false),
					EnableServiceLinks:            ptr.To(false),
					TerminationGracePeriodSeconds: ptr.To[int64](60),
					SecurityContext:               podSec,
					Containers:                    []corev1.Container{container},
					Volumes: []corev1.Volume{
						{Name: "run", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: ptr.To(resource.MustParse("16Mi"))}}},
						{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: ptr.To(resource.MustParse("256Mi"))}}},
					},
				},
			},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				ObjectMeta: metav1.ObjectMeta{Name: "data", Labels: l},
				Spec: corev1.PersistentVolumeClaimSpec{
					AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					StorageClassName: ptr.To(class),
					Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: size}},
				},
			}},
		},
	}
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: ServerName, Namespace: env.Namespace.Name, Labels: l},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: selector,
			Ports: []corev1.ServicePort{{
				Name: portName, Port: int32(md.Port), TargetPort: intstr.FromString(portName), Protocol: corev1.ProtocolTCP,
			}},
		},
	}
	return sts, svc, nil
}

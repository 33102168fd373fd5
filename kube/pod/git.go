package pod

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/ydpgen/ydpgen/credentials"
	"github.com/ydpgen/ydpgen/model"
)

// ModelGitPath is where a container finds the SSH key and known hosts of
// the model repository when its URL is an SSH one.
const ModelGitPath = "/etc/ydpgen/model-git"

// GitAccess is what a container needs to read the model repository.
type GitAccess struct {
	Env     []corev1.EnvVar
	Volumes []corev1.Volume
	Mounts  []corev1.VolumeMount
	// SSH is true for an SSH URL (the key is mounted, there is no token).
	SSH bool
}

// ModelGit is how DataSurface's containers reach the model repository with
// its credential: a token in <credential>_TOKEN for an https URL; for an
// SSH URL the key (the credential's gitSshKey) and the spec's known hosts
// mounted read-only, and GIT_SSH_COMMAND pointing git at them and refusing
// any other host key. The key's file is the pod's group's (fsGroup), which
// ssh accepts because the file's owner is not the user running it.
func ModelGit(env *model.Environment) (GitAccess, error) {
	ds := env.DataSurface
	cred := ds.Model.Credential
	if cred == "" {
		return GitAccess{}, nil
	}
	if !model.IsSSHURL(ds.Model.Repository) {
		vars, err := credentials.EnvVars(cred, credentials.APIToken, ds.Version)
		return GitAccess{Env: vars}, err
	}
	n := env.DataSurfaceNames()
	vol := corev1.Volume{Name: "model-git-ssh", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		DefaultMode: ptr.To[int32](0o440),
		Sources: []corev1.VolumeProjection{
			{Secret: &corev1.SecretProjection{
				LocalObjectReference: corev1.LocalObjectReference{Name: model.K8sName(cred)},
				Items:                []corev1.KeyToPath{{Key: "gitSshKey", Path: "ssh-key"}},
			}},
			{ConfigMap: &corev1.ConfigMapProjection{
				LocalObjectReference: corev1.LocalObjectReference{Name: n.ModelKnownHosts},
				Items:                []corev1.KeyToPath{{Key: "known_hosts", Path: "known_hosts"}},
			}},
		},
	}}}
	return GitAccess{
		SSH: true,
		Env: []corev1.EnvVar{{Name: "GIT_SSH_COMMAND", Value: "ssh -i " + ModelGitPath + "/ssh-key -o IdentitiesOnly=yes -o UserKnownHostsFile=" +
			ModelGitPath + "/known_hosts -o StrictHostKeyChecking=yes"}},
		Volumes: []corev1.Volume{vol},
		Mounts:  []corev1.VolumeMount{{Name: vol.Name, MountPath: ModelGitPath, ReadOnly: true}},
	}, nil
}

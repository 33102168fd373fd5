package credentials

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/ydpgen/ydpgen/model"
)

// EnvVars returns how DataSurface reads a credential from the
// environment: one variable <credential>_<KEY> per key of the credential's
// Secret (the credential's name with '_' for '-'), with the keys its kind has
// in this DataSurface release.
func EnvVars(credential string, kind Kind, version string) ([]corev1.EnvVar, error) {
	layout, err := LayoutOf(kind, version)
	if err != nil {
		return nil, err
	}
	var out []corev1.EnvVar
	for _, k := range layout.Keys {
		out = append(out, corev1.EnvVar{
			Name: model.PythonName(credential) + "_" + strings.ToUpper(k.Name),
			ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: model.K8sName(credential)},
				Key:                  k.Name,
			}},
		})
	}
	return out, nil
}

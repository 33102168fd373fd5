package credentials

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/ydpgen/ydpgen/model"
)

// EnvVars returns how DataSurface reads a credential from the
// environment: one variable <credential>_<KEY> per key of the credential's
// Secret, with the credential's name exactly as the model writes it
// (DataSurface looks up Merge_Cred_USER, never merge_cred_USER) and the keys
// its kind has in this DataSurface release. The loader refuses names that
// cannot be variables (EnvVarName).
func EnvVars(credential string, kind Kind, version string) ([]corev1.EnvVar, error) {
	layout, err := LayoutOf(kind, version)
	if err != nil {
		return nil, err
	}
	var out []corev1.EnvVar
	for _, k := range layout.Keys {
		out = append(out, corev1.EnvVar{
			Name: credential + "_" + strings.ToUpper(k.Name),
			ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: model.K8sName(credential)},
				Key:                  k.Name,
			}},
		})
	}
	return out, nil
}

// EnvVarNameRule says, in a user's words, which credential names can be
// environment variables.
const EnvVarNameRule = "a letter or '_', then letters, digits and '_' (no '-'): DataSurface reads <name>_USER, <name>_PASSWORD and <name>_TOKEN from the environment, and its own credential check refuses other names"

// EnvVarName reports whether a credential name can prefix an environment
// variable DataSurface reads: a POSIX shell name, which is also what
// DataSurface's environment-variable credential store checks a model's
// credential names against (read in its public source).
func EnvVarName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

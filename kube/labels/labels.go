package labels

import "github.com/ydpgen/ydpgen/model"

// ManagedBy is the value of app.kubernetes.io/managed-by on every object.
const ManagedBy = "ydpgen"

// PartOf is the value of app.kubernetes.io/part-of on every object.
const PartOf = "yellowdataplatform"

// For returns the labels of an object of the given component.
func For(env *model.Environment, name, component string) map[string]string {
	return map[string]string{
		"app.kubernetes.io/name":       name,
		"app.kubernetes.io/instance":   env.Platform,
		"app.kubernetes.io/component":  component,
		"app.kubernetes.io/part-of":    PartOf,
		"app.kubernetes.io/managed-by": ManagedBy,
	}
}

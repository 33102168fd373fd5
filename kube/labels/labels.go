package labels

import "github.com/ydpgen/ydpgen/model"

// ManagedBy is the value of app.kubernetes.io/managed-by on every object.
const ManagedBy = "ydpgen"

// PartOf is the value of app.kubernetes.io/part-of on every object.
const PartOf = "yellowdataplatform"

// Instance is the app.kubernetes.io/instance label For sets to the
// platform's name. Argo CD's label tracking reads the same key as the name
// of the owning Application, so under Argo CD the top level of an object
// leaves it to Argo CD (passes/syncpolicy); pod and claim templates and
// selectors keep it.
const Instance = "app.kubernetes.io/instance"

// Platform is the label that names the platform at the top level of every
// rendered object, under every engine: what selects a platform's objects,
// since Instance is not there under Argo CD.
const Platform = "ydpgen.dev/platform"

// For returns the labels of an object of the given component.
func For(env *model.Environment, name, component string) map[string]string {
	return map[string]string{
		"app.kubernetes.io/name":       name,
		Instance:                       env.Platform,
		"app.kubernetes.io/component":  component,
		"app.kubernetes.io/part-of":    PartOf,
		"app.kubernetes.io/managed-by": ManagedBy,
	}
}

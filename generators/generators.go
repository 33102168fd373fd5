package generators

import (
	"github.com/ydpgen/ydpgen/generators/objset"
	"github.com/ydpgen/ydpgen/model"
)

// File is a rendered file that is not a Kubernetes object, such as Helm
// values. Path is relative to the environment's overlay directory and uses '/'.
type File struct {
	Path string
	Data []byte
}

// Artifacts are what a generator makes for one environment.
type Artifacts struct {
	Objects []objset.Object
	Files   []File
}

// Generator turns a resolved environment into artifacts. Generators are
// pure: the same environment always gives the same artifacts.
type Generator interface {
	// Name identifies the generator in errors.
	Name() string
	Generate(env *model.Environment) (Artifacts, error)
}

package generators

import (
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

// Artifacts are what a generator makes for one environment.
type Artifacts struct {
	Objects []objset.Object
	Files   []objset.File
}

// Generator turns a resolved environment into artifacts. Generators are
// pure: the same environment always gives the same artifacts.
type Generator interface {
	// Name identifies the generator in errors.
	Name() string
	Generate(env *model.Environment) (Artifacts, error)
}

package secrets

import (
	"fmt"

	"github.com/ydpgen/ydpgen/credentials"
	"github.com/ydpgen/ydpgen/generators"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

// DocPath is where the list of Secrets goes, relative to the overlay.
const DocPath = "SECRETS.md"

// Providers.
const (
	ProviderManual          = "manual"
	ProviderExternalSecrets = "external-secrets"
)

// Generator renders the environment's Secrets for its provider.
type Generator struct{}

// Name implements generators.Generator.
func (Generator) Name() string { return "secrets" }

// Generate implements generators.Generator.
func (Generator) Generate(env *model.Environment) (generators.Artifacts, error) {
	list, err := credentials.List(env)
	if err != nil {
		return generators.Artifacts{}, err
	}
	switch env.Secrets.Provider {
	case ProviderManual:
		return generators.Artifacts{Files: []objset.File{{Path: DocPath, Data: manualDoc(env, list)}}}, nil
	case ProviderExternalSecrets:
		objs, remote, err := externalSecrets(env, list)
		if err != nil {
			return generators.Artifacts{}, err
		}
		out := make([]objset.Object, len(objs))
		for i, o := range objs {
			out[i] = o
		}
		return generators.Artifacts{Objects: out, Files: []objset.File{{Path: DocPath, Data: storeDoc(env, list, remote)}}}, nil
	}
	return generators.Artifacts{}, fmt.Errorf("unknown secrets provider %q", env.Secrets.Provider)
}

package secrets

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ydpgen/ydpgen/credentials"
	"github.com/ydpgen/ydpgen/generators"
	"github.com/ydpgen/ydpgen/model"
)

// DocPath is where the list of Secrets goes, relative to the overlay.
const DocPath = "SECRETS.md"

// Providers.
const (
	ProviderManual          = "manual"
	ProviderExternalSecrets = "external-secrets"
)

// Provider is one way for Secrets to reach a namespace. Every provider
// reads the same list (credentials.List: each Secret's keys, which of them
// a person types once, which are generated once and which repeat another
// Secret's values) and decides how to make each kind of key happen; a new
// provider (SOPS, Sealed Secrets) is one more implementation of this.
type Provider interface {
	// Name is the value of secrets.provider that picks it.
	Name() string
	// Render makes the objects and files that bring the Secrets of list
	// into the environment's namespace.
	Render(env *model.Environment, list []credentials.Secret) (generators.Artifacts, error)
}

// Providers returns every provider, by name.
func Providers() []Provider {
	return []Provider{externalSecretsProvider{}, manualProvider{},
		sealedProvider{model.ProviderSOPS}, sealedProvider{model.ProviderSealedSecrets}}
}

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
	all := Providers()
	i := slices.IndexFunc(all, func(p Provider) bool { return p.Name() == env.Secrets.Provider })
	if i < 0 {
		var names []string
		for _, p := range all {
			names = append(names, p.Name())
		}
		return generators.Artifacts{}, fmt.Errorf("unknown secrets provider %q (known: %s)", env.Secrets.Provider, strings.Join(names, ", "))
	}
	return all[i].Render(env, list)
}

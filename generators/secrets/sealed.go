package secrets

import (
	"strings"

	"github.com/ydpgen/ydpgen/credentials"
	"github.com/ydpgen/ydpgen/generators"
	"github.com/ydpgen/ydpgen/internal/markdown"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
	"github.com/ydpgen/ydpgen/sealing"
)

// sealedProvider is sops or sealed-secrets: the Secrets are encrypted by
// `ydpgen secrets seal` into the environment's directory next to the
// spec, and render copies those files into the overlay (package
// sealedfiles). The generator itself renders no object, only SECRETS.md:
// the commands that seal.
type sealedProvider struct{ name string }

func (p sealedProvider) Name() string { return p.name }

func (p sealedProvider) Render(env *model.Environment, list []credentials.Secret) (generators.Artifacts, error) {
	return generators.Artifacts{Files: []objset.File{{Path: DocPath, Data: sealedDoc(env, list, p.name)}}}, nil
}

// sealedDoc is SECRETS.md for sops and sealed-secrets: how to seal, and
// which variable carries each value that a person types.
func sealedDoc(env *model.Environment, list []credentials.Secret, provider string) []byte {
	d := &markdown.Doc{}
	d.Comment(objset.HeaderText)
	d.Line("# Secrets of environment %s", markdown.Code(env.Name))
	d.Blank()
	d.Line("Platform %s, namespace %s, secrets provider %s.", markdown.Code(env.Platform), markdown.Code(env.Namespace.Name), markdown.Code(provider))
	d.Blank()
	switch provider {
	case model.ProviderSOPS:
		d.Line("The Secrets are kept in git encrypted for the age recipients %s, in %s next to the spec;",
			markdown.CodeList(env.Secrets.SOPS.AgeRecipients), markdown.Code(env.Secrets.Directory+"/"))
		d.Line("render copies them into %s here unchanged and Flux decrypts them with the age key in Secret %s.",
			markdown.Code("sealed/"), markdown.Code(env.GitOps.Flux.Namespace+"/"+env.Secrets.SOPS.KeySecret))
	default:
		d.Line("The Secrets are kept in git as SealedSecrets sealed with the controller certificate %s (scope %s), in %s next to the spec;",
			markdown.Code(env.Secrets.SealedSecrets.Certificate), markdown.Code(env.Secrets.SealedSecrets.Scope), markdown.Code(env.Secrets.Directory+"/"))
		d.Line("render copies them into %s here unchanged and the Sealed Secrets controller unseals them.", markdown.Code("sealed/"))
	}
	d.Line("Seal them from the spec's directory, before the first sync and after any value changed:")
	d.Blank()
	seal := "ydpgen secrets seal --env " + env.Name
	fenced(d, "sh", strings.Join([]string{
		seal + "                 # asks for each value, without echo",
		seal + " --from-env      # reads the variables below",
		seal + " --dotenv FILE   # a NAME=value file outside the repository",
		seal + " --rotate        # every value again, for new recipients or a new certificate",
		"ydpgen secrets status --env " + env.Name,
	}, "\n"))
	d.Blank()
	d.Line("Only changed values are encrypted again. Random keys are generated once; keys built from other keys")
	d.Line("(connection URLs) are sealed from their parts.")
	d.Blank()
	d.Line("| Secret | Keys | Made | Variables |")
	d.Line("| --- | --- | --- | --- |")
	for _, s := range list {
		if s.IssuedBy != "" {
			continue
		}
		var vars []string
		for _, k := range s.Layout.Keys {
			if s.Typed(k) {
				vars = append(vars, sealing.VarName(s.Name, k.Name))
			}
		}
		d.Line("| %s | %s | %s | %s |", markdown.Code(s.Name), markdown.Cell(markdown.CodeList(s.Layout.KeyNames())),
			markdown.Cell(madeFrom(s, provider)), markdown.Cell(markdown.CodeList(vars)))
	}
	return []byte(strings.TrimRight(string(d.Bytes()), "\n") + "\n")
}

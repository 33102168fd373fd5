package spec

import (
	"fmt"
	"path"
	"strings"

	"cuelang.org/go/cue"
	"filippo.io/age"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/model"
)

// DefaultSOPSKeySecret is the Secret in Flux's namespace that holds the
// age private key when secrets.sops.keySecret is left out.
const DefaultSOPSKeySecret = "sops-age"

// defaultSealed fills what the providers that keep encrypted Secrets in git
// leave to the loader: the directory of the files, the key Secret's name
// and the sealing scope.
func defaultSealed(env *model.Environment) {
	s := &env.Secrets
	if !s.Sealed() {
		return
	}
	if s.Directory == "" {
		s.Directory = "secrets/" + env.Name
	}
	s.Directory = path.Clean(s.Directory)
	if s.Provider == model.ProviderSOPS && s.SOPS.KeySecret == "" {
		s.SOPS.KeySecret = DefaultSOPSKeySecret
	}
	if s.Provider == model.ProviderSealedSecrets && s.SealedSecrets.Scope == "" {
		s.SealedSecrets.Scope = "strict"
	}
}

// checkSealed checks the settings of providers sops and sealed-secrets
// that need more than one value or Go: the provider's own section is
// there, every age recipient is a valid key (its checksum too), the
// paths stay inside the spec's directory, and Argo CD, which cannot
// decrypt SOPS files by itself, is not the engine. Whether the
// certificate file exists and parses is checked when the spec's
// directory is read (sealedfiles).
func checkSealed(env *model.Environment) diag.List {
	s := env.Secrets
	c := &envChecker{env: env}
	sec := func(sels ...string) cue.Path {
		all := []cue.Selector{cue.Str("secrets")}
		for _, x := range sels {
			all = append(all, cue.Str(x))
		}
		return cue.MakePath(all...)
	}
	if s.Sealed() && !localPath(s.Directory) {
		c.add(sec("directory"), fmt.Sprintf("secrets.directory %q leaves the spec's directory", s.Directory),
			"a relative path inside the spec's directory, such as secrets/"+env.Name, "")
	}
	switch s.Provider {
	case model.ProviderSOPS:
		if len(s.SOPS.AgeRecipients) == 0 {
			c.addIn(sec("provider"), "secrets provider sops needs the age recipients to encrypt for, and secrets.sops.ageRecipients is not set",
				"secrets: {provider: sops, sops: {ageRecipients: [age1...]}}", "add the public key age-keygen printed under secrets.sops.ageRecipients")
		}
		for i, r := range s.SOPS.AgeRecipients {
			if _, err := age.ParseX25519Recipient(r); err != nil {
				c.add(cue.MakePath(cue.Str("secrets"), cue.Str("sops"), cue.Str("ageRecipients"), cue.Index(i)),
					fmt.Sprintf("age recipient %q is not a valid age public key (its checksum or encoding is wrong)", r),
					"an age public key as age-keygen prints it: age1 followed by 58 characters",
					"copy the public key again from age-keygen -y <key file>")
			}
		}
		switch env.GitOps.Engine {
		case model.EngineArgoCD:
			c.addIn(sec("provider"), "secrets provider sops is not supported with Argo CD: it cannot decrypt SOPS files without a plugin",
				"provider sealed-secrets (works with Argo CD and Flux), or gitops.engine flux",
				"use provider: sealed-secrets with the controller's certificate, or switch gitops.engine to flux")
		case model.EngineNone:
			c.addIn(sec("provider"), "secrets provider sops needs Flux to decrypt the files, and gitops.engine is none (kubectl cannot decrypt them)",
				"provider sealed-secrets, or gitops.engine flux", "use provider: sealed-secrets, or switch gitops.engine to flux")
		}
	case model.ProviderSealedSecrets:
		switch {
		case s.SealedSecrets.Certificate == "":
			c.addIn(sec("provider"), "secrets provider sealed-secrets needs the controller's certificate, and secrets.sealedSecrets.certificate is not set",
				"secrets: {provider: sealed-secrets, sealedSecrets: {certificate: <path to the PEM file>}}",
				"save the certificate with kubeseal --fetch-cert > cert.pem and name it under secrets.sealedSecrets.certificate")
		case !localPath(s.SealedSecrets.Certificate):
			c.add(sec("sealedSecrets", "certificate"), fmt.Sprintf("certificate %q is not a relative path inside the spec's directory", s.SealedSecrets.Certificate),
				"a relative path such as secrets/cert.pem", "")
		}
	}
	return c.out
}

// localPath reports whether p is a relative, slash-separated path that
// stays inside the directory it is relative to.
func localPath(p string) bool {
	p = path.Clean(p)
	return p != "." && !path.IsAbs(p) && p != ".." && !strings.HasPrefix(p, "../") && !strings.Contains(p, `\`)
}

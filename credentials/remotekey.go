package credentials

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/model"
)

// Remote key templates say where a credential lives in an external secret
// store. A template is text with placeholders in braces:
//
//	datasurface/{namespace}/{ecosystem}/{credential}
//
// The words aws and azure stand for DataSurface's conventions for AWS
// Secrets Manager and Azure Key Vault with the environment added after the
// ecosystem: DataSurface's own guides deploy one environment per
// namespace, but two environments of one platform may use the same
// namespace name on two clusters, and they must not read each other's
// secrets. Each credential is one remote secret holding one property per
// key of its Kubernetes Secret.

// Presets are DataSurface's remote key conventions, by the word a spec
// writes for them.
func Presets() map[string]string {
	return map[string]string{
		"aws":   "datasurface/{namespace}/{ecosystem}/{environment}/{credential}",
		"azure": "datasurface--{namespace}--{ecosystem}--{environment}--{credential}--credentials",
	}
}

// PresetNames are the preset words, sorted.
func PresetNames() []string { return []string{"aws", "azure"} }

// Placeholders are the names a template may use, sorted.
func Placeholders() []string {
	return []string{"credential", "ecosystem", "environment", "namespace", "platform"}
}

// RemoteKeyVars are the values of the placeholders for one credential.
type RemoteKeyVars struct {
	Credential  string // the Kubernetes Secret name
	Ecosystem   string
	Environment string
	Namespace   string
	Platform    string
}

func (v RemoteKeyVars) get(name string) string {
	switch name {
	case "credential":
		return v.Credential
	case "ecosystem":
		return v.Ecosystem
	case "environment":
		return v.Environment
	case "namespace":
		return v.Namespace
	case "platform":
		return v.Platform
	}
	return ""
}

// RemoteKeyTemplate is a parsed template.
type RemoteKeyTemplate struct {
	// Source is what the spec wrote (a preset word or a template).
	Source string
	// Text is the template itself, presets expanded.
	Text string
	// Preset is the preset word, or "".
	Preset string
	parts  []templatePart
}

type templatePart struct {
	literal     string
	placeholder string
}

// TemplateError is a problem at byte Offset of a template's text.
type TemplateError struct {
	Offset  int
	Message string
	Allowed string
	Fix     string
}

func (e *TemplateError) Error() string {
	return fmt.Sprintf("at offset %d: %s", e.Offset, e.Message)
}

// literalAllowed are the characters a template may hold outside
// placeholders: those AWS Secrets Manager and Vault paths accept. Azure Key
// Vault is stricter; see CheckRemoteKey.
func literalAllowed(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/_+=.@-", r)
}

// ParseRemoteKeyTemplate parses a preset word or a template.
func ParseRemoteKeyTemplate(src string) (RemoteKeyTemplate, *TemplateError) {
	allowedText := "a preset (" + strings.Join(PresetNames(), " or ") + ") or text of letters, digits and / _ + = . @ - with placeholders " + braced(Placeholders())
	t := RemoteKeyTemplate{Source: src, Text: src}
	if p, ok := Presets()[src]; ok {
		t.Text, t.Preset = p, src
	}
	if strings.TrimSpace(t.Text) == "" {
		return t, &TemplateError{Message: "the remote key template is empty", Allowed: allowedText}
	}
	text := t.Text
	hasCredential := false
	for i := 0; i < len(text); {
		switch c := text[i]; {
		case c == '{':
			end := strings.IndexByte(text[i:], '}')
			if end < 0 {
				return t, &TemplateError{Offset: i, Message: fmt.Sprintf("placeholder at %q is not closed", text[i:]), Allowed: allowedText}
			}
			name := text[i+1 : i+end]
			if !slices.Contains(Placeholders(), name) {
				e := &TemplateError{Offset: i, Message: fmt.Sprintf("unknown placeholder {%s}", name), Allowed: "placeholders " + braced(Placeholders())}
				if near := diag.Nearest(name, Placeholders()); near != "" {
					e.Fix = fmt.Sprintf("did you mean {%s}?", near)
				}
				return t, e
			}
			hasCredential = hasCredential || name == "credential"
			t.parts = append(t.parts, templatePart{placeholder: name})
			i += end + 1
		case c == '}':
			return t, &TemplateError{Offset: i, Message: "'}' without an opening '{'", Allowed: allowedText}
		default:
			j := i
			for j < len(text) && text[j] != '{' && text[j] != '}' {
				r, size := utf8.DecodeRuneInString(text[j:])
				if !literalAllowed(r) {
					return t, &TemplateError{Offset: j, Message: fmt.Sprintf("character %q is not allowed in a remote key", string(r)), Allowed: allowedText}
				}
				j += size
			}
			t.parts = append(t.parts, templatePart{literal: text[i:j]})
			i = j
		}
	}
	if !hasCredential {
		return t, &TemplateError{Offset: 0, Message: "the template has no {credential} placeholder, so every credential would read the same remote secret",
			Allowed: "a template that contains {credential}", Fix: "add {credential}, as in " + Presets()["aws"]}
	}
	return t, nil
}

// Expand fills the placeholders in.
func (t RemoteKeyTemplate) Expand(v RemoteKeyVars) string {
	var b strings.Builder
	for _, p := range t.parts {
		if p.placeholder != "" {
			b.WriteString(v.get(p.placeholder))
		} else {
			b.WriteString(p.literal)
		}
	}
	return b.String()
}

// CheckRemoteKey says what is wrong with an expanded key for the template's
// store, or "" when nothing is: Azure Key Vault secret names hold only
// letters, digits and '-', at most 127 of them.
func (t RemoteKeyTemplate) CheckRemoteKey(key string) string {
	if t.Preset != "azure" {
		return ""
	}
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return fmt.Sprintf("Azure Key Vault secret name %q holds %q; Key Vault allows only letters, digits and '-'", key, string(r))
		}
	}
	if len(key) > 127 {
		return fmt.Sprintf("Azure Key Vault secret name %q is %d characters long; Key Vault allows at most 127", key, len(key))
	}
	return ""
}

// RemoteProperty is the property of the remote secret that holds a
// Secret key. It is the key's own name, without a leading '.': stores read
// properties as JSON paths, where a leading dot would not name the key.
func RemoteProperty(key string) string { return strings.TrimPrefix(key, ".") }

func braced(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "{" + n + "}"
	}
	return strings.Join(out, ", ")
}

// RemoteSecret is where one Secret's values live in the external store.
type RemoteSecret struct {
	Secret string
	Key    string
	// Properties are the remote secret's properties, in the Secret's key
	// order (typed keys only).
	Properties []string
}

// InStore reports whether the external-secrets provider reads a Secret
// from the store: typed values are kept there; values the operator
// generates (fernet key, API and JWT secrets) and values derived from
// other Secrets are not, except a generated value that another Secret
// derives from, which only the store can hand to both.
func InStore(s Secret, list []Secret) bool {
	if s.IssuedBy != "" {
		return false
	}
	for _, k := range s.Layout.Keys {
		if _, derived := s.DerivedKey(k.Name); derived {
			continue
		}
		if k.Random == nil || derivedFrom(s.Name, list) {
			return true
		}
	}
	return false
}

// derivedFrom reports whether any Secret of list derives a key from name.
func derivedFrom(name string, list []Secret) bool {
	for _, o := range list {
		for _, d := range o.Derived {
			for _, r := range d.Refs() {
				if r.Secret == name && o.Name != name {
					return true
				}
			}
		}
	}
	return false
}

// RemoteSecrets lists where the Secrets the store holds live, in list's
// order. A credential the environment shares with another one is read at
// the other environment's key.
func RemoteSecrets(env *model.Environment, list []Secret) ([]RemoteSecret, error) {
	cfg := env.Secrets.ExternalSecrets
	tmpl, terr := ParseRemoteKeyTemplate(cfg.RemoteKeyTemplate)
	if terr != nil {
		return nil, fmt.Errorf("secrets.externalSecrets.remoteKeyTemplate: %w", terr)
	}
	var out []RemoteSecret
	for _, s := range list {
		if !InStore(s, list) {
			continue
		}
		vars := RemoteKeyVars{Credential: s.Name, Ecosystem: cfg.Ecosystem, Environment: env.Name, Namespace: env.Namespace.Name, Platform: env.Platform}
		if s.Shared != nil {
			vars.Environment, vars.Namespace, vars.Ecosystem = s.Shared.With, s.Shared.Partner.Namespace, s.Shared.Partner.Ecosystem
		}
		r := RemoteSecret{Secret: s.Name, Key: tmpl.Expand(vars)}
		for _, k := range s.Layout.Keys {
			if _, derived := s.DerivedKey(k.Name); !derived {
				r.Properties = append(r.Properties, RemoteProperty(k.Name))
			}
		}
		out = append(out, r)
	}
	return out, nil
}

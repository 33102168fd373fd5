package secrets

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/ydpgen/ydpgen/credentials"
	"github.com/ydpgen/ydpgen/generators"
	"github.com/ydpgen/ydpgen/kube/labels"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
	"github.com/ydpgen/ydpgen/passes/stages"
)

// ESOAPIVersion is the External Secrets Operator API the objects use
// (v1, served and stored since ESO 0.17; checked against the v1.3.2 CRD).
const ESOAPIVersion = "external-secrets.io/v1"

// GeneratorsAPIVersion is the API of ESO's generators (Password).
const GeneratorsAPIVersion = "generators.external-secrets.io/v1alpha1"

// ExternalSecret is the part of ESO's ExternalSecret that ydpgen writes.
// Field names and JSON keys follow the CRD in testdata/crds.
type ExternalSecret struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              ExternalSecretSpec `json:"spec"`
}

// ExternalSecretSpec says which store to read, what to read and which
// Secret to write.
type ExternalSecretSpec struct {
	RefreshInterval string `json:"refreshInterval,omitempty"`
	// RefreshPolicy CreatedOnce writes the Secret once and never again.
	RefreshPolicy  string         `json:"refreshPolicy,omitempty"`
	SecretStoreRef *StoreRef      `json:"secretStoreRef,omitempty"`
	Target         Target         `json:"target"`
	Data           []ExternalData `json:"data,omitempty"`
	DataFrom       []DataFrom     `json:"dataFrom,omitempty"`
}

// StoreRef names a SecretStore or ClusterSecretStore.
type StoreRef struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// Target is the Secret the operator writes.
type Target struct {
	Name           string `json:"name"`
	CreationPolicy string `json:"creationPolicy"`
	DeletionPolicy string `json:"deletionPolicy"`
	// Immutable keeps a written Secret's data from ever changing.
	Immutable bool            `json:"immutable,omitempty"`
	Template  *TargetTemplate `json:"template,omitempty"`
}

// TargetTemplate sets the Secret's type and labels and, for derived keys,
// the Go templates (ESO's engine v2) that build their values from the
// fetched ones.
type TargetTemplate struct {
	Type          string            `json:"type"`
	EngineVersion string            `json:"engineVersion"`
	Metadata      TemplateMetadata  `json:"metadata"`
	Data          map[string]string `json:"data,omitempty"`
}

// TemplateMetadata is the written Secret's metadata.
type TemplateMetadata struct {
	Labels map[string]string `json:"labels,omitempty"`
}

// ExternalData maps one value the operator fetches (a Secret key, or a
// template's input) to one property of a remote secret.
type ExternalData struct {
	SecretKey string    `json:"secretKey"`
	RemoteRef RemoteRef `json:"remoteRef"`
}

// RemoteRef is a property of a secret in the store.
type RemoteRef struct {
	Key      string `json:"key"`
	Property string `json:"property"`
}

// DataFrom takes every value a generator makes.
type DataFrom struct {
	SourceRef SourceRef `json:"sourceRef"`
}

// SourceRef points at a generator.
type SourceRef struct {
	GeneratorRef GeneratorRef `json:"generatorRef"`
}

// GeneratorRef names a generator object in the namespace.
type GeneratorRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
}

// DeepCopyObject implements runtime.Object.
func (e *ExternalSecret) DeepCopyObject() runtime.Object {
	out := *e
	e.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	out.Spec.Data = slices.Clone(e.Spec.Data)
	out.Spec.DataFrom = slices.Clone(e.Spec.DataFrom)
	if e.Spec.SecretStoreRef != nil {
		r := *e.Spec.SecretStoreRef
		out.Spec.SecretStoreRef = &r
	}
	if t := e.Spec.Target.Template; t != nil {
		c := *t
		c.Metadata.Labels = maps.Clone(t.Metadata.Labels)
		c.Data = maps.Clone(t.Data)
		out.Spec.Target.Template = &c
	}
	return &out
}

// Password is ESO's random password generator: each ExternalSecret that
// refers to it gets a fresh value.
type Password struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              PasswordSpec `json:"spec"`
}

// PasswordSpec sizes the value: Length characters of letters and Digits
// digits, no symbols, encoded as Encoding, written to SecretKeys.
type PasswordSpec struct {
	Length      int      `json:"length"`
	Digits      *int     `json:"digits,omitempty"`
	Symbols     *int     `json:"symbols,omitempty"`
	NoUpper     bool     `json:"noUpper"`
	AllowRepeat bool     `json:"allowRepeat"`
	Encoding    string   `json:"encoding,omitempty"`
	SecretKeys  []string `json:"secretKeys,omitempty"`
}

// DeepCopyObject implements runtime.Object.
func (p *Password) DeepCopyObject() runtime.Object {
	out := *p
	p.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	out.Spec.SecretKeys = slices.Clone(p.Spec.SecretKeys)
	if p.Spec.Digits != nil {
		out.Spec.Digits = ptr.To(*p.Spec.Digits)
	}
	if p.Spec.Symbols != nil {
		out.Spec.Symbols = ptr.To(*p.Spec.Symbols)
	}
	return &out
}

// externalSecretsProvider renders an ExternalSecret per Secret: typed
// values read from the store, generated ones made once by a Password
// generator in the namespace and never made again, derived ones built by a
// template from the same remote secret as the value they repeat.
type externalSecretsProvider struct{}

func (externalSecretsProvider) Name() string { return ProviderExternalSecrets }

func (externalSecretsProvider) Render(env *model.Environment, list []credentials.Secret) (generators.Artifacts, error) {
	objs, err := externalSecrets(env, list)
	if err != nil {
		return generators.Artifacts{}, err
	}
	remote, err := credentials.RemoteSecrets(env, list)
	if err != nil {
		return generators.Artifacts{}, err
	}
	return generators.Artifacts{Objects: objs, Files: []objset.File{{Path: DocPath, Data: storeDoc(env, list, remote)}}}, nil
}

// passwordSpec is the generator settings for a random value: letters and
// a quarter digits, base64url-encoded for a Fernet key (32 characters give
// the 32 bytes Fernet decodes), plain for the others.
func passwordSpec(r credentials.Random, key string) PasswordSpec {
	length := 2 * r.Bytes
	enc := "raw"
	if r.Encoding == credentials.Base64URL {
		length, enc = r.Bytes, "base64url"
	}
	return PasswordSpec{Length: length, Digits: ptr.To(length / 4), Symbols: ptr.To(0), AllowRepeat: true, Encoding: enc, SecretKeys: []string{key}}
}

// externalSecrets builds the ExternalSecrets and the Password generators.
func externalSecrets(env *model.Environment, list []credentials.Secret) ([]objset.Object, error) {
	cfg := env.Secrets.ExternalSecrets
	remote, err := credentials.RemoteSecrets(env, list)
	if err != nil {
		return nil, err
	}
	keyOf := map[string]credentials.RemoteSecret{}
	for _, r := range remote {
		keyOf[r.Secret] = r
	}
	store := &StoreRef{Kind: cfg.StoreKind, Name: cfg.StoreName}
	var out []objset.Object
	for _, s := range list {
		if s.IssuedBy != "" {
			continue // cert-manager writes it
		}
		l := labels.For(env, s.Name, "credentials")
		es := &ExternalSecret{
			TypeMeta:   metav1.TypeMeta{APIVersion: ESOAPIVersion, Kind: "ExternalSecret"},
			ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: env.Namespace.Name, Labels: l},
			Spec: ExternalSecretSpec{
				RefreshInterval: cfg.RefreshInterval,
				Target: Target{
					Name: s.Name,
					// Owner: the Secret goes with its ExternalSecret; Retain:
					// a value deleted from the store does not delete the
					// Secret under running pods.
					CreationPolicy: "Owner",
					DeletionPolicy: "Retain",
					Template: &TargetTemplate{
						Type: s.Layout.Type, EngineVersion: "v2",
						Metadata: TemplateMetadata{Labels: maps.Clone(l)},
					},
				},
			},
		}
		r, inStore := keyOf[s.Name]
		var random []credentials.Key
		for _, k := range s.Layout.Keys {
			if _, derived := s.DerivedKey(k.Name); derived {
				continue
			}
			if inStore {
				es.Spec.Data = append(es.Spec.Data, ExternalData{SecretKey: k.Name, RemoteRef: RemoteRef{Key: r.Key, Property: credentials.RemoteProperty(k.Name)}})
				continue
			}
			if k.Random == nil {
				return nil, fmt.Errorf("secret %s: key %s is neither stored, generated nor derived", s.Name, k.Name)
			}
			random = append(random, k)
		}
		if len(random) > 0 {
			// Made once: CreatedOnce never writes the Secret again, Orphan
			// keeps it when the ExternalSecret is deleted or renamed, and
			// immutable keeps a new ExternalSecret from overwriting it.
			es.Spec.RefreshInterval = ""
			es.Spec.RefreshPolicy = "CreatedOnce"
			es.Spec.Target.CreationPolicy = "Orphan"
			es.Spec.Target.Immutable = true
			for _, k := range random {
				gen := &Password{
					TypeMeta:   metav1.TypeMeta{APIVersion: GeneratorsAPIVersion, Kind: "Password"},
					ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: env.Namespace.Name, Labels: labels.For(env, s.Name, "credentials")},
					Spec:       passwordSpec(*k.Random, k.Name),
				}
				// The Secrets stage: it must exist before the operator
				// reads the ExternalSecret that refers to it.
				gen.Labels[stages.Label] = string(stages.Secrets)
				if len(random) > 1 {
					gen.Name = s.Name + "-" + model.K8sName(k.Name)
				}
				out = append(out, gen)
				es.Spec.DataFrom = append(es.Spec.DataFrom, DataFrom{SourceRef: SourceRef{GeneratorRef: GeneratorRef{
					APIVersion: GeneratorsAPIVersion, Kind: "Password", Name: gen.Name,
				}}})
			}
		}
		if len(s.Derived) > 0 {
			if err := deriveByTemplate(es, s, keyOf); err != nil {
				return nil, err
			}
		}
		if len(es.Spec.Data) > 0 {
			es.Spec.SecretStoreRef = store
		}
		out = append(out, es)
	}
	return out, nil
}

// deriveByTemplate fetches the values a Secret's derived keys repeat, from
// the remote secrets that hold them, and writes a template per key. With a
// template, the operator writes only the templated keys, so the Secret's
// other keys are templated as themselves.
func deriveByTemplate(es *ExternalSecret, s credentials.Secret, keyOf map[string]credentials.RemoteSecret) error {
	input := map[credentials.KeyRef]string{}
	for _, d := range es.Spec.Data {
		input[credentials.KeyRef{Secret: s.Name, Key: d.SecretKey}] = d.SecretKey
	}
	var refs []credentials.KeyRef
	for _, d := range s.Derived {
		for _, r := range d.Refs() {
			if !slices.Contains(refs, r) {
				refs = append(refs, r)
			}
		}
	}
	// Inputs are named after the key they hold; the source Secret's name
	// goes in front only when two sources have a key of one name.
	short := map[string]int{}
	for _, r := range refs {
		short[r.Key]++
	}
	for _, r := range refs {
		if _, have := input[r]; have {
			continue
		}
		if r.Secret == s.Name {
			return fmt.Errorf("secret %s: a derived key repeats its own key %s, which is not fetched", s.Name, r.Key)
		}
		src, ok := keyOf[r.Secret]
		if !ok {
			return fmt.Errorf("secret %s derives from Secret %s, which the store does not hold", s.Name, r.Secret)
		}
		name := r.Key
		if short[r.Key] > 1 {
			name = r.Secret + "." + r.Key
		}
		input[r] = name
		es.Spec.Data = append(es.Spec.Data, ExternalData{SecretKey: name, RemoteRef: RemoteRef{Key: src.Key, Property: credentials.RemoteProperty(r.Key)}})
	}
	data := map[string]string{}
	for _, k := range s.Layout.Keys {
		d, derived := s.DerivedKey(k.Name)
		if !derived {
			data[k.Name] = templateRef(k.Name, credentials.Raw)
			continue
		}
		var b strings.Builder
		for _, p := range d.Pieces {
			if p.Secret == "" {
				// Template delimiters in literal text print as text.
				b.WriteString(strings.ReplaceAll(p.Text, "{{", `{{"{{"}}`))
				continue
			}
			b.WriteString(templateRef(input[credentials.KeyRef{Secret: p.Secret, Key: p.Key}], p.Escape))
		}
		data[k.Name] = b.String()
	}
	es.Spec.Target.Template.Data = data
	return nil
}

// templateRef is the template action that writes input name escaped as e,
// with the functions ESO's engine v2 documents: Go's urlquery, then
// sprig's replace, because urlquery writes a space as '+', which a URL's
// user information reads as a plus sign.
func templateRef(name string, e credentials.Escape) string {
	ref := "." + name
	if !isIdentifier(name) {
		ref = fmt.Sprintf("index . %q", name)
	}
	switch e {
	case credentials.URLEscape:
		return "{{ " + ref + ` | urlquery | replace "+" "%20" }}`
	case credentials.PgBouncerQuote:
		return "{{ " + ref + ` | replace "\"" "\"\"" }}`
	}
	return "{{ " + ref + " }}"
}

func isIdentifier(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

package sealing

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Format is how a Secret is kept in git.
type Format string

const (
	// FormatSOPS is a Kubernetes Secret whose data and stringData values
	// SOPS encrypted for age recipients; Flux's kustomize-controller
	// decrypts it when it applies the Secret.
	FormatSOPS Format = "sops"
	// FormatSealedSecrets is a bitnami.com/v1alpha1 SealedSecret that the
	// Sealed Secrets controller in the cluster unseals.
	FormatSealedSecrets Format = "sealed-secrets"
	// FormatPlain is a Secret in clear. ydpgen never writes one; Inspect
	// reports it so that a committed plaintext Secret is a finding.
	FormatPlain Format = "plain"
)

// FileName is the file, inside secrets/<env>/, that holds one Secret.
// One Secret per file keeps a re-seal of one Secret from touching others.
func FileName(f Format, secret string) string {
	switch f {
	case FormatSealedSecrets:
		return secret + ".sealed.yaml"
	default:
		return secret + ".sops.yaml"
	}
}

// Sections of a Secret whose values are secret. SOPS encrypts exactly
// these (encrypted_regex), Sealed Secrets every one of them.
const (
	sectionData       = "data"
	sectionStringData = "stringData"
)

// NeedKeyError is returned when an update cannot be done without
// decrypting the existing file, and no private key was given.
type NeedKeyError struct {
	File, Secret string
	// Why says what needed the old values.
	Why string
}

func (e *NeedKeyError) Error() string {
	return fmt.Sprintf("%s: %s in %s needs the private key to decrypt the file (or every value, to seal it anew)", e.File, e.Secret, e.Why)
}

// KeysChangedError is returned when the file was sealed for other
// recipients, another certificate or another scope than the sealer's:
// adding to it would mix keys, so the caller must Rotate (SOPS) or seal
// every value anew.
type KeysChangedError struct {
	File, Secret string
	// Was and Now describe the file's keys and the sealer's.
	Was, Now string
}

func (e *KeysChangedError) Error() string {
	return fmt.Sprintf("%s: %s is sealed for %s, not %s; rotate it or seal every value anew", e.File, e.Secret, e.Was, e.Now)
}

// entry is one value of a Secret: the section it sits in and its bytes.
type entry struct {
	section string
	value   []byte
}

// secretRef names a Secret in errors the way kubectl does.
func secretRef(namespace, name string) string {
	if name == "" {
		return "a Secret whose name cannot be read"
	}
	if namespace == "" {
		return "Secret " + name
	}
	return "Secret " + namespace + "/" + name
}

// entriesOf validates a Secret for sealing and returns its values by key.
// Errors name the Secret and key, never a value.
func entriesOf(sec *corev1.Secret) (map[string]entry, error) {
	if sec == nil {
		return nil, errors.New("no Secret given")
	}
	ref := secretRef(sec.Namespace, sec.Name)
	if sec.Name == "" {
		return nil, errors.New("a Secret to seal needs a name")
	}
	if msgs := validation.IsDNS1123Subdomain(sec.Name); len(msgs) > 0 {
		return nil, fmt.Errorf("%s: the name is not a valid Kubernetes name: %s", ref, strings.Join(msgs, "; "))
	}
	if sec.Namespace == "" {
		// The environment's namespace is always known; a Secret without
		// one would land wherever the GitOps engine points it.
		return nil, fmt.Errorf("%s: a Secret to seal needs a namespace", ref)
	}
	out := map[string]entry{}
	for k, v := range sec.Data {
		if err := checkKey(ref, k); err != nil {
			return nil, err
		}
		out[k] = entry{section: sectionData, value: slices.Clone(v)}
	}
	for k, v := range sec.StringData {
		if err := checkKey(ref, k); err != nil {
			return nil, err
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("%s: key %q is in both data and stringData", ref, k)
		}
		if !utf8.ValidString(v) {
			return nil, fmt.Errorf("%s: key %q: the stringData value is not valid UTF-8; give it as data (bytes)", ref, k)
		}
		out[k] = entry{section: sectionStringData, value: []byte(v)}
	}
	return out, nil
}

func checkKey(ref, key string) error {
	if msgs := validation.IsConfigMapKey(key); len(msgs) > 0 {
		return fmt.Errorf("%s: key %q is not a valid Secret key: %s", ref, key, strings.Join(msgs, "; "))
	}
	return nil
}

// sortedKeys returns a map's keys in order, so output never follows map
// iteration.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// equalValue compares two values in constant time with respect to their
// content, so that a comparison does not leak how much of a value matched.
func equalValue(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	var d byte
	for i := range a {
		d |= a[i] ^ b[i]
	}
	return d == 0
}

// UpdateOptions say what an Update may do beyond adding missing keys.
type UpdateOptions struct {
	// Replace names keys whose value is re-sealed from the new values even
	// when the old value cannot be compared (no private key given).
	// With a private key, changed values are replaced anyway.
	Replace []string
	// Prune removes keys that the file holds and the new values do not.
	Prune bool
}

// Result is what Update did.
type Result struct {
	// File is the file's new content: the existing bytes, unchanged, when
	// Changed is false.
	File    []byte
	Changed bool
	// Resealed is true when every entry was written anew (a fresh data
	// key, or every value sealed again), not only the changed ones.
	Resealed bool
	// Added, Replaced and Removed name the keys that changed.
	Added, Replaced, Removed []string
	// Unverified names keys present in both the file and the new values
	// whose values could not be compared because no private key was
	// given; they were kept as they are in the file.
	Unverified []string
}

// plan is the key-level outcome of merging new values into a file's keys.
type plan struct {
	added, replaced, removed, kept, unverified []string
}

func (p plan) changed() bool {
	return len(p.added)+len(p.replaced)+len(p.removed) > 0
}

// planUpdate merges the new values into the file's keys. old holds the
// decrypted old values, or is nil when they cannot be decrypted; then a
// key present on both sides is kept unless opt.Replace names it.
func planUpdate(fileKeys []string, old map[string]entry, next map[string]entry, opt UpdateOptions) plan {
	var p plan
	for _, k := range fileKeys {
		n, inNext := next[k]
		switch {
		case !inNext && opt.Prune:
			p.removed = append(p.removed, k)
		case !inNext:
			p.kept = append(p.kept, k)
		case old == nil && slices.Contains(opt.Replace, k):
			p.replaced = append(p.replaced, k)
		case old == nil:
			p.unverified = append(p.unverified, k)
			p.kept = append(p.kept, k)
		case equalValue(old[k].value, n.value):
			p.kept = append(p.kept, k)
		default:
			p.replaced = append(p.replaced, k)
		}
	}
	for _, k := range sortedKeys(next) {
		if !slices.Contains(fileKeys, k) {
			p.added = append(p.added, k)
		}
	}
	return p
}

func (p plan) result(file []byte, changed bool) Result {
	return Result{
		File: file, Changed: changed,
		Added: p.added, Replaced: p.replaced, Removed: p.removed, Unverified: p.unverified,
	}
}

// metaEqual compares what a Secret carries besides its values.
func metaEqual(a, b *corev1.Secret) bool {
	return a.Name == b.Name && a.Namespace == b.Namespace && secretType(a) == secretType(b) &&
		mapsEqual(a.Labels, b.Labels) && mapsEqual(a.Annotations, b.Annotations) &&
		boolPtrEqual(a.Immutable, b.Immutable)
}

func secretType(s *corev1.Secret) corev1.SecretType {
	if s.Type == "" {
		return corev1.SecretTypeOpaque
	}
	return s.Type
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func boolPtrEqual(a, b *bool) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// NewSecret builds the Secret to seal from values given as text, the way
// Reader returns them: they go to stringData, which the API server turns
// into data.
func NewSecret(name, namespace string, typ corev1.SecretType, values map[string]string) *corev1.Secret {
	s := &corev1.Secret{Type: typ, StringData: map[string]string{}}
	s.Name, s.Namespace = name, namespace
	for k, v := range values {
		s.StringData[k] = v
	}
	return s
}

// normalized is a recipient list as Inspect reports one: trimmed, without
// duplicates, sorted.
func normalized(rs []string) []string {
	var out []string
	for _, r := range rs {
		r = strings.TrimSpace(r)
		if r != "" && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out
}

// errText is an fs error without the path it repeats.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

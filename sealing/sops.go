package sealing

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	sopsage "github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/config"
	yamlstore "github.com/getsops/sops/v3/stores/yaml"
	"github.com/getsops/sops/v3/version"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// EncryptedRegex is the SOPS rule ydpgen seals with: only the values under
// data and stringData are encrypted, so apiVersion, kind, metadata and the
// key names stay readable for review, for Inspect and for Flux.
const EncryptedRegex = `^(data|stringData)$`

// sopsIndent matches the two-space indent of the rest of the rendered tree.
const sopsIndent = 2

// SOPS seals Secrets as SOPS-encrypted YAML for age recipients, the form
// Flux's kustomize-controller decrypts with its sops provider.
type SOPS struct {
	// Recipients are the age public keys (age1…, or ssh-ed25519/ssh-rsa
	// public keys, which age also accepts) every file is encrypted to.
	Recipients []string
	// Identities are age secret keys (AGE-SECRET-KEY-1…). Only Decrypt,
	// Rotate and an Update that replaces values need one; sealing never
	// does.
	Identities []string
	// Now stamps sops.lastmodified; nil means time.Now. Tests fix it.
	Now func() time.Time
}

func (s SOPS) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Second)
	}
	return time.Now().UTC().Truncate(time.Second)
}

// store is the SOPS YAML store: the same code path Flux decrypts with.
func store() *yamlstore.Store {
	return yamlstore.NewStore(&config.YAMLStoreConfig{Indent: sopsIndent})
}

// recipients returns the sealer's recipients trimmed, deduplicated and
// sorted, so that the order they were listed in does not change the file.
func (s SOPS) recipients() ([]string, error) {
	out := normalized(s.Recipients)
	for _, r := range out {
		if _, err := sopsage.MasterKeyFromRecipient(r); err != nil {
			return nil, fmt.Errorf("age recipient %q is not a valid age or SSH public key", r)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no age recipients to seal for")
	}
	return out, nil
}

// Seal encrypts a Secret for the sealer's recipients with a fresh data key.
// Every call gives different bytes: SOPS encryption is randomized, so the
// caller writes the result once and copies it unchanged afterwards, and
// uses Update to change it.
func (s SOPS) Seal(sec *corev1.Secret) ([]byte, error) {
	ents, err := entriesOf(sec)
	if err != nil {
		return nil, err
	}
	return s.seal(sec, ents)
}

func (s SOPS) seal(sec *corev1.Secret, ents map[string]entry) ([]byte, error) {
	ref := secretRef(sec.Namespace, sec.Name)
	recips, err := s.recipients()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	dataKey := make([]byte, 32)
	if _, err := rand.Read(dataKey); err != nil {
		return nil, fmt.Errorf("%s: no random data key: %w", ref, err)
	}
	var group sops.KeyGroup
	for _, r := range recips {
		k, err := sopsage.MasterKeyFromRecipient(r)
		if err != nil {
			return nil, fmt.Errorf("%s: age recipient %q: %w", ref, r, err)
		}
		if err := k.Encrypt(dataKey); err != nil {
			return nil, fmt.Errorf("%s: encrypting the data key for %s: %w", ref, r, err)
		}
		group = append(group, k)
	}
	tree := sops.Tree{
		Branches: sops.TreeBranches{secretBranch(sec, ents)},
		Metadata: sops.Metadata{
			EncryptedRegex: EncryptedRegex,
			Version:        version.Version,
			KeyGroups:      []sops.KeyGroup{group},
		},
	}
	return s.encrypt(ref, &tree, dataKey, aes.NewCipher())
}

// encrypt encrypts the tree's values, stamps lastmodified and the MAC and
// emits the file. A cipher that decrypted the old file reuses each
// unchanged value's IV, so those values keep their exact ciphertext.
func (s SOPS) encrypt(ref string, tree *sops.Tree, dataKey []byte, c aes.Cipher) ([]byte, error) {
	mac, err := tree.Encrypt(dataKey, c)
	if err != nil {
		// sops' message may quote the value; ours does not.
		return nil, fmt.Errorf("%s: encrypting the values failed", ref)
	}
	tree.Metadata.LastModified = s.now()
	tree.Metadata.MessageAuthenticationCode, err = c.Encrypt(mac, dataKey, tree.Metadata.LastModified.Format(time.RFC3339))
	if err != nil {
		return nil, fmt.Errorf("%s: encrypting the MAC failed", ref)
	}
	out, err := store().EmitEncryptedFile(*tree)
	if err != nil {
		return nil, fmt.Errorf("%s: writing the SOPS file: %w", ref, err)
	}
	return out, nil
}

// secretBranch is the Secret as a SOPS tree in the conventional field
// order, maps sorted, so the same Secret always gives the same layout.
func secretBranch(sec *corev1.Secret, ents map[string]entry) sops.TreeBranch {
	meta := sops.TreeBranch{{Key: "name", Value: sec.Name}, {Key: "namespace", Value: sec.Namespace}}
	if len(sec.Labels) > 0 {
		meta = append(meta, sops.TreeItem{Key: "labels", Value: stringBranch(sec.Labels)})
	}
	if len(sec.Annotations) > 0 {
		meta = append(meta, sops.TreeItem{Key: "annotations", Value: stringBranch(sec.Annotations)})
	}
	b := sops.TreeBranch{
		{Key: "apiVersion", Value: "v1"},
		{Key: "kind", Value: "Secret"},
		{Key: "metadata", Value: meta},
		{Key: "type", Value: string(secretType(sec))},
	}
	if sec.Immutable != nil {
		b = append(b, sops.TreeItem{Key: "immutable", Value: *sec.Immutable})
	}
	var data, stringData sops.TreeBranch
	for _, k := range sortedKeys(ents) {
		e := ents[k]
		if e.section == sectionStringData {
			stringData = append(stringData, sops.TreeItem{Key: k, Value: string(e.value)})
		} else {
			data = append(data, sops.TreeItem{Key: k, Value: base64.StdEncoding.EncodeToString(e.value)})
		}
	}
	if len(data) > 0 {
		b = append(b, sops.TreeItem{Key: sectionData, Value: data})
	}
	if len(stringData) > 0 {
		b = append(b, sops.TreeItem{Key: sectionStringData, Value: stringData})
	}
	return b
}

func stringBranch(m map[string]string) sops.TreeBranch {
	var b sops.TreeBranch
	for _, k := range sortedKeys(m) {
		b = append(b, sops.TreeItem{Key: k, Value: m[k]})
	}
	return b
}

// opened is a decrypted SOPS file.
type opened struct {
	tree    sops.Tree
	dataKey []byte
	// cipher decrypted the values and remembers their IVs.
	cipher aes.Cipher
	secret *corev1.Secret
	ents   map[string]entry
}

// Decrypt decrypts a SOPS-encrypted Secret with the sealer's identities
// and checks its MAC. It is for tests and for Update; Flux decrypts in
// the cluster. file names the file in errors.
func (s SOPS) Decrypt(file string, content []byte) (*corev1.Secret, error) {
	o, err := s.open(file, content)
	if err != nil {
		return nil, err
	}
	return o.secret, nil
}

func (s SOPS) open(file string, content []byte) (*opened, error) {
	in, err := Inspect(file, content)
	if err != nil {
		return nil, err
	}
	ref := secretRef(in.Namespace, in.Name)
	if in.Format != FormatSOPS {
		return nil, fmt.Errorf("%s: %s is not SOPS-encrypted (%s)", file, ref, in.Format)
	}
	if keys := in.findingKeys(FindingPlaintext); len(keys) > 0 {
		return nil, fmt.Errorf("%s: %s holds values in clear (keys %s)", file, ref, strings.Join(keys, ", "))
	}
	if len(s.Identities) == 0 {
		return nil, fmt.Errorf("%s: decrypting %s needs an age identity", file, ref)
	}
	tree, err := store().LoadEncryptedFile(content)
	if err != nil {
		return nil, fmt.Errorf("%s: not a SOPS file: %w", file, err)
	}
	if len(tree.Branches) != 1 {
		return nil, fmt.Errorf("%s: holds %d documents; ydpgen keeps one Secret per file", file, len(tree.Branches))
	}
	dataKey, err := s.dataKey(file, ref, tree.Metadata)
	if err != nil {
		return nil, err
	}
	c := aes.NewCipher()
	mac, err := tree.Decrypt(dataKey, c)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: a value does not decrypt with the file's data key (changed by hand?)", file, ref)
	}
	stored, err := c.Decrypt(tree.Metadata.MessageAuthenticationCode, dataKey, tree.Metadata.LastModified.Format(time.RFC3339))
	if err != nil || stored != mac {
		return nil, fmt.Errorf("%s: %s: the MAC does not match the values: the file was changed after it was sealed", file, ref)
	}
	plain, err := store().EmitPlainFile(tree.Branches)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", file, ref, err)
	}
	sec := &corev1.Secret{}
	if err := yaml.Unmarshal(plain, sec); err != nil {
		return nil, fmt.Errorf("%s: %s: the decrypted file is not a Secret", file, ref)
	}
	ents, err := entriesOf(sec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return &opened{tree: tree, dataKey: dataKey, cipher: c, secret: sec, ents: ents}, nil
}

// dataKey decrypts the file's data key with the first identity that is
// one of its age recipients. Only age keys are tried: nothing reaches for
// a cloud KMS or the SOPS_AGE_KEY* variables.
func (s SOPS) dataKey(file, ref string, md sops.Metadata) ([]byte, error) {
	var ids sopsage.ParsedIdentities
	if err := ids.Import(s.Identities...); err != nil {
		// The parse error may quote the key; say only what is wrong.
		return nil, errors.New("an age identity given is not an age secret key (AGE-SECRET-KEY-1…)")
	}
	if len(ids) == 0 {
		// With no identity applied, sops would look in the environment.
		return nil, fmt.Errorf("%s: decrypting %s needs an age identity", file, ref)
	}
	if len(md.KeyGroups) != 1 {
		return nil, fmt.Errorf("%s: %s uses %d key groups (Shamir); ydpgen seals with one group of age recipients", file, ref, len(md.KeyGroups))
	}
	for _, k := range md.KeyGroups[0] {
		ak, ok := k.(*sopsage.MasterKey)
		if !ok {
			continue
		}
		ids.ApplyToMasterKey(ak)
		if dk, err := ak.Decrypt(); err == nil {
			return dk, nil
		}
	}
	return nil, fmt.Errorf("%s: none of the given age identities is a recipient of %s", file, ref)
}

// Update brings an existing SOPS file to the given values and returns the
// existing bytes unchanged when nothing changed, so that sealing again
// with the same inputs leaves git clean.
//
// Keys in sec that the file lacks are added; keys whose value differs are
// replaced; keys the file has and sec lacks are kept unless opt.Prune.
// sec's type, labels and annotations replace the file's.
//
// With an identity, unchanged values keep their exact ciphertext (the data
// key and each value's IV are reused) and only changed entries, the MAC
// and lastmodified change in the file. The MAC covers every value, so
// without an identity the file can change only by sealing it anew from
// complete values: when sec holds every key the file keeps, Update does
// that (Result.Resealed); otherwise it returns a *NeedKeyError. Without an
// identity, keys present on both sides cannot be compared; they are kept
// and listed in Result.Unverified unless opt.Replace names them.
//
// A file sealed for other recipients is sealed anew for the sealer's
// (after decrypting it, with an identity); without an identity and
// without every value that is a *KeysChangedError.
func (s SOPS) Update(file string, content []byte, sec *corev1.Secret, opt UpdateOptions) (Result, error) {
	next, err := entriesOf(sec)
	if err != nil {
		return Result{}, err
	}
	in, err := Inspect(file, content)
	if err != nil {
		return Result{}, err
	}
	ref := secretRef(sec.Namespace, sec.Name)
	if in.Format != FormatSOPS {
		return Result{}, fmt.Errorf("%s: holds a %s Secret, not a SOPS-encrypted one", file, in.Format)
	}
	if in.Name != sec.Name || in.Namespace != sec.Namespace {
		return Result{}, fmt.Errorf("%s: holds %s, not %s", file, secretRef(in.Namespace, in.Name), ref)
	}
	want, err := s.recipients()
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", ref, err)
	}
	sameKeys := slices.Equal(in.Recipients, want) && len(in.OtherKeys) == 0 && in.KeyGroups == 1
	clean := len(in.findingKeys(FindingPlaintext)) == 0 && in.MAC

	if len(s.Identities) == 0 || !clean {
		p := planUpdate(in.Keys, nil, next, opt)
		if sameKeys && clean && !p.changed() && metaEqual(in.secretMeta(), sec) {
			return p.result(content, false), nil
		}
		if !coversAll(next, p) {
			switch {
			case !sameKeys:
				return Result{}, &KeysChangedError{File: file, Secret: ref, Was: in.keyDescription(), Now: "age recipients " + strings.Join(want, ", ")}
			case !clean:
				return Result{}, &NeedKeyError{File: file, Secret: ref, Why: "replacing the values in clear"}
			default:
				return Result{}, &NeedKeyError{File: file, Secret: ref, Why: "changing keys or metadata"}
			}
		}
		return s.reseal(sec, next, p)
	}

	o, err := s.open(file, content)
	if err != nil {
		return Result{}, err
	}
	p := planUpdate(in.Keys, o.ents, next, opt)
	merged := mergeEntries(o.ents, next, p)
	if !sameKeys {
		out, err := s.seal(sec, merged)
		if err != nil {
			return Result{}, err
		}
		r := p.result(out, true)
		r.Resealed = true
		return r, nil
	}
	if !p.changed() && metaEqual(o.secret, sec) {
		return p.result(content, false), nil
	}
	tree := sops.Tree{
		Branches: sops.TreeBranches{secretBranch(sec, merged)},
		Metadata: sops.Metadata{
			EncryptedRegex: EncryptedRegex,
			Version:        version.Version,
			// The loaded group still holds the data key encrypted for
			// each recipient, so those blocks stay as they are.
			KeyGroups: o.tree.Metadata.KeyGroups,
		},
	}
	out, err := s.encrypt(ref, &tree, o.dataKey, o.cipher)
	if err != nil {
		return Result{}, err
	}
	return p.result(out, true), nil
}

// coversAll reports whether the new values hold every key the file keeps,
// so the Secret can be sealed anew without the old values.
func coversAll(next map[string]entry, p plan) bool {
	for _, k := range p.kept {
		if _, ok := next[k]; !ok {
			return false
		}
	}
	return true
}

// reseal seals the Secret anew from complete values.
func (s SOPS) reseal(sec *corev1.Secret, next map[string]entry, p plan) (Result, error) {
	out, err := s.seal(sec, next)
	if err != nil {
		return Result{}, err
	}
	r := p.result(out, true)
	r.Resealed = true
	// Every value present on both sides was written anew from sec.
	r.Replaced = append(r.Replaced, r.Unverified...)
	slices.Sort(r.Replaced)
	r.Unverified = nil
	return r, nil
}

// mergeEntries applies a plan: kept keys keep their old entry (and so
// their ciphertext), added and replaced ones take the new value.
func mergeEntries(old, next map[string]entry, p plan) map[string]entry {
	out := map[string]entry{}
	for _, k := range p.kept {
		out[k] = old[k]
	}
	for _, k := range slices.Concat(p.added, p.replaced) {
		out[k] = next[k]
	}
	return out
}

// Rotate decrypts the file with the sealer's identities and seals it anew
// for the sealer's recipients with a fresh data key: every entry changes.
// Use it to add or remove a recipient, or after an identity leaked.
func (s SOPS) Rotate(file string, content []byte) ([]byte, error) {
	o, err := s.open(file, content)
	if err != nil {
		return nil, err
	}
	return s.seal(o.secret, o.ents)
}

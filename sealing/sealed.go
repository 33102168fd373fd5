package sealing

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// SealedWithAnnotation records on a SealedSecret which certificate sealed
// its values ("sha256:" and the hex SHA-256 of the certificate's DER, what
// `openssl x509 -noout -fingerprint -sha256` prints, without colons), so
// that a render can tell, without any key, whether the file matches the
// environment's certificate.
const SealedWithAnnotation = "ydpgen.dev/sealed-with"

// The Sealed Secrets controller's scope annotations.
const (
	clusterWideAnnotation   = "sealedsecrets.bitnami.com/cluster-wide"
	namespaceWideAnnotation = "sealedsecrets.bitnami.com/namespace-wide"
)

// Scope is a SealedSecret's sealing scope: what the value is bound to.
type Scope string

const (
	// ScopeStrict binds a value to the Secret's namespace and name.
	ScopeStrict Scope = "strict"
	// ScopeNamespaceWide binds it to the namespace only.
	ScopeNamespaceWide Scope = "namespace-wide"
	// ScopeClusterWide lets it be unsealed under any name anywhere.
	ScopeClusterWide Scope = "cluster-wide"
)

// label is the RSA-OAEP label the controller checks when it unseals: it
// binds the ciphertext to the scope.
func (s Scope) label(namespace, name string) []byte {
	switch s {
	case ScopeClusterWide:
		return nil
	case ScopeNamespaceWide:
		return []byte(namespace)
	default:
		return []byte(namespace + "/" + name)
	}
}

func (s Scope) annotations() map[string]string {
	switch s {
	case ScopeClusterWide:
		return map[string]string{clusterWideAnnotation: "true"}
	case ScopeNamespaceWide:
		return map[string]string{namespaceWideAnnotation: "true"}
	default:
		return nil
	}
}

func (s Scope) valid() (Scope, error) {
	switch s {
	case "":
		return ScopeStrict, nil
	case ScopeStrict, ScopeNamespaceWide, ScopeClusterWide:
		return s, nil
	default:
		return "", fmt.Errorf("sealing scope %q is not one of strict, namespace-wide, cluster-wide", string(s))
	}
}

// scopeOf reads the scope the way the controller does: cluster-wide wins
// over namespace-wide, and no annotation means strict.
func scopeOf(annotations map[string]string) Scope {
	switch {
	case annotations[clusterWideAnnotation] == "true":
		return ScopeClusterWide
	case annotations[namespaceWideAnnotation] == "true":
		return ScopeNamespaceWide
	default:
		return ScopeStrict
	}
}

func withoutScope(a map[string]string) map[string]string {
	if a == nil {
		return nil
	}
	out := maps.Clone(a)
	delete(out, clusterWideAnnotation)
	delete(out, namespaceWideAnnotation)
	if len(out) == 0 {
		return nil
	}
	return out
}

// Certificate is the Sealed Secrets controller's public certificate, as
// `kubeseal --fetch-cert` prints it.
type Certificate struct {
	// Fingerprint is "sha256:" and the hex SHA-256 of the DER.
	Fingerprint string
	Subject     string
	NotAfter    time.Time
	key         *rsa.PublicKey
}

// ParseCertificate reads the first PEM certificate in pemBytes; it must
// hold an RSA public key. file names the file in errors. Sealing is
// offline: nothing contacts the controller.
func ParseCertificate(file string, pemBytes []byte) (*Certificate, error) {
	rest := pemBytes
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, fmt.Errorf("%s: no PEM CERTIFICATE block (fetch it with kubeseal --fetch-cert)", file)
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: the certificate cannot be parsed: %v", file, err)
		}
		pub, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%s: the certificate's key is %T, not the RSA key Sealed Secrets uses", file, cert.PublicKey)
		}
		sum := sha256.Sum256(cert.Raw)
		return &Certificate{
			Fingerprint: "sha256:" + hex.EncodeToString(sum[:]),
			Subject:     cert.Subject.String(),
			NotAfter:    cert.NotAfter,
			key:         pub,
		}, nil
	}
}

// ParsePrivateKeys reads the RSA private keys (PKCS#1 or PKCS#8 PEM
// blocks) of a backup of the controller's sealing keys. Sealing never
// needs them; Update uses them to compare values instead of keeping them
// unverified. file names the file in errors.
func ParsePrivateKeys(file string, pemBytes []byte) ([]*rsa.PrivateKey, error) {
	var out []*rsa.PrivateKey
	rest := pemBytes
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		switch block.Type {
		case "RSA PRIVATE KEY":
			k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%s: an RSA PRIVATE KEY block cannot be parsed", file)
			}
			out = append(out, k)
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			rk, ok := k.(*rsa.PrivateKey)
			if err != nil || !ok {
				return nil, fmt.Errorf("%s: a PRIVATE KEY block is not an RSA key", file)
			}
			out = append(out, rk)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no RSA private key in PEM form", file)
	}
	return out, nil
}

// SealedSecrets seals Secrets as SealedSecrets for one controller
// certificate, offline.
type SealedSecrets struct {
	Certificate *Certificate
	// Scope is the sealing scope; empty means strict.
	Scope Scope
	// PrivateKeys are optional: with them Update compares values and
	// re-seals only the changed ones; without them it cannot tell.
	PrivateKeys []*rsa.PrivateKey
}

// The SealedSecret object, as local types: ydpgen does not depend on the
// Sealed Secrets module (see hybrid.go). The tests in sealing/upstreamtest
// decode these files with the upstream types and unseal them with the
// upstream code.
type sealedSecret struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   objectMeta `json:"metadata"`
	Spec       sealedSpec `json:"spec"`
}

type objectMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type sealedSpec struct {
	EncryptedData map[string]string `json:"encryptedData"`
	Template      sealedTemplate    `json:"template"`
}

type sealedTemplate struct {
	Metadata  objectMeta        `json:"metadata"`
	Type      corev1.SecretType `json:"type,omitempty"`
	Immutable *bool             `json:"immutable,omitempty"`
}

func (s SealedSecrets) check() (Scope, error) {
	if s.Certificate == nil || s.Certificate.key == nil {
		return "", errors.New("no Sealed Secrets certificate to seal with")
	}
	return s.Scope.valid()
}

// object is the SealedSecret for sec with no values yet. The scope
// annotations go on the object, where the controller reads them to pick
// the label, and on the template, as kubeseal puts them.
func (s SealedSecrets) object(sec *corev1.Secret, scope Scope) *sealedSecret {
	// The Secret's own annotations go on the object too: a GitOps engine
	// reads them there (Argo CD's sync wave), not in the template.
	ann := map[string]string{}
	maps.Copy(ann, withoutScope(sec.Annotations))
	ann[SealedWithAnnotation] = s.Certificate.Fingerprint
	maps.Copy(ann, scope.annotations())
	tmplAnn := withoutScope(sec.Annotations)
	if sa := scope.annotations(); sa != nil {
		if tmplAnn == nil {
			tmplAnn = map[string]string{}
		}
		maps.Copy(tmplAnn, sa)
	}
	return &sealedSecret{
		APIVersion: "bitnami.com/v1alpha1",
		Kind:       "SealedSecret",
		Metadata: objectMeta{
			Name: sec.Name, Namespace: sec.Namespace,
			Labels: sec.Labels, Annotations: ann,
		},
		Spec: sealedSpec{
			EncryptedData: map[string]string{},
			Template: sealedTemplate{
				Metadata: objectMeta{
					Name: sec.Name, Namespace: sec.Namespace,
					Labels: sec.Labels, Annotations: tmplAnn,
				},
				Type:      secretType(sec),
				Immutable: sec.Immutable,
			},
		},
	}
}

// sealValue encrypts one value the way kubeseal does (hybridSeal): a
// random AES-256-GCM session key wrapped with RSA-OAEP (SHA-256) under
// the scope's label.
func (s SealedSecrets) sealValue(sec *corev1.Secret, scope Scope, v []byte) (string, error) {
	ct, err := hybridSeal(rand.Reader, s.Certificate.key, v, scope.label(sec.Namespace, sec.Name))
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(ct), nil
}

// Seal seals every value of sec into a new SealedSecret. Like SOPS it is
// randomized: write the result once and use Update afterwards.
func (s SealedSecrets) Seal(sec *corev1.Secret) ([]byte, error) {
	ents, err := entriesOf(sec)
	if err != nil {
		return nil, err
	}
	return s.seal(sec, ents, nil)
}

// seal builds the file; values in keep (base64 ciphertexts from the old
// file) are copied as they are, the rest are sealed.
func (s SealedSecrets) seal(sec *corev1.Secret, ents map[string]entry, keep map[string]string) ([]byte, error) {
	ref := secretRef(sec.Namespace, sec.Name)
	scope, err := s.check()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	obj := s.object(sec, scope)
	for _, k := range sortedKeys(ents) {
		if ct, ok := keep[k]; ok {
			obj.Spec.EncryptedData[k] = ct
			continue
		}
		ct, err := s.sealValue(sec, scope, ents[k].value)
		if err != nil {
			return nil, fmt.Errorf("%s: sealing key %q failed: %v", ref, k, err)
		}
		obj.Spec.EncryptedData[k] = ct
	}
	out, err := yaml.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	return out, nil
}

// Update brings an existing SealedSecret to the given values and returns
// the existing bytes unchanged when nothing changed.
//
// Keys the file lacks are sealed and added; keys the file has and sec
// lacks are kept unless opt.Prune. Sealed values cannot be read without
// the controller's private key, so with no PrivateKeys a key on both
// sides is kept as it is and listed in Result.Unverified, unless
// opt.Replace names it; with PrivateKeys a changed value is re-sealed.
// Every other entry keeps its exact ciphertext. sec's type, labels and
// annotations replace the template's.
//
// A file sealed with another certificate or scope is sealed anew when sec
// holds every key the file keeps, and is a *KeysChangedError otherwise.
func (s SealedSecrets) Update(file string, content []byte, sec *corev1.Secret, opt UpdateOptions) (Result, error) {
	next, err := entriesOf(sec)
	if err != nil {
		return Result{}, err
	}
	ref := secretRef(sec.Namespace, sec.Name)
	scope, err := s.check()
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", ref, err)
	}
	in, err := Inspect(file, content)
	if err != nil {
		return Result{}, err
	}
	if in.Format != FormatSealedSecrets {
		return Result{}, fmt.Errorf("%s: holds a %s Secret, not a SealedSecret", file, in.Format)
	}
	if in.Name != sec.Name || in.Namespace != sec.Namespace {
		return Result{}, fmt.Errorf("%s: holds %s, not %s", file, secretRef(in.Namespace, in.Name), ref)
	}
	var old sealedSecret
	if err := yaml.Unmarshal(content, &old); err != nil {
		return Result{}, fmt.Errorf("%s: %s: not a SealedSecret ydpgen can read: %v", file, ref, err)
	}
	sameKeys := in.SealedWith == s.Certificate.Fingerprint && in.Scope == scope
	clean := len(in.findingKeys(FindingPlaintext)) == 0 && len(in.findingKeys(FindingUnreadable)) == 0

	var oldValues map[string]entry
	if len(s.PrivateKeys) > 0 && sameKeys && clean {
		oldValues, err = s.unseal(file, ref, &old, scope)
		if err != nil {
			return Result{}, err
		}
	}
	p := planUpdate(in.Keys, oldValues, next, opt)
	if !sameKeys || !clean {
		if !coversAll(next, p) {
			if !sameKeys {
				return Result{}, &KeysChangedError{File: file, Secret: ref,
					Was: fmt.Sprintf("certificate %s, scope %s", orUnknown(in.SealedWith), in.Scope),
					Now: fmt.Sprintf("certificate %s, scope %s", s.Certificate.Fingerprint, scope)}
			}
			return Result{}, &NeedKeyError{File: file, Secret: ref, Why: "replacing values that are not sealed"}
		}
		out, err := s.seal(sec, next, nil)
		if err != nil {
			return Result{}, err
		}
		r := p.result(out, true)
		r.Resealed = true
		r.Replaced = append(r.Replaced, r.Unverified...)
		slices.Sort(r.Replaced)
		r.Unverified = nil
		return r, nil
	}
	want := *sec
	want.Annotations = withoutScope(sec.Annotations)
	if !p.changed() && metaEqual(in.secretMeta(), &want) {
		return p.result(content, false), nil
	}
	keep := map[string]string{}
	for _, k := range p.kept {
		keep[k] = old.Spec.EncryptedData[k]
	}
	// Kept keys need an entry to be listed; their value is not used.
	ents := mergeEntries(placeholders(p.kept), next, p)
	out, err := s.seal(sec, ents, keep)
	if err != nil {
		return Result{}, err
	}
	return p.result(out, true), nil
}

func placeholders(keys []string) map[string]entry {
	out := map[string]entry{}
	for _, k := range keys {
		out[k] = entry{}
	}
	return out
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown (no " + SealedWithAnnotation + " annotation)"
	}
	return s
}

// unseal decrypts the old values with the given private keys, as the
// controller would (hybridOpen).
func (s SealedSecrets) unseal(file, ref string, old *sealedSecret, scope Scope) (map[string]entry, error) {
	label := scope.label(old.Metadata.Namespace, old.Metadata.Name)
	out := map[string]entry{}
	for _, k := range sortedKeys(old.Spec.EncryptedData) {
		ct, err := base64.StdEncoding.DecodeString(old.Spec.EncryptedData[k])
		if err != nil {
			return nil, fmt.Errorf("%s: %s key %q is not base64", file, ref, k)
		}
		v, err := hybridOpen(s.PrivateKeys, ct, label)
		if err != nil {
			return nil, fmt.Errorf("%s: %s key %q does not unseal with the given private keys", file, ref, k)
		}
		out[k] = entry{section: sectionData, value: v}
	}
	return out, nil
}

// rawSealedSpec is the spec of a SealedSecret as Inspect reads it.
type rawSealedSpec struct {
	EncryptedData map[string]any `json:"encryptedData"`
	Data          any            `json:"data"`
	Template      struct {
		Metadata  rawMeta        `json:"metadata"`
		Type      any            `json:"type"`
		Immutable any            `json:"immutable"`
		Data      map[string]any `json:"data"`
	} `json:"template"`
}

func inspectSealed(in *Inspection, raw *rawObject) {
	in.Format = FormatSealedSecrets
	readMeta(in, raw.Metadata)
	in.Scope = scopeOf(in.Annotations)
	in.SealedWith = strings.TrimSpace(in.Annotations[SealedWithAnnotation])
	spec := raw.Spec
	if spec == nil {
		in.add(FindingUnreadable, "", "the SealedSecret has no spec")
		return
	}
	readType(in, spec.Template.Type, spec.Template.Immutable)
	// The Secret takes the template's labels and annotations.
	in.Labels = spec.Template.Metadata.Labels
	in.Annotations = withoutScope(spec.Template.Metadata.Annotations)
	if spec.Data != nil {
		in.add(FindingUnreadable, "", "spec.data is the deprecated single-blob form; its keys cannot be read without the controller's key")
	}
	for _, k := range sortedKeys(spec.EncryptedData) {
		s, _ := spec.EncryptedData[k].(string)
		if !looksSealed(s) {
			in.add(FindingPlaintext, k, fmt.Sprintf("spec.encryptedData.%s is not a sealed value", k))
		}
	}
	in.Keys = sortedKeys(spec.EncryptedData)
	for _, k := range sortedKeys(spec.Template.Data) {
		if spec.Template.Data[k] != nil {
			in.add(FindingPlaintext, k, fmt.Sprintf("spec.template.data.%s is in clear text (a template the controller renders unencrypted)", k))
		}
	}
}

// looksSealed checks the hybrid ciphertext's framing: base64 of a 2-byte
// length, an RSA ciphertext of that length (at least 1024 bits) and an
// AES-GCM ciphertext with at least its 16-byte tag.
func looksSealed(s string) bool {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) < 2 {
		return false
	}
	n := int(binary.BigEndian.Uint16(b))
	return n >= 128 && len(b) >= 2+n+16
}

package sealing

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Inspection is what a sealed file shows without any private key.
type Inspection struct {
	// File is the name the caller gave, used in findings.
	File   string
	Format Format
	// Name and Namespace are the Secret's (for a SealedSecret, the
	// SealedSecret's, which the Secret it unseals to takes).
	Name, Namespace string
	Type            corev1.SecretType
	Labels          map[string]string
	Annotations     map[string]string
	Immutable       *bool
	// Keys are the Secret's key names, sorted: data and stringData for a
	// Secret, spec.encryptedData for a SealedSecret.
	Keys []string

	// Recipients are the age recipients of a SOPS file, sorted.
	Recipients []string
	// OtherKeys names master keys of other kinds in a SOPS file (pgp,
	// kms, gcp_kms, azure_kv, hc_vault, hckms), which ydpgen does not use.
	OtherKeys []string
	// KeyGroups is the number of SOPS key groups (more than one: Shamir).
	KeyGroups int
	// MAC says whether the SOPS file carries an encrypted MAC.
	MAC          bool
	LastModified time.Time
	// SOPSVersion is the version of SOPS that wrote the file.
	SOPSVersion string
	// EncryptedRegex is the file's sops.encrypted_regex.
	EncryptedRegex string

	// Scope is a SealedSecret's sealing scope.
	Scope Scope
	// SealedWith is the fingerprint in the SealedWithAnnotation: which
	// certificate sealed the values ("" when the annotation is missing).
	SealedWith string

	// Findings are problems visible without a key: values in clear, no
	// MAC, metadata that cannot be read.
	Findings []Finding
}

func (in *Inspection) add(kind FindingKind, key, msg string) {
	in.Findings = append(in.Findings, Finding{
		Kind: kind, Severity: kind.severity(), Secret: in.Name, Key: key, File: in.File, Message: msg,
	})
}

// findingKeys returns the keys of the findings of one kind.
func (in *Inspection) findingKeys(kind FindingKind) []string {
	var out []string
	for _, f := range in.Findings {
		if f.Kind == kind {
			out = append(out, f.Key)
		}
	}
	return out
}

// secretMeta is the Secret's metadata as the file shows it in clear.
func (in *Inspection) secretMeta() *corev1.Secret {
	s := &corev1.Secret{Type: in.Type, Immutable: in.Immutable}
	s.Name, s.Namespace, s.Labels, s.Annotations = in.Name, in.Namespace, in.Labels, in.Annotations
	return s
}

// keyDescription says in words what the file was sealed for.
func (in *Inspection) keyDescription() string {
	var parts []string
	if len(in.Recipients) > 0 {
		parts = append(parts, "age recipients "+strings.Join(in.Recipients, ", "))
	}
	if len(in.OtherKeys) > 0 {
		parts = append(parts, "other keys ("+strings.Join(in.OtherKeys, ", ")+")")
	}
	if in.KeyGroups > 1 {
		parts = append(parts, fmt.Sprintf("%d key groups", in.KeyGroups))
	}
	if len(parts) == 0 {
		return "no age recipient"
	}
	return strings.Join(parts, " and ")
}

// rawObject is the part of a Secret, SOPS file or SealedSecret that
// Inspect reads. Values are decoded loosely (any) so that a value of the
// wrong type is a finding, not a parse error.
type rawObject struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   rawMeta        `json:"metadata"`
	Type       any            `json:"type"`
	Immutable  any            `json:"immutable"`
	Data       map[string]any `json:"data"`
	StringData map[string]any `json:"stringData"`
	Spec       *rawSealedSpec `json:"spec"`
	SOPS       *rawSOPS       `json:"sops"`
}

type rawMeta struct {
	Name        any               `json:"name"`
	Namespace   any               `json:"namespace"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// rawSOPS is the sops metadata block as the YAML store writes it; with
// more than one key group the keys sit under key_groups.
type rawSOPS struct {
	rawKeys
	KeyGroups               []rawKeys `json:"key_groups"`
	LastModified            any       `json:"lastmodified"`
	MAC                     any       `json:"mac"`
	Version                 any       `json:"version"`
	EncryptedRegex          string    `json:"encrypted_regex"`
	UnencryptedRegex        string    `json:"unencrypted_regex"`
	EncryptedSuffix         string    `json:"encrypted_suffix"`
	UnencryptedSuffix       string    `json:"unencrypted_suffix"`
	EncryptedCommentRegex   string    `json:"encrypted_comment_regex"`
	UnencryptedCommentRegex string    `json:"unencrypted_comment_regex"`
	MACOnlyEncrypted        bool      `json:"mac_only_encrypted"`
}

type rawKeys struct {
	Age []struct {
		Recipient string `json:"recipient"`
		Enc       string `json:"enc"`
	} `json:"age"`
	PGP     []json.RawMessage `json:"pgp"`
	KMS     []json.RawMessage `json:"kms"`
	GCPKMS  []json.RawMessage `json:"gcp_kms"`
	AzureKV []json.RawMessage `json:"azure_kv"`
	HCVault []json.RawMessage `json:"hc_vault"`
	HCKMS   []json.RawMessage `json:"hckms"`
}

func (k rawKeys) empty() bool {
	return len(k.Age)+len(k.PGP)+len(k.KMS)+len(k.GCPKMS)+len(k.AzureKV)+len(k.HCVault)+len(k.HCKMS) == 0
}

// encPattern is the form of a SOPS-encrypted value.
const encPattern = `^ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]+,tag:[A-Za-z0-9+/=]+,type:[a-z]+\]$`

// Inspect reads a sealed file without any private key: which Secret it
// holds, its key names, what it was sealed for, and the problems visible
// in clear. It returns an error only when the file is not one YAML
// document holding a Secret or SealedSecret; problems inside such a file
// are Findings. Errors and findings never quote a value.
func Inspect(file string, content []byte) (*Inspection, error) {
	doc, err := singleDocument(file, content)
	if err != nil {
		return nil, err
	}
	var raw rawObject
	if err := yaml.Unmarshal(doc, &raw); err != nil {
		// The YAML error names a line and a type, not the content.
		return nil, fmt.Errorf("%s: not a Kubernetes object ydpgen can read: %v", file, err)
	}
	in := &Inspection{File: file}
	encRe := regexp.MustCompile(encPattern)
	switch {
	case raw.Kind == "Secret" && raw.APIVersion == "v1":
		inspectSecret(in, &raw, encRe)
	case raw.Kind == "SealedSecret" && strings.HasPrefix(raw.APIVersion, "bitnami.com/"):
		inspectSealed(in, &raw)
	default:
		return nil, fmt.Errorf("%s: holds a %s %q, not a v1 Secret or a bitnami.com SealedSecret", file, orNone(raw.Kind), raw.APIVersion)
	}
	slices.SortFunc(in.Findings, compareFindings)
	return in, nil
}

func orNone(s string) string {
	if s == "" {
		return "document without kind"
	}
	return s
}

// singleDocument returns the file's only YAML document. One Secret per
// file keeps sealing one Secret from touching the files of others.
func singleDocument(file string, content []byte) ([]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(content)))
	var docs [][]byte
	for {
		d, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: cannot split into YAML documents: %v", file, err)
		}
		if len(bytes.TrimSpace(stripComments(d))) > 0 {
			docs = append(docs, d)
		}
	}
	switch len(docs) {
	case 0:
		return nil, fmt.Errorf("%s: is empty", file)
	case 1:
		return docs[0], nil
	default:
		return nil, fmt.Errorf("%s: holds %d YAML documents; ydpgen keeps one Secret per file", file, len(docs))
	}
}

// stripComments drops whole-line comments and document markers, to tell
// an empty document from one with content.
func stripComments(d []byte) []byte {
	var out []byte
	for line := range bytes.Lines(d) {
		t := bytes.TrimSpace(line)
		if len(t) == 0 || t[0] == '#' || bytes.Equal(t, []byte("---")) {
			continue
		}
		out = append(out, line...)
	}
	return out
}

// readMeta fills the names and metadata, reporting a name that is not
// plain text (SOPS run with its default rules encrypts metadata too).
func readMeta(in *Inspection, m rawMeta) {
	name, nameOK := m.Name.(string)
	ns, nsOK := m.Namespace.(string)
	if m.Namespace == nil {
		nsOK = true
	}
	enc := strings.HasPrefix(name, "ENC[") || strings.HasPrefix(ns, "ENC[")
	if !nameOK || !nsOK || enc {
		in.Name, in.Namespace = "", ""
		in.add(FindingUnreadable, "", "metadata.name or metadata.namespace is not plain text (encrypted or not a string); ydpgen seals with encrypted_regex "+EncryptedRegex+" so that names stay readable")
		return
	}
	in.Name, in.Namespace = name, ns
	in.Labels, in.Annotations = m.Labels, m.Annotations
	if name == "" {
		in.add(FindingUnreadable, "", "metadata.name is empty")
	}
}

func readType(in *Inspection, t any, imm any) {
	switch t := t.(type) {
	case nil:
		in.Type = corev1.SecretTypeOpaque
	case string:
		in.Type = corev1.SecretType(t)
	default:
		in.add(FindingUnreadable, "", "type is not a string")
	}
	switch b := imm.(type) {
	case nil:
	case bool:
		in.Immutable = &b
	default:
		in.add(FindingUnreadable, "", "immutable is not a boolean")
	}
}

func inspectSecret(in *Inspection, raw *rawObject, encRe *regexp.Regexp) {
	readMeta(in, raw.Metadata)
	readType(in, raw.Type, raw.Immutable)
	if raw.SOPS == nil {
		in.Format = FormatPlain
	} else {
		in.Format = FormatSOPS
		inspectSOPSMetadata(in, raw.SOPS, encRe)
	}
	seen := map[string]bool{}
	for _, section := range []struct {
		name   string
		values map[string]any
	}{{sectionData, raw.Data}, {sectionStringData, raw.StringData}} {
		for _, k := range sortedKeys(section.values) {
			if seen[k] {
				in.add(FindingUnreadable, k, fmt.Sprintf("key %q is in both data and stringData", k))
			}
			seen[k] = true
			v := section.values[k]
			s, isString := v.(string)
			switch {
			case v == nil || (isString && s == ""):
				// Empty: nothing to hide, and SOPS leaves "" as it is.
			case isString && encRe.MatchString(s):
			default:
				in.add(FindingPlaintext, k, fmt.Sprintf("%s.%s is in clear text", section.name, k))
			}
		}
	}
	in.Keys = sortedKeys(seen)
}

func inspectSOPSMetadata(in *Inspection, m *rawSOPS, encRe *regexp.Regexp) {
	groups := m.KeyGroups
	if !m.rawKeys.empty() {
		groups = append([]rawKeys{m.rawKeys}, groups...)
	}
	in.KeyGroups = len(groups)
	other := map[string]bool{}
	for _, g := range groups {
		for _, a := range g.Age {
			r := strings.TrimSpace(a.Recipient)
			if r != "" && !slices.Contains(in.Recipients, r) {
				in.Recipients = append(in.Recipients, r)
			}
		}
		for name, n := range map[string]int{"pgp": len(g.PGP), "kms": len(g.KMS), "gcp_kms": len(g.GCPKMS),
			"azure_kv": len(g.AzureKV), "hc_vault": len(g.HCVault), "hckms": len(g.HCKMS)} {
			if n > 0 {
				other[name] = true
			}
		}
	}
	slices.Sort(in.Recipients)
	in.OtherKeys = sortedKeys(other)
	in.EncryptedRegex = m.EncryptedRegex
	if v, ok := m.Version.(string); ok {
		in.SOPSVersion = v
	}
	mac, _ := m.MAC.(string)
	in.MAC = encRe.MatchString(mac)
	if !in.MAC {
		in.add(FindingMissingMAC, "", "the SOPS file has no encrypted MAC, so changes to it cannot be detected")
	}
	if lm, ok := m.LastModified.(string); ok {
		if t, err := time.Parse(time.RFC3339, lm); err == nil {
			in.LastModified = t
		}
	}
	if in.LastModified.IsZero() {
		in.add(FindingUnreadable, "", "sops.lastmodified is missing or not an RFC 3339 time")
	}
	if in.KeyGroups == 0 {
		in.add(FindingUnreadable, "", "the SOPS file names no key to decrypt it with")
	}
}

package sealedfiles

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/ydpgen/ydpgen/credentials"
	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/kube/labels"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
	"github.com/ydpgen/ydpgen/passes/stages"
	"github.com/ydpgen/ydpgen/passes/syncpolicy"
	"github.com/ydpgen/ydpgen/sealing"
)

// OverlayDir is where, inside an environment's overlay, render puts the
// copies of its encrypted files.
const OverlayDir = "sealed"

// Component is the component label of the sealed Secrets, the one the
// other providers' Secrets carry.
const Component = "credentials"

// Format is the sealing format of the environment's provider.
func Format(env *model.Environment) sealing.Format {
	if env.Secrets.Provider == model.ProviderSealedSecrets {
		return sealing.FormatSealedSecrets
	}
	return sealing.FormatSOPS
}

// Needed are the Secrets of list that live in the environment's sealed
// files: all of them except those something in the cluster writes
// (cert-manager's certificates).
func Needed(list []credentials.Secret) []credentials.Secret {
	var out []credentials.Secret
	for _, s := range list {
		if s.IssuedBy == "" {
			out = append(out, s)
		}
	}
	return out
}

// Expect is what the environment's directory must hold. cert is the
// controller certificate (provider sealed-secrets), nil for sops.
func Expect(env *model.Environment, list []credentials.Secret, cert *sealing.Certificate) sealing.Expectation {
	exp := sealing.Expectation{Env: env.Name, Format: Format(env)}
	for _, s := range Needed(list) {
		exp.Secrets = append(exp.Secrets, sealing.ExpectedSecret{
			Name: s.Name, Namespace: env.Namespace.Name, Required: s.Layout.KeyNames()})
	}
	switch env.Secrets.Provider {
	case model.ProviderSOPS:
		exp.Recipients = slices.Clone(env.Secrets.SOPS.AgeRecipients)
	case model.ProviderSealedSecrets:
		if cert != nil {
			exp.Certificate = cert.Fingerprint
		}
		exp.Scope = sealing.Scope(env.Secrets.SealedSecrets.Scope)
	}
	return exp
}

// Metadata is the labels and annotations a sealed Secret of the
// environment carries: the ones render gives every Secret (the common
// labels, the secrets stage, the engine's labels and annotations). They
// are sealed into the file, so that the file is applied in the secrets
// stage as it is; a SOPS file's MAC covers them, so nothing may change
// them on the way to the cluster.
func Metadata(env *model.Environment, name string) (map[string]string, map[string]string, error) {
	sec := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: env.Namespace.Name, Labels: labels.For(env, name, Component)},
	}
	e, err := objset.NewEntry(sec)
	if err != nil {
		return nil, nil, err
	}
	entries := stages.LabelAll([]objset.Entry{e})
	syncpolicy.Annotate(env, entries)
	md, _ := entries[0].Content["metadata"].(map[string]any)
	return stringMap(md["labels"]), stringMap(md["annotations"]), nil
}

func stringMap(v any) map[string]string {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return nil
	}
	out := map[string]string{}
	for k, x := range m {
		if s, ok := x.(string); ok {
			out[k] = s
		}
	}
	return out
}

// SealCommand is the command that seals the environment's Secrets.
func SealCommand(env string) string { return "ydpgen secrets seal --env " + env }

// Certificate reads the controller certificate the environment names.
// A file that is missing or does not parse is a finding at the spec's
// certificate value.
func Certificate(env *model.Environment, specDir fs.FS) (*sealing.Certificate, diag.List) {
	p := env.Secrets.SealedSecrets.Certificate
	at := func(msg, fix string) diag.List {
		o, _ := env.Origins.Place(env.Name, "secrets.sealedSecrets.certificate")
		return diag.List{{Severity: diag.Error, File: o.File, Line: o.Line, Col: o.Col, Path: o.Path,
			Message: msg, Allowed: "a PEM certificate with an RSA public key, as kubeseal --fetch-cert prints it, at a path relative to the spec's directory", Fix: fix}}
	}
	b, err := fs.ReadFile(specDir, p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, at(fmt.Sprintf("environment %s: certificate file %s does not exist", env.Name, p),
			"save it with kubeseal --fetch-cert > "+p+" (next to the spec)")
	}
	if err != nil {
		return nil, at(fmt.Sprintf("environment %s: certificate file %s cannot be read: %v", env.Name, p, pathErr(err)), "")
	}
	cert, err := sealing.ParseCertificate(p, b)
	if err != nil {
		return nil, at(fmt.Sprintf("environment %s: certificate file %s does not parse: %s", env.Name, p, strings.TrimPrefix(err.Error(), p+": ")),
			"fetch it again with kubeseal --fetch-cert > "+p)
	}
	return cert, nil
}

func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Collected is what render takes from an environment's sealed files.
type Collected struct {
	// Files are the encrypted files, byte for byte, at their overlay
	// paths, each with the object it holds.
	Files []objset.File
	// Findings are the verification's, placed in the spec: errors stop
	// the render, warnings (a key or Secret nothing reads) travel with it.
	Findings diag.List
}

// Collect verifies the environment's sealed files without decrypting
// them and returns them for the overlay. specDir is the spec's
// directory. Only an unreadable directory is an error; everything wrong
// with the files is a finding.
func Collect(env *model.Environment, specDir fs.FS) (Collected, error) {
	if !env.Secrets.Sealed() {
		return Collected{}, nil
	}
	if specDir == nil {
		return Collected{}, fmt.Errorf("environment %s: secrets provider %s: the spec's directory is needed to read %s", env.Name, env.Secrets.Provider, env.Secrets.Directory)
	}
	var cert *sealing.Certificate
	if env.Secrets.Provider == model.ProviderSealedSecrets {
		var findings diag.List
		if cert, findings = Certificate(env, specDir); findings != nil {
			return Collected{Findings: findings}, nil
		}
	}
	list, err := credentials.List(env)
	if err != nil {
		return Collected{}, err
	}
	dir := env.Secrets.Directory
	found, err := sealing.Verify(specDir, dir, Expect(env, list, cert))
	if err != nil {
		return Collected{}, err
	}
	var out Collected
	o, _ := env.Origins.Place(env.Name, model.EnvironmentNamePath)
	if exp := Expect(env, list, cert); len(exp.Secrets) > 0 && allMissing(found, len(exp.Secrets)) {
		// Nothing sealed yet: one finding, not one per Secret.
		out.Findings = diag.List{{Severity: diag.Error, File: o.File, Line: o.Line, Col: o.Col, Path: o.Path,
			Message: fmt.Sprintf("environment %s: none of its %d Secrets is sealed in %s [missing-secret]", env.Name, len(exp.Secrets), dir),
			Allowed: "every Secret the environment needs, encrypted into " + dir + " next to the spec",
			Fix:     "run " + SealCommand(env.Name)}}
		return out, nil
	}
	for _, f := range found {
		sev := diag.Error
		if f.Severity == sealing.SeverityWarning {
			sev = diag.Warning
		}
		out.Findings = append(out.Findings, diag.Finding{Severity: sev, File: o.File, Line: o.Line, Col: o.Col, Path: o.Path,
			Message: "environment " + env.Name + ": " + describe(f),
			Allowed: "every Secret the environment needs, with exactly its keys, encrypted for the spec's age recipients or sealed with its certificate",
			Fix:     "run " + SealCommand(env.Name)})
	}
	if out.Findings.HasErrors() {
		return out, nil
	}
	names, err := sealing.FileNames(specDir, dir)
	if err != nil {
		return Collected{}, fmt.Errorf("%s: %v", dir, pathErr(err))
	}
	for _, n := range names {
		b, err := fs.ReadFile(specDir, path.Join(dir, n))
		if err != nil {
			return Collected{}, fmt.Errorf("environment %s: %s: %v", env.Name, path.Join(dir, n), pathErr(err))
		}
		e, err := entryOf(b)
		if err != nil {
			return Collected{}, fmt.Errorf("environment %s: %s: %w", env.Name, path.Join(dir, n), err)
		}
		out.Files = append(out.Files, objset.File{Path: OverlayDir + "/" + n, Data: b, Object: &e})
	}
	return out, nil
}

// describe is a finding in words: the file, Secret and key, what is wrong.
func describe(f sealing.Finding) string {
	var b strings.Builder
	if f.File != "" {
		b.WriteString(f.File + ": ")
	}
	if f.Secret != "" {
		b.WriteString("Secret " + f.Secret)
		if f.Key != "" {
			fmt.Fprintf(&b, " key %q", f.Key)
		}
		b.WriteString(" ")
	}
	b.WriteString(f.Message + " [" + string(f.Kind) + "]")
	return b.String()
}

// entryOf reads the one object of a sealed file as the layout's other
// objects are held, for the wiring and the overlay check; the file
// itself is copied as it is.
func entryOf(b []byte) (objset.Entry, error) {
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		return objset.Entry{}, fmt.Errorf("not one YAML object: %v", err)
	}
	v, err := objset.CanonicalJSON(j)
	if err != nil {
		return objset.Entry{}, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return objset.Entry{}, errors.New("not one YAML object")
	}
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(j, &meta); err != nil {
		return objset.Entry{}, err
	}
	gv, err := schema.ParseGroupVersion(meta.APIVersion)
	if err != nil {
		return objset.Entry{}, fmt.Errorf("apiVersion %q: %v", meta.APIVersion, err)
	}
	return objset.Entry{GVK: gv.WithKind(meta.Kind), Namespace: meta.Metadata.Namespace, Name: meta.Metadata.Name, Content: m}, nil
}

// allMissing reports whether the findings say only that each of the n
// Secrets is missing.
func allMissing(found []sealing.Finding, n int) bool {
	if len(found) != n {
		return false
	}
	for _, f := range found {
		if f.Kind != sealing.FindingMissingSecret {
			return false
		}
	}
	return true
}

package sealing

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// ExpectedSecret is a Secret an environment needs, with its keys.
type ExpectedSecret struct {
	Name, Namespace string
	// Required keys must be present; Optional ones may be.
	Required, Optional []string
}

// Expectation is what an environment's secrets/<env>/ directory must hold.
type Expectation struct {
	Env     string
	Format  Format
	Secrets []ExpectedSecret
	// Recipients are the age recipients every SOPS file must be
	// encrypted for (compared as a set).
	Recipients []string
	// Certificate is the fingerprint (Certificate.Fingerprint) every
	// SealedSecret must have been sealed with.
	Certificate string
	// Scope is the SealedSecrets' scope; empty means strict.
	Scope Scope
}

// Verify checks the sealed files in dir (a directory of fsys, such as
// "secrets/prod" of the repository) against what the environment needs,
// without decrypting anything. Files are matched to Secrets by the name
// inside them. Findings come sorted by Secret, key and kind; the error is
// only for a directory that cannot be read. A missing directory means
// every Secret is missing.
func Verify(fsys fs.FS, dir string, exp Expectation) ([]Finding, error) {
	files, err := FileNames(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot list the sealed Secrets: %v", dir, errText(err))
	}
	v := verifier{exp: exp}
	byName := map[string]*Inspection{}
	for _, name := range files {
		file := path.Join(dir, name)
		content, err := fs.ReadFile(fsys, file)
		if err != nil {
			v.add(Finding{Kind: FindingUnreadable, File: file, Message: "cannot be read: " + errText(err)})
			continue
		}
		in, err := Inspect(file, content)
		if err != nil {
			v.add(Finding{Kind: FindingUnreadable, File: file, Message: strings.TrimPrefix(err.Error(), file+": ")})
			continue
		}
		if in.Name == "" {
			v.add(in.Findings...)
			continue
		}
		if first, dup := byName[in.Name]; dup {
			v.add(Finding{Kind: FindingDuplicateSecret, Secret: in.Name, File: file,
				Message: "is also in " + first.File + "; keep one file per Secret"})
			continue
		}
		byName[in.Name] = in
	}
	expected := map[string]bool{}
	for _, es := range exp.Secrets {
		expected[es.Name] = true
		in, ok := byName[es.Name]
		if !ok {
			v.add(Finding{Kind: FindingMissingSecret, Secret: es.Name,
				Message: fmt.Sprintf("is not sealed: no file in %s holds it (expected %s)", dir, path.Join(dir, FileName(exp.Format, es.Name)))})
			continue
		}
		v.check(es, in)
	}
	for _, name := range sortedKeys(byName) {
		if !expected[name] {
			in := byName[name]
			v.add(Finding{Kind: FindingExtraSecret, Secret: name, File: in.File,
				Message: "is not a Secret this environment needs"})
		}
	}
	slices.SortFunc(v.out, compareFindings)
	return v.out, nil
}

// FileNames lists the files of dir that may hold sealed Secrets: regular
// YAML files (a link is never followed), not hidden, not the kustomization
// files that sit beside them, in name order. A missing directory has none.
// Verify reads these, and render copies these into the overlay.
func FileNames(fsys fs.FS, dir string) ([]string, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(n, ".") || !(strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) ||
			n == "kustomization.yaml" || n == "kustomization.yml" {
			continue
		}
		out = append(out, n)
	}
	return out, nil
}

type verifier struct {
	exp Expectation
	out []Finding
}

func (v *verifier) add(fs ...Finding) {
	for _, f := range fs {
		f.Env = v.exp.Env
		if f.Severity == "" {
			f.Severity = f.Kind.severity()
		}
		v.out = append(v.out, f)
	}
}

func (v *verifier) check(es ExpectedSecret, in *Inspection) {
	f := func(kind FindingKind, key, msg string) {
		v.add(Finding{Kind: kind, Secret: es.Name, Key: key, File: in.File, Message: msg})
	}
	v.add(in.Findings...)
	if in.Namespace != es.Namespace {
		f(FindingNamespaceMismatch, "", fmt.Sprintf("is in namespace %q, not %q", in.Namespace, es.Namespace))
	}
	switch {
	case in.Format != v.exp.Format:
		f(FindingFormatMismatch, "", fmt.Sprintf("is a %s file, but this environment seals with %s", in.Format, v.exp.Format))
	case in.Format == FormatSOPS:
		want := normalized(v.exp.Recipients)
		if !slices.Equal(in.Recipients, want) || len(in.OtherKeys) > 0 || in.KeyGroups > 1 {
			f(FindingRecipientsMismatch, "", fmt.Sprintf("is encrypted for %s, not age recipients %s", in.keyDescription(), strings.Join(want, ", ")))
		}
	case in.Format == FormatSealedSecrets:
		if in.SealedWith != v.exp.Certificate {
			f(FindingCertificateMismatch, "", fmt.Sprintf("was sealed with certificate %s, not %s", orUnknown(in.SealedWith), v.exp.Certificate))
		}
		if want, err := v.exp.Scope.valid(); err == nil && in.Scope != want {
			f(FindingScopeMismatch, "", fmt.Sprintf("is sealed %s, not %s", in.Scope, want))
		}
	}
	for _, k := range es.Required {
		if !slices.Contains(in.Keys, k) {
			f(FindingMissingKey, k, "has no value for this required key")
		}
	}
	for _, k := range in.Keys {
		if !slices.Contains(es.Required, k) && !slices.Contains(es.Optional, k) {
			f(FindingExtraKey, k, "holds a key that nothing reads")
		}
	}
}

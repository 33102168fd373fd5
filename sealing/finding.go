package sealing

import (
	"cmp"
	"fmt"
	"strings"
)

// FindingKind is a stable ID of one kind of problem with sealed files.
type FindingKind string

const (
	// FindingMissingSecret: no file holds a Secret the environment needs.
	FindingMissingSecret FindingKind = "missing-secret"
	// FindingMissingKey: the Secret lacks a required key.
	FindingMissingKey FindingKind = "missing-key"
	// FindingExtraKey: the Secret holds a key nothing reads.
	FindingExtraKey FindingKind = "extra-key"
	// FindingExtraSecret: a file holds a Secret the environment does not
	// need.
	FindingExtraSecret FindingKind = "extra-secret"
	// FindingDuplicateSecret: two files hold the same Secret.
	FindingDuplicateSecret FindingKind = "duplicate-secret"
	// FindingPlaintext: a value under data/stringData (SOPS) or in a
	// SealedSecret's encryptedData/template data is in clear text.
	FindingPlaintext FindingKind = "plaintext-value"
	// FindingMissingMAC: a SOPS file carries no MAC.
	FindingMissingMAC FindingKind = "missing-mac"
	// FindingRecipientsMismatch: a SOPS file is encrypted for other age
	// recipients than the environment's.
	FindingRecipientsMismatch FindingKind = "recipients-mismatch"
	// FindingCertificateMismatch: a SealedSecret was sealed with another
	// certificate than the environment's, or says not which.
	FindingCertificateMismatch FindingKind = "certificate-mismatch"
	// FindingScopeMismatch: a SealedSecret has another sealing scope than
	// the environment's.
	FindingScopeMismatch FindingKind = "scope-mismatch"
	// FindingNamespaceMismatch: the Secret is in another namespace.
	FindingNamespaceMismatch FindingKind = "namespace-mismatch"
	// FindingFormatMismatch: the file is not in the environment's format
	// (a SealedSecret where SOPS is expected, a plain Secret, …).
	FindingFormatMismatch FindingKind = "format-mismatch"
	// FindingUnreadable: the file or a part of it cannot be read.
	FindingUnreadable FindingKind = "unreadable-file"
)

// Severity says whether a finding fails the render.
type Severity string

const (
	// SeverityError fails the render: the cluster would lack a value or
	// a value would be exposed.
	SeverityError Severity = "error"
	// SeverityWarning is for what is only superfluous.
	SeverityWarning Severity = "warning"
)

func (k FindingKind) severity() Severity {
	switch k {
	case FindingExtraKey, FindingExtraSecret:
		return SeverityWarning
	default:
		return SeverityError
	}
}

// Finding is one problem with an environment's sealed files. It names the
// Secret and key so that the caller can place it at the spec line that
// declares them; it never holds a value.
type Finding struct {
	Kind     FindingKind
	Severity Severity
	// Env is the environment (set by Verify; empty from Inspect).
	Env string
	// Secret is the Secret's name, empty when the file's Secret cannot be
	// read.
	Secret string
	// Key is the key within the Secret, empty for the whole Secret.
	Key string
	// File is the file the problem is in, empty for a missing Secret.
	File string
	// Message says what is wrong, in the user's words, without the file.
	Message string
}

// FixCommand is the command that fixes the finding: sealing the
// environment's Secrets again adds what is missing, replaces what is in
// clear or sealed for other keys and (with pruning) drops what is extra.
func (f Finding) FixCommand() string {
	if f.Env == "" {
		return ""
	}
	return "ydpgen secrets seal --env " + f.Env
}

// String is the finding on one line: file, Secret and key, message, fix.
func (f Finding) String() string {
	var b strings.Builder
	if f.File != "" {
		b.WriteString(f.File + ": ")
	}
	b.WriteString(string(f.Severity) + ": ")
	if f.Secret != "" {
		b.WriteString("Secret " + f.Secret)
		if f.Key != "" {
			fmt.Fprintf(&b, " key %q", f.Key)
		}
		b.WriteString(": ")
	}
	b.WriteString(f.Message)
	fmt.Fprintf(&b, " [%s]", f.Kind)
	if c := f.FixCommand(); c != "" {
		b.WriteString("; run: " + c)
	}
	return b.String()
}

func compareFindings(a, b Finding) int {
	return cmp.Or(
		cmp.Compare(a.Secret, b.Secret),
		cmp.Compare(a.Key, b.Key),
		cmp.Compare(a.Kind, b.Kind),
		cmp.Compare(a.File, b.File),
		cmp.Compare(a.Message, b.Message),
	)
}

package review

import (
	"strings"

	"github.com/ydpgen/ydpgen/internal/secretscan"
)

// Masked stands for a value that is not shown.
const Masked = "(masked)"

// blobLen is the shortest base64 run masked in a line: the length the
// loader refuses in a spec.
const blobLen = 32

// sensitiveKey reports whether the value under key may be secret material.
// The words are the loader's (secretscan.SecretName): what a spec may not
// hold under a key, a review does not show.
func sensitiveKey(key string) bool { return secretscan.SecretName(key) }

// sensitiveName reports whether a named list item (an env variable) holds
// secret material in its value: DB_PASSWORD, GIT_TOKEN. The same words as
// for keys: an env variable's name is the key of its value.
func sensitiveName(name string) bool { return secretscan.SecretName(name) }

// maskLine hides secret material in a line of text that is not YAML: what
// follows a key whose name says it is secret ("password: x",
// "--from-literal=TOKEN=x"), and values that look secret wherever they are
// (the password of a URL, a private key, a token, a base64 blob, such as
// the body of a PEM key).
func maskLine(sc *secretscan.Scanner, s string) string {
	if cut := secretValueStart(s); cut >= 0 {
		return maskValues(sc, s[:cut]) + Masked
	}
	return maskValues(sc, s)
}

// secretValueStart returns where the value of the first secret-named key
// in s starts, or -1. A key is the run of name characters before a ':' or
// '=' (and an optional closing quote and spaces).
func secretValueStart(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] != ':' && s[i] != '=' {
			continue
		}
		end := i
		for end > 0 && s[end-1] == ' ' {
			end--
		}
		if end > 0 && (s[end-1] == '"' || s[end-1] == '\'') {
			end--
		}
		start := end
		for start > 0 && (isWordByte(s[start-1]) || s[start-1] == '.') {
			start--
		}
		if start == end || !secretscan.SecretName(s[start:end]) {
			continue
		}
		v := i + 1
		for v < len(s) && s[v] == ' ' {
			v++
		}
		if v < len(s) {
			return v
		}
	}
	return -1
}

// maskValues replaces every secret-looking value in s.
func maskValues(sc *secretscan.Scanner, s string) string {
	var b strings.Builder
	for {
		start, end := -1, -1
		if m, ok := sc.Find(s); ok {
			start, end = m.Start, m.End
		}
		if blob, ok := sc.Blob(s, blobLen); ok {
			if i := strings.Index(s, blob); start < 0 || i < start {
				start, end = i, i+len(blob)
			}
		}
		if start < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:start])
		b.WriteString(Masked)
		s = s[end:]
	}
}

func isWordByte(b byte) bool {
	return b == '_' || b == '-' || ('0' <= b && b <= '9') || ('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z')
}

package review

import (
	"slices"
	"strings"
	"unicode"
)

// Masked stands for a value that is not shown.
const Masked = "(masked)"

// secretWords are words of a key whose value may be secret material.
func secretWords() []string {
	return []string{"password", "passwd", "pass", "pwd", "token", "secret", "secrets", "key", "keys", "connection", "credential", "credentials", "apikey", "privatekey"}
}

// referenceWords end keys that only name where secret material is kept
// (fernetKeySecretName, secretKeyRef): their values are safe to show and
// say more to a reviewer than a mask.
func referenceWords() []string {
	return []string{"name", "names", "ref", "namespace", "enabled", "create"}
}

// words splits a key at camel case, digits and punctuation, lowercased:
// "apiSecretKeySecretName" gives api secret key secret name.
func words(key string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(key)
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case unicode.IsUpper(r) && i > 0 && (unicode.IsLower(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1]))):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return out
}

// sensitiveKey reports whether the value under key may be secret material.
func sensitiveKey(key string) bool {
	w := words(key)
	if len(w) == 0 || slices.Contains(referenceWords(), w[len(w)-1]) {
		return false
	}
	// A key named just "key" names a key (tolerations, label selectors,
	// secretKeyRef), it does not hold one.
	if len(w) == 1 && w[0] == "key" {
		return false
	}
	for _, x := range w {
		if slices.Contains(secretWords(), x) {
			return true
		}
	}
	return false
}

// sensitiveName reports whether a named list item (an env variable) holds
// secret material in its value: DB_PASSWORD, GIT_TOKEN.
func sensitiveName(name string) bool {
	for _, x := range words(name) {
		if slices.Contains(secretWords(), x) {
			return true
		}
	}
	return false
}

// maskLine hides what follows a secret-looking key in a line of text
// that is not YAML: "password: x", "--from-literal=TOKEN=x".
func maskLine(s string) string {
	lower := strings.ToLower(s)
	cut := -1
	for _, w := range []string{"password", "passwd", "token", "secret", "key", "connection", "credential"} {
		for from := 0; ; {
			i := strings.Index(lower[from:], w)
			if i < 0 {
				break
			}
			j := from + i + len(w)
			from = j
			// The rest of the key, an optional closing quote, then : or =.
			for j < len(s) && (isWordByte(s[j]) || s[j] == '.') {
				j++
			}
			if j < len(s) && (s[j] == '"' || s[j] == '\'') {
				j++
			}
			for j < len(s) && s[j] == ' ' {
				j++
			}
			if j >= len(s) || (s[j] != ':' && s[j] != '=') {
				continue
			}
			j++
			for j < len(s) && s[j] == ' ' {
				j++
			}
			if j < len(s) && (cut < 0 || j < cut) {
				cut = j
			}
		}
	}
	if cut < 0 {
		return s
	}
	return s[:cut] + Masked
}

func isWordByte(b byte) bool {
	return b == '_' || b == '-' || ('0' <= b && b <= '9') || ('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z')
}

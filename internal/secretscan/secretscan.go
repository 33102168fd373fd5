package secretscan

import (
	"regexp"
	"strings"
)

// Scanner holds the compiled patterns; make one with New and reuse it.
type Scanner struct {
	patterns []pattern
	// userinfo matches scheme://user:password@ and captures the password.
	userinfo *regexp.Regexp
	// blobRun finds runs of base64 characters (standard and URL-safe).
	blobRun *regexp.Regexp
}

// pattern is the shape of a secret value, with what it is.
type pattern struct {
	what string
	re   *regexp.Regexp
}

// New compiles the patterns.
func New() *Scanner {
	return &Scanner{
		patterns: []pattern{
			{"a private key", regexp.MustCompile(`-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----`)},
			{"a GitHub token", regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})`)},
			{"a GitLab token", regexp.MustCompile(`\bglpat-[A-Za-z0-9_-]{20,}`)},
			{"a Slack token", regexp.MustCompile(`\bxox[abprs]-[A-Za-z0-9-]{10,}`)},
			{"an AWS access key ID", regexp.MustCompile(`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`)},
		},
		userinfo: regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.-]*://[^\s/@:'"]*:([^\s/@'"]+)@`),
		blobRun:  regexp.MustCompile(`[A-Za-z0-9+/_-]{24,}={0,2}`),
	}
}

// Value reports whether s contains something that looks like a secret
// value, and what it looks like.
func (sc *Scanner) Value(s string) (string, bool) {
	for _, m := range sc.userinfo.FindAllStringSubmatch(s, -1) {
		if !Placeholder(m[1]) {
			return "a URL with a password in it (user:password@)", true
		}
	}
	for _, p := range sc.patterns {
		if p.re.MatchString(s) {
			return p.what, true
		}
	}
	return "", false
}

// Placeholder reports whether s stands for a value rather than being one:
// <password>, $(command), ${VAR}, $VAR, {{ .template }} or a row of '*'.
func Placeholder(s string) bool {
	switch {
	case strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">"),
		strings.HasPrefix(s, "$(") && strings.HasSuffix(s, ")"),
		strings.HasPrefix(s, "${") && strings.HasSuffix(s, "}"),
		strings.HasPrefix(s, "{{") && strings.HasSuffix(s, "}}"),
		strings.Trim(s, "*") == "":
		return true
	case strings.HasPrefix(s, "$"):
		rest := s[1:]
		return rest != "" && strings.IndexFunc(rest, func(r rune) bool {
			return !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
		}) < 0
	}
	return false
}

// Blob returns the first run of at least minLen base64 characters in s that
// mixes upper case, lower case and digits, as encoded random bytes do.
// Hex strings (hashes, digests, commit IDs) and words are not blobs.
func (sc *Scanner) Blob(s string, minLen int) (string, bool) {
	for _, run := range sc.blobRun.FindAllString(s, -1) {
		if len(run) < minLen {
			continue
		}
		var upper, lower, digit bool
		for _, r := range run {
			switch {
			case r >= 'A' && r <= 'Z':
				upper = true
			case r >= 'a' && r <= 'z':
				lower = true
			case r >= '0' && r <= '9':
				digit = true
			}
		}
		if upper && lower && digit {
			return run, true
		}
	}
	return "", false
}

// normalize lowercases a key name and drops separators, so that
// api_key, apiKey and API-KEY compare equal.
func normalize(name string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', '.', ' ':
			return -1
		}
		return r
	}, strings.ToLower(name))
}

// SecretName reports whether a key name says its value is a secret
// (password, api_key, fernet_key, sql_alchemy_conn...). Names of references
// to secrets (passwordSecretName, tlsSecretRef) are not.
func SecretName(name string) bool {
	n := normalize(name)
	if n == "" || strings.HasSuffix(n, "name") || strings.HasSuffix(n, "ref") {
		return false
	}
	switch n {
	case "pwd", "pass", "value", "apikey", "connection", "conn":
		return true
	}
	for _, w := range []string{"password", "passwd", "passphrase", "secret", "token", "apikey", "privatekey",
		"accesskey", "fernet", "jwt", "sqlalchemyconn", "brokerurl", "resultbackend", "credentials"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

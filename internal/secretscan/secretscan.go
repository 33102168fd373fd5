package secretscan

import (
	"regexp"
	"strings"
	"unicode"
)

// Scanner holds the compiled patterns; make one with New and reuse it.
type Scanner struct {
	patterns []pattern
	// userinfo matches scheme://user:password@ and captures the password.
	userinfo *regexp.Regexp
	// blobRun finds runs of base64 characters (standard and URL-safe).
	blobRun *regexp.Regexp
	// urlToken matches scheme://token@ (a user part and no password, as
	// git hosts accept a token) and captures the token.
	urlToken *regexp.Regexp
	// awsSecret matches 40 base64 characters standing alone, and
	// awsContext what makes them an AWS secret access key.
	awsSecret, awsContext *regexp.Regexp
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
			{"a JSON Web Token", regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}`)},
		},
		urlToken:   regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.-]*://([^\s/@:'"]+)@`),
		awsSecret:  regexp.MustCompile(`(?:^|[^A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?:$|[^A-Za-z0-9/+=])`),
		awsContext: regexp.MustCompile(`(?i)\b(?:AKIA|ASIA)[0-9A-Z]{16}\b|aws|secret.?access|access.?key`),
		userinfo:   regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.-]*://[^\s/@:'"]*:([^\s/@'"]+)@`),
		blobRun:    regexp.MustCompile(`[A-Za-z0-9+/_-]{24,}={0,2}`),
	}
}

// Value reports whether s contains something that looks like a secret
// value, and what it looks like.
func (sc *Scanner) Value(s string) (string, bool) {
	m, ok := sc.Find(s)
	return m.What, ok
}

// Match is a secret-looking value found in a text: what it looks like and
// the byte range s[Start:End] that holds it.
type Match struct {
	What       string
	Start, End int
}

// Find returns the leftmost secret-looking value in s, so that a caller can
// hide the value and keep the text around it. Of a URL only the password
// counts.
func (sc *Scanner) Find(s string) (Match, bool) {
	best := Match{Start: -1}
	better := func(what string, start, end int) {
		if best.Start < 0 || start < best.Start {
			best = Match{What: what, Start: start, End: end}
		}
	}
	for _, m := range sc.userinfo.FindAllStringSubmatchIndex(s, -1) {
		if !Placeholder(s[m[2]:m[3]]) {
			better("a URL with a password in it (user:password@)", m[2], m[3])
			break
		}
	}
	for _, m := range sc.urlToken.FindAllStringSubmatchIndex(s, -1) {
		if tok := s[m[2]:m[3]]; looksRandom(tok, 16) && !Placeholder(tok) {
			better("a URL with a token in it (token@)", m[2], m[3])
			break
		}
	}
	if sc.awsContext.MatchString(s) {
		for _, m := range sc.awsSecret.FindAllStringSubmatchIndex(s, -1) {
			if looksRandom(s[m[2]:m[3]], 40) {
				better("an AWS secret access key", m[2], m[3])
				break
			}
		}
	}
	for _, p := range sc.patterns {
		if loc := p.re.FindStringIndex(s); loc != nil {
			better(p.what, loc[0], loc[1])
		}
	}
	return best, best.Start >= 0
}

// looksRandom reports a run of at least minLen characters that mixes
// letters and digits, as generated tokens do and user names do not.
func looksRandom(s string, minLen int) bool {
	if len(s) < minLen {
		return false
	}
	var letter, digit bool
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digit = true
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			letter = true
		}
	}
	return letter && digit
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

// Words splits a key name into lowercase words at case changes, between
// letters and digits, and at anything else: "apiSecretKeySecretName" gives
// api secret key secret name, "GIT_SYNC_PASSWORD2" git sync password 2.
func Words(name string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(name)
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
			continue
		case i == 0:
		case unicode.IsDigit(r) != unicode.IsDigit(rs[i-1]):
			flush()
		case unicode.IsUpper(r) && (unicode.IsLower(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1]))):
			// fooBar, and the last capital of an acronym: JWTSecret.
			flush()
		}
		cur = append(cur, r)
	}
	flush()
	return out
}

// SecretName reports whether a key name says its value is secret material.
// It is the one vocabulary of key names: the loader refuses a value under
// such a key and review masks it. The value is what the key's last word
// names (numbers aside), so names of references (passwordSecretName,
// tlsSecretRef, secretKeyRef), of files (passwordFile) and of settings
// about a secret (tokenTTL) are not secret; neither is "credential", which
// in a spec names a declared credential, nor a bare "key" or "valuesKey",
// which name an entry of a map.
func SecretName(name string) bool {
	var w []string
	for _, x := range Words(name) {
		if x[0] < '0' || x[0] > '9' {
			w = append(w, x)
		}
	}
	if len(w) == 0 {
		return false
	}
	last, before := w[len(w)-1], ""
	if len(w) > 1 {
		before = w[len(w)-2]
	}
	switch last {
	case "pass", "pwd", "conn", "connection", "fernet", "jwt":
		return true
	case "key", "keys":
		switch before {
		case "api", "access", "private", "secret", "ssh", "tls", "client", "fernet", "signing", "encryption":
			return true
		}
		return false
	case "url":
		return before == "broker" // Celery's broker_url holds the broker's password
	case "backend":
		return before == "result" // and result_backend the database's
	}
	// Also written as one word: PGPASSWORD, apitoken, clientsecret.
	for _, noun := range []string{"password", "passwd", "passphrase", "secret", "secrets", "token", "tokens",
		"credentials", "apikey", "privatekey", "accesskey"} {
		if strings.HasSuffix(last, noun) {
			return true
		}
	}
	return false
}

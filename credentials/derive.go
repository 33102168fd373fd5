package credentials

import (
	"fmt"
	"strings"
)

// A value that repeats another Secret's value (the metadata connection
// URL holds the database user's password) is never typed again: it is
// derived, as a list of pieces that each provider assembles its own way
// (the External Secrets Operator with a template, the manual script with
// kubectl), from the one place the value is kept.

// Piece is part of a derived value: literal text, or the value of one key
// of a Secret, escaped for where it goes.
type Piece struct {
	Text string
	// Secret and Key name the value, when Text is empty. Secret may be the
	// derived Secret itself (the broker URL repeats the Redis password).
	Secret, Key string
	Escape      Escape
}

// Escape is how a value is written into a derived one.
type Escape string

// The escapes.
const (
	// Raw writes the value as it is.
	Raw Escape = ""
	// URLEscape percent-encodes every byte but the unreserved characters
	// A-Z a-z 0-9 - . _ ~, so that a password holding ':', '@', '/', '%',
	// spaces or non-ASCII survives in a URL's user information.
	URLEscape Escape = "url"
	// PgBouncerQuote doubles '"', as PgBouncer's auth_file reads a quoted
	// name or password.
	PgBouncerQuote Escape = "pgbouncer"
)

// Derived is one key of a Secret built from other keys.
type Derived struct {
	Key    string
	Pieces []Piece
}

// KeyRef is one key of one Secret.
type KeyRef struct{ Secret, Key string }

// Refs returns the keys the value reads, in the order they first appear.
func (d Derived) Refs() []KeyRef {
	var out []KeyRef
	for _, p := range d.Pieces {
		if p.Text != "" || p.Secret == "" {
			continue
		}
		r := KeyRef{p.Secret, p.Key}
		if !containsRef(out, r) {
			out = append(out, r)
		}
	}
	return out
}

func containsRef(l []KeyRef, r KeyRef) bool {
	for _, x := range l {
		if x == r {
			return true
		}
	}
	return false
}

// Evaluate assembles a derived value from the values lookup returns. It is
// the reference every provider's way of assembling it is tested against.
func Evaluate(pieces []Piece, lookup func(secret, key string) (string, bool)) (string, error) {
	var b strings.Builder
	for _, p := range pieces {
		if p.Secret == "" {
			b.WriteString(p.Text)
			continue
		}
		v, ok := lookup(p.Secret, p.Key)
		if !ok {
			return "", fmt.Errorf("no value for key %s of Secret %s", p.Key, p.Secret)
		}
		b.WriteString(EscapeValue(p.Escape, v))
	}
	return b.String(), nil
}

// EscapeValue writes v as escape e says.
func EscapeValue(e Escape, v string) string {
	switch e {
	case URLEscape:
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			c := v[i]
			if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
				b.WriteByte(c)
				continue
			}
			fmt.Fprintf(&b, "%%%02X", c)
		}
		return b.String()
	case PgBouncerQuote:
		return strings.ReplaceAll(v, `"`, `""`)
	}
	return v
}

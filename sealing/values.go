package sealing

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"golang.org/x/term"
)

// Request asks for the value of one key of one Secret.
type Request struct {
	Secret, Key string
	// Optional keys may have no value; they are then left out.
	Optional bool
}

// VarName is the variable that carries a value, in the process
// environment and in a dotenv file: YDPGEN_SECRET_, the Secret's name, a
// double underscore and the key, upper-cased, every character other than a
// letter or digit turned into an underscore. For Secret
// "airflow-metadata" and key "connection":
// YDPGEN_SECRET_AIRFLOW_METADATA__CONNECTION.
func VarName(secret, key string) string {
	return "YDPGEN_SECRET_" + varPart(secret) + "__" + varPart(key)
}

func varPart(s string) string {
	return strings.Map(func(r rune) rune {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return unicode.ToUpper(r)
		}
		return '_'
	}, s)
}

// Prompter asks a person for one value. ok false means no value (allowed
// for an optional key). It must not echo or log the value: see
// TerminalPrompt.
type Prompter func(r Request) (value string, ok bool, err error)

// Reader finds values for the keys being sealed: first in the process
// environment, then in a dotenv file, then by asking. Values are never
// logged or put in errors.
type Reader struct {
	// Environ is the process environment as os.Environ returns it; nil
	// reads none.
	Environ []string
	// DotenvFile is a file of NAME=value lines (see ParseDotenv); empty
	// for none. It must lie outside RepoRoot.
	DotenvFile string
	// RepoRoot is the repository the sealed files go to. A values file
	// inside it is refused, so that plaintext values are never one
	// `git add` away from being committed.
	RepoRoot string
	// Prompt asks for what the environment and the file lack; nil means
	// a missing required value is an error.
	Prompt Prompter
}

// Values are values by Secret name and key.
type Values map[string]map[string]string

func (v Values) set(secret, key, value string) {
	if v[secret] == nil {
		v[secret] = map[string]string{}
	}
	v[secret][key] = value
}

// Read returns a value for every request that has one. A required key
// with no value anywhere is an error that names the Secret, the key and
// the variable to set.
func (r Reader) Read(reqs []Request) (Values, error) {
	names := map[string]Request{}
	for _, q := range reqs {
		n := VarName(q.Secret, q.Key)
		if o, dup := names[n]; dup && (o.Secret != q.Secret || o.Key != q.Key) {
			return nil, fmt.Errorf("key %q of Secret %s and key %q of Secret %s share the variable %s; rename one of them", o.Key, o.Secret, q.Key, q.Secret, n)
		}
		names[n] = q
	}
	env := map[string]string{}
	for _, kv := range r.Environ {
		if name, value, ok := strings.Cut(kv, "="); ok {
			env[name] = value
		}
	}
	var file map[string]string
	if r.DotenvFile != "" {
		if err := r.checkOutsideRepo(); err != nil {
			return nil, err
		}
		f, err := os.Open(r.DotenvFile)
		if err != nil {
			return nil, fmt.Errorf("values file %s: %v", r.DotenvFile, errText(err))
		}
		file, err = ParseDotenv(r.DotenvFile, f)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	out := Values{}
	var missing []string
	for _, q := range reqs {
		n := VarName(q.Secret, q.Key)
		if v, ok := env[n]; ok {
			out.set(q.Secret, q.Key, v)
			continue
		}
		if v, ok := file[n]; ok {
			out.set(q.Secret, q.Key, v)
			continue
		}
		if r.Prompt != nil {
			v, ok, err := r.Prompt(q)
			if err != nil {
				return nil, fmt.Errorf("asking for Secret %s key %q: %w", q.Secret, q.Key, err)
			}
			if ok {
				out.set(q.Secret, q.Key, v)
				continue
			}
		}
		if !q.Optional {
			missing = append(missing, fmt.Sprintf("Secret %s key %q (set %s)", q.Secret, q.Key, n))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("no value for %s", strings.Join(missing, "; "))
	}
	return out, nil
}

// checkOutsideRepo refuses a values file inside the repository, after
// resolving symbolic links on both sides.
func (r Reader) checkOutsideRepo() error {
	if r.RepoRoot == "" {
		return nil
	}
	file, err := resolved(r.DotenvFile)
	if err != nil {
		return fmt.Errorf("values file %s: %v", r.DotenvFile, errText(err))
	}
	root, err := resolved(r.RepoRoot)
	if err != nil {
		return fmt.Errorf("repository %s: %v", r.RepoRoot, errText(err))
	}
	if rel, err := filepath.Rel(root, file); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("values file %s is inside the repository %s; keep plaintext values outside it so that they cannot be committed", r.DotenvFile, r.RepoRoot)
	}
	return nil
}

func resolved(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// ParseDotenv reads NAME=value lines. Blank lines and lines starting with
// # are skipped and an `export ` prefix is allowed. A value may be
// unquoted (trimmed, ending at " #"), 'single-quoted' (literal, may span
// lines) or "double-quoted" (may span lines; \n, \r, \t, \", \\ and \$
// are escapes). file names the file in errors, which give the line but
// never the value.
func ParseDotenv(file string, r io.Reader) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	line := 0
	next := func() (string, bool) {
		if !sc.Scan() {
			return "", false
		}
		line++
		return strings.TrimSuffix(sc.Text(), "\r"), true
	}
	for {
		text, ok := next()
		if !ok {
			break
		}
		start := line
		t := strings.TrimSpace(text)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		t = strings.TrimPrefix(t, "export ")
		name, rest, ok := strings.Cut(t, "=")
		name = strings.TrimSpace(name)
		if !ok || !validVarName(name) {
			return nil, fmt.Errorf("%s line %d: not a NAME=value line", file, start)
		}
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
			if i := strings.Index(rest, " #"); i >= 0 {
				rest = rest[:i]
			}
			out[name] = strings.TrimSpace(rest)
			continue
		}
		quote := rest[0]
		body := rest[1:]
		var value strings.Builder
		for {
			end, closed := closingQuote(body, quote)
			if closed {
				value.WriteString(body[:end])
				tail := strings.TrimSpace(body[end+1:])
				if tail != "" && !strings.HasPrefix(tail, "#") {
					return nil, fmt.Errorf("%s line %d: text after the closing quote", file, line)
				}
				break
			}
			value.WriteString(body)
			value.WriteByte('\n')
			more, ok := next()
			if !ok {
				return nil, fmt.Errorf("%s line %d: the quoted value of %s is not closed", file, start, name)
			}
			body = more
		}
		v := value.String()
		if quote == '"' {
			v = unescape(v)
		}
		out[name] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s line %d: %v", file, line+1, err)
	}
	return out, nil
}

// closingQuote finds the closing quote in s; inside double quotes a
// backslash escapes the next character.
func closingQuote(s string, quote byte) (int, bool) {
	for i := 0; i < len(s); i++ {
		switch {
		case quote == '"' && s[i] == '\\':
			i++
		case s[i] == quote:
			return i, true
		}
	}
	return 0, false
}

func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case '"', '\\', '$':
			b.WriteByte(s[i])
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func validVarName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r < unicode.MaxASCII && (unicode.IsLetter(r) || i > 0 && unicode.IsDigit(r))) {
			return false
		}
	}
	return true
}

// LinePrompt asks on out and reads one line per value from in. It does
// not hide what is typed, so it serves pipes, files and tests; on a
// terminal use TerminalPrompt. An empty line means no value. Values
// cannot contain a newline this way; use the environment or a dotenv
// file for those.
func LinePrompt(in io.Reader, out io.Writer) Prompter {
	br := bufio.NewReader(in)
	return func(q Request) (string, bool, error) {
		if err := ask(out, q); err != nil {
			return "", false, err
		}
		line, err := br.ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			if errors.Is(err, io.EOF) {
				return "", false, nil
			}
			return "", false, err
		}
		line = strings.TrimRight(line, "\r\n")
		return line, line != "", nil
	}
}

// TerminalPrompt asks on out for each value. When in is a terminal it
// reads the value with echo off (golang.org/x/term), so what is typed is
// not shown, and then ends the prompt's line on out itself; otherwise (a
// pipe or a file) it is LinePrompt(in, out). An empty line, or end of
// input, means no value.
//
// Echo is restored when the value has been read. A process killed while
// it waits (Ctrl-C) leaves the terminal without echo unless the command
// restores it on the signal (`stty echo` does by hand).
func TerminalPrompt(in *os.File, out io.Writer) Prompter {
	fd := int(in.Fd())
	if !term.IsTerminal(fd) {
		return LinePrompt(in, out)
	}
	return func(q Request) (string, bool, error) {
		if err := ask(out, q); err != nil {
			return "", false, err
		}
		b, err := term.ReadPassword(fd)
		// The Enter that ended the value was not echoed either.
		if _, werr := fmt.Fprintln(out); werr != nil && err == nil {
			err = werr
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "", false, nil
			}
			return "", false, err
		}
		return string(b), len(b) > 0, nil
	}
}

// ask writes the prompt for q.
func ask(out io.Writer, q Request) error {
	opt := ""
	if q.Optional {
		opt = " (optional, empty to skip)"
	}
	_, err := fmt.Fprintf(out, "Value for Secret %s key %q%s: ", q.Secret, q.Key, opt)
	return err
}

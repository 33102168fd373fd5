package chart

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// LockFileName is the lock file's name next to the platform spec.
const LockFileName = "ydpgen.lock"

// lockFormat is the lock file's format version; a reader refuses others, so
// an older ydpgen never misreads a newer lock.
const lockFormat = 1

const lockHeader = `# ydpgen.lock: the exact chart archives this platform renders, pinned by
# digest. Written by "ydpgen chart update"; do not edit by hand.
`

// Lock is the content of ydpgen.lock.
type Lock struct {
	Version int         `yaml:"version"`
	Charts  []LockEntry `yaml:"charts"`
}

// LockEntry pins one remote chart to one archive.
type LockEntry struct {
	Name    string `yaml:"name"`
	Version string `yaml:"version"`
	// Source is the Ref's source, as the spec writes it.
	Source string `yaml:"source"`
	// Digest is "sha256:<hex>" of the chart archive (.tgz).
	Digest string `yaml:"digest"`
}

// String names the entry in messages: "ydpgen.lock entry airflow 1.19.0 (https://airflow.apache.org, sha256:d291…)".
func (e LockEntry) String() string {
	return fmt.Sprintf("%s entry %s %s (%s, %s)", LockFileName, e.Name, e.Version, e.Source, e.Digest)
}

// validDigest says whether d is "sha256:" and 64 lower-case hex digits.
func validDigest(d string) bool {
	hex, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(hex) != 64 {
		return false
	}
	for _, c := range hex {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ParseLock reads a lock file's bytes strictly: unknown fields, missing
// fields, malformed digests and duplicate entries are errors.
func ParseLock(data []byte) (*Lock, error) {
	var l Lock
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&l); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s is empty", LockFileName)
		}
		return nil, fmt.Errorf("%s: %w", LockFileName, err)
	}
	if l.Version != lockFormat {
		return nil, fmt.Errorf("%s: version %d is not one this ydpgen reads (%d)", LockFileName, l.Version, lockFormat)
	}
	seen := map[[2]string]bool{}
	for i, e := range l.Charts {
		var missing []string
		for _, f := range []struct{ name, v string }{{"name", e.Name}, {"version", e.Version}, {"source", e.Source}, {"digest", e.Digest}} {
			if f.v == "" {
				missing = append(missing, f.name)
			}
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("%s: charts[%d] (%s) lacks %s", LockFileName, i, e.Name, strings.Join(missing, ", "))
		}
		if !validDigest(e.Digest) {
			return nil, fmt.Errorf("%s: charts[%d] (%s): digest %q is not sha256:<64 lower-case hex digits>", LockFileName, i, e.Name, e.Digest)
		}
		if (Ref{Source: e.Source}).Kind() == Local {
			return nil, fmt.Errorf("%s: charts[%d] (%s): source %q is a local path; only chart repositories and OCI registries are locked", LockFileName, i, e.Name, e.Source)
		}
		k := [2]string{e.Name, e.Source}
		if seen[k] {
			return nil, fmt.Errorf("%s: chart %s from %s is listed twice", LockFileName, e.Name, e.Source)
		}
		seen[k] = true
	}
	return &l, nil
}

// ReadLock reads the lock file at path. A missing file is an empty lock:
// before the first "ydpgen chart update" nothing is pinned yet, and Resolve
// then says which chart lacks an entry.
func ReadLock(path string) (*Lock, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Lock{Version: lockFormat}, nil
	}
	if err != nil {
		return nil, err
	}
	l, err := ParseLock(data)
	if err != nil {
		// ParseLock names the file by its base name; give the whole path.
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return l, nil
}

// Marshal gives the lock file's bytes: a header, then the entries sorted by
// name and source, so the same pins always give the same file.
func (l *Lock) Marshal() []byte {
	out := Lock{Version: lockFormat, Charts: slices.Clone(l.Charts)}
	slices.SortFunc(out.Charts, func(a, b LockEntry) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Source, b.Source))
	})
	if out.Charts == nil {
		out.Charts = []LockEntry{}
	}
	var buf bytes.Buffer
	buf.WriteString(lockHeader)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	// Encoding plain strings and ints cannot fail.
	if err := enc.Encode(out); err != nil {
		panic(err)
	}
	_ = enc.Close()
	return buf.Bytes()
}

// WriteLock writes the lock file atomically: a reader sees the old file or
// the new one, never a part.
func WriteLock(path string, l *Lock) error {
	return writeFileAtomic(path, l.Marshal())
}

// Find returns the entry for a chart name and source.
func (l *Lock) Find(name, source string) (LockEntry, bool) {
	if l == nil {
		return LockEntry{}, false
	}
	for _, e := range l.Charts {
		if e.Name == name && e.Source == source {
			return e, true
		}
	}
	return LockEntry{}, false
}

// Set adds or replaces the entry with e's name and source.
func (l *Lock) Set(e LockEntry) {
	l.Version = lockFormat
	for i, old := range l.Charts {
		if old.Name == e.Name && old.Source == e.Source {
			l.Charts[i] = e
			return
		}
	}
	l.Charts = append(l.Charts, e)
}

// Remove drops the entry for a chart name and source, if there is one.
func (l *Lock) Remove(name, source string) {
	l.Charts = slices.DeleteFunc(l.Charts, func(e LockEntry) bool { return e.Name == name && e.Source == source })
}

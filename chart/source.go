package chart

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	helmchart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
)

// Ref names a chart the way a platform spec does: which chart, which
// version, from where.
type Ref struct {
	// Name is the chart's name as its Chart.yaml gives it ("airflow").
	Name string
	// Version is an exact version ("1.19.0") or a semver constraint
	// ("~1.19", ">=1.19.0 <1.21.0"); empty means the newest stable version.
	// Remote charts render the version ydpgen.lock pins, which must satisfy it.
	Version string
	// Source is a chart repository ("https://airflow.apache.org"), an OCI
	// repository ("oci://ghcr.io/org/charts", the chart being Source/Name),
	// or a local chart directory or .tgz file.
	Source string
}

// SourceKind says how a chart is fetched.
type SourceKind int

const (
	// Local is a chart directory or archive on disk; it is not locked.
	Local SourceKind = iota
	// Repository is a classic chart repository served over HTTP(S).
	Repository
	// OCI is a chart stored in an OCI registry.
	OCI
)

// Kind tells the source kind from the source's form.
func (r Ref) Kind() SourceKind {
	switch {
	case strings.HasPrefix(r.Source, "oci://"):
		return OCI
	case strings.HasPrefix(r.Source, "https://"), strings.HasPrefix(r.Source, "http://"):
		return Repository
	default:
		return Local
	}
}

// String names the reference in messages: "chart airflow 1.19.0 from https://airflow.apache.org".
func (r Ref) String() string {
	var b strings.Builder
	b.WriteString("chart ")
	b.WriteString(r.Name)
	if r.Version != "" {
		b.WriteString(" ")
		b.WriteString(r.Version)
	}
	if r.Source != "" {
		b.WriteString(" from ")
		b.WriteString(r.Source)
	}
	return b.String()
}

// Chart is a chart ready to render: its identity and its content (an
// archive's bytes or a directory's path). Each render loads a fresh copy,
// because Helm changes a loaded chart while it renders (disabled subcharts
// are removed, imported values merged).
type Chart struct {
	Name       string
	Version    string
	AppVersion string
	// Source is where the chart came from (the Ref's source, or a path).
	Source string
	// Digest is "sha256:<hex>" of the archive, or for a chart directory a
	// digest of its files' paths and contents.
	Digest string

	archive []byte
	dir     string
}

// String names the chart in messages: "chart airflow 1.19.0".
func (c *Chart) String() string {
	return fmt.Sprintf("chart %s %s", c.Name, c.Version)
}

// load parses the chart's content into Helm's in-memory form.
func (c *Chart) load() (*helmchart.Chart, error) {
	var (
		hc  *helmchart.Chart
		err error
	)
	if c.dir != "" {
		hc, err = loader.LoadDir(c.dir)
	} else {
		hc, err = loader.LoadArchive(bytes.NewReader(c.archive))
	}
	if err != nil {
		return nil, fmt.Errorf("%s (%s): cannot load: %w", c, c.Source, err)
	}
	return hc, nil
}

// LoadArchive makes a Chart of a chart archive's bytes; source says where
// the bytes came from, for messages.
func LoadArchive(data []byte, source string) (*Chart, error) {
	c := &Chart{Source: source, Digest: "sha256:" + sha256Hex(data), archive: data}
	hc, err := loader.LoadArchive(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s is not a chart archive: %w", source, err)
	}
	c.setMetadata(hc)
	return c, nil
}

// LoadLocal loads a chart directory or a .tgz file from disk.
func LoadLocal(path string) (*Chart, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", path, withoutPath(err))
	}
	if !fi.IsDir() {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("chart %s: %w", path, withoutPath(err))
		}
		return LoadArchive(data, path)
	}
	hc, err := loader.LoadDir(path)
	if err != nil {
		return nil, fmt.Errorf("chart directory %s: %w", path, err)
	}
	c := &Chart{Source: path, Digest: rawDigest(hc), dir: path}
	c.setMetadata(hc)
	return c, nil
}

// withoutPath drops the operation and path from a file error whose message
// already names the path.
func withoutPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (c *Chart) setMetadata(hc *helmchart.Chart) {
	if hc.Metadata == nil {
		return
	}
	c.Name = hc.Metadata.Name
	c.Version = hc.Metadata.Version
	c.AppVersion = hc.Metadata.AppVersion
}

// rawDigest hashes every file Helm loaded from a chart directory (after
// .helmignore, following symbolic links, subcharts included) by name and
// content. It keys the render cache for a chart directory: any change to a
// file Helm reads is a new chart.
func rawDigest(hc *helmchart.Chart) string {
	files := slices.Clone(hc.Raw)
	slices.SortFunc(files, func(a, b *common.File) int { return strings.Compare(a.Name, b.Name) })
	var buf bytes.Buffer
	for _, f := range files {
		// Lengths before each part keep ("ab","c") and ("a","bc") apart.
		buf.Write(binary.AppendUvarint(nil, uint64(len(f.Name))))
		buf.WriteString(f.Name)
		buf.Write(binary.AppendUvarint(nil, uint64(len(f.Data))))
		buf.Write(f.Data)
	}
	return "sha256:" + sha256Hex(buf.Bytes())
}

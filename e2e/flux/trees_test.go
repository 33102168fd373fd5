package flux

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ydpgen/ydpgen/hydrate"
	"github.com/ydpgen/ydpgen/internal/charttest"
	"github.com/ydpgen/ydpgen/internal/gitserver"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/render"
	"github.com/ydpgen/ydpgen/spec"
)

// Placeholders in the hand-written tree for the loopback servers, whose
// ports are known only at run time. Both are valid URLs, so the tree builds
// with kustomize as it is.
const (
	gitURLPlaceholder  = "http://git.placeholder.invalid/platform.git"
	helmURLPlaceholder = "http://helm-repository.placeholder.invalid"
)

// sourceURLs are the loopback servers that stand in for the spec's git
// repository and the Airflow chart repository.
type sourceURLs struct {
	git  string
	helm string
}

// treeSource produces the two trees the loop commits.
type treeSource struct {
	name string
	// write puts version v of the tree (0: the first commit, 1: after the
	// change) into dir, the repository's work tree, with the sources
	// pointing at urls. It returns where in dir the rendered tree starts
	// (gitops.path), as a slash-separated relative path ("" for the root).
	write func(dir string, v int, urls sourceURLs) (string, error)
}

// treeSources returns one source per example whose spec sets
// gitops.engine: flux, or else the hand-written tree.
func treeSources(t *testing.T) []treeSource {
	t.Helper()
	root := moduleRoot(t)
	s, err := spec.New()
	if err != nil {
		t.Fatalf("loading the schema: %v", err)
	}
	specs, err := filepath.Glob(filepath.Join(root, "examples", "*", "platform.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(specs)
	var out []treeSource
	for _, spec := range specs {
		p, err := loadSpec(s, root, spec)
		if err != nil {
			t.Fatalf("%v", err)
		}
		if !usesFlux(p) {
			continue
		}
		out = append(out, renderedTree(s, root, spec, charttest.Charts(t)))
	}
	if len(out) == 0 {
		t.Logf("no example sets gitops.engine: flux; syncing the hand-written tree in testdata instead")
		out = append(out, handWrittenTree())
	}
	return out
}

func loadSpec(s *spec.Schema, root, spec string) (*model.Platform, error) {
	src, err := os.ReadFile(spec)
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(root, spec)
	if err != nil {
		return nil, err
	}
	p, err := s.Load(filepath.ToSlash(rel), src)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", rel, err)
	}
	return p, nil
}

func usesFlux(p *model.Platform) bool {
	for _, env := range p.Environments {
		if env.GitOps.Engine == "flux" {
			return true
		}
	}
	return false
}

// handWrittenTree copies testdata/tree-v1 or tree-v2, replacing the URL
// placeholders.
func handWrittenTree() treeSource {
	return treeSource{
		name: "hand-written",
		write: func(dir string, v int, urls sourceURLs) (string, error) {
			src := filepath.Join("testdata", fmt.Sprintf("tree-v%d", v+1))
			r := strings.NewReplacer(gitURLPlaceholder, urls.git, helmURLPlaceholder, urls.helm)
			return "", copyTree(src, dir, r)
		},
	}
}

// renderedTree renders an example with its git repository and chart
// repository pointed at the loopback servers (set in the loaded model: the
// schema accepts only https and ssh git URLs) and, for version 1, with
// changeSpec applied.
func renderedTree(s *spec.Schema, root, spec string, charts *hydrate.Charts) treeSource {
	name := filepath.Base(filepath.Dir(spec))
	return treeSource{
		name: name,
		write: func(dir string, v int, urls sourceURLs) (string, error) {
			p, err := loadSpec(s, root, spec)
			if err != nil {
				return "", err
			}
			sub := ""
			for i := range p.Environments {
				env := &p.Environments[i]
				env.GitOps.RepoURL = urls.git
				env.GitOps.Revision = gitserver.Branch
				// The loopback server asks for no credentials.
				env.GitOps.Flux.SecretName = ""
				// A hydrated chart is in the tree; only a HelmRelease
				// reads the repository.
				if !env.Airflow.Chart.Hydrate {
					env.Airflow.Chart.Repository = urls.helm
				}
				// This loop has no age key in flux-system: an example that
				// keeps SOPS files runs here with the manual provider.
				if env.Secrets.Provider == model.ProviderSOPS {
					env.Secrets = model.Secrets{Provider: "manual", ExternalSecrets: env.Secrets.ExternalSecrets}
				}
				if v == 1 {
					changeSpec(env)
				}
				if i == 0 {
					sub = env.GitOps.Path
				} else if env.GitOps.Path != sub {
					return "", fmt.Errorf("%s: environments render into different gitops.path values (%q, %q)", name, sub, env.GitOps.Path)
				}
			}
			res, err := render.Platform(p, render.Options{Verify: true, Charts: charts})
			if err != nil {
				return "", fmt.Errorf("rendering %s: %w", name, err)
			}
			// The Kustomizations' paths start at the repository root;
			// the tree sits under gitops.path there.
			sub = path.Clean("/" + sub)[1:]
			base := filepath.Join(dir, filepath.FromSlash(sub))
			for _, f := range res.Tree.Files() {
				out := filepath.Join(base, filepath.FromSlash(f.Path))
				if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
					return "", err
				}
				if err := os.WriteFile(out, f.Data, 0o644); err != nil {
					return "", err
				}
			}
			return sub, nil
		},
	}
}

// changeSpec is the second commit's edit of a spec: a Job's input (the
// ring1-init Job's memory limit, which its hash name follows), a ConfigMap
// value (DataSurface's log level in <psp>-logging-config) and an optional
// component removed (the MCP server).
func changeSpec(env *model.Environment) {
	env.DataSurface.Jobs.Ring1Init.Resources.Limits.Memory = "3Gi"
	if env.DataSurface.Logging.Level == "DEBUG" {
		env.DataSurface.Logging.Level = "INFO"
	} else {
		env.DataSurface.Logging.Level = "DEBUG"
	}
	env.DataSurface.MCPServer.Enabled = false
}

// copyTree copies the regular files under src to dst, passing their
// contents through r.
func copyTree(src, dst string, r *strings.Replacer) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file", p)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, []byte(r.Replace(string(b))), 0o644)
	})
}

// moduleRoot walks up from the package directory to the go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		} else if !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

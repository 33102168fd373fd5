package gitserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Branch is the branch every repository is created with and Commit writes.
const Branch = "main"

// Server is a running git smart-HTTP server, stopped by the t.Cleanup that
// Start registers.
type Server struct {
	t    testing.TB
	git  string // absolute path of the git program
	root string // GIT_PROJECT_ROOT: the bare repositories live here
	url  string // http://127.0.0.1:<port>
	// user and password, when set, are the one account every request
	// must authenticate as (HTTP basic authentication).
	user, password string
}

// Option changes how Start serves.
type Option func(*Server)

// WithBasicAuth makes every request authenticate as user with password,
// as a git host asks for a token: other requests get 401 and git asks its
// credential helper, then fails with "Authentication failed".
func WithBasicAuth(user, password string) Option {
	return func(s *Server) { s.user, s.password = user, password }
}

// Repo is one bare repository served by a Server.
type Repo struct {
	srv  *Server
	name string
	dir  string
}

// Start serves a fresh, empty project root on a free 127.0.0.1 port. It
// calls t.Fatal if git is missing or the port cannot be opened.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	git, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("gitserver: git is not installed: %v", err)
	}
	s := &Server{t: t, git: git, root: t.TempDir()}
	for _, o := range opts {
		o(s)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("gitserver: listen: %v", err)
	}
	s.url = "http://" + l.Addr().String()

	backend := &cgi.Handler{
		Path: git,
		Args: []string{"http-backend"},
		Dir:  s.root,
		Env: []string{
			"GIT_PROJECT_ROOT=" + s.root,
			// Serve every repository under the root without a
			// git-daemon-export-ok marker file.
			"GIT_HTTP_EXPORT_ALL=1",
		},
		// Keep the user's git configuration (safe.directory, url
		// rewrites, credential helpers) out of the server.
		InheritEnv: []string{"PATH"},
		Stderr:     &testLogWriter{t: t},
	}
	var handler http.Handler = backend
	if s.user != "" {
		handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != s.user || p != s.password {
				w.Header().Set("WWW-Authenticate", `Basic realm="gitserver"`)
				http.Error(w, "authentication required", http.StatusUnauthorized)
				return
			}
			backend.ServeHTTP(w, r)
		})
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Logf("gitserver: serve: %v", err)
		}
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
		}
		<-done
	})
	return s
}

// URL returns the server's base URL, http://127.0.0.1:<port>.
func (s *Server) URL() string { return s.url }

// NewRepo creates an empty bare repository name.git whose HEAD is Branch.
// name is lowercase letters, digits, '.', '_' and '-'.
func (s *Server) NewRepo(name string) (*Repo, error) {
	if !validName(name) {
		return nil, fmt.Errorf("gitserver: repository name %q: want lowercase letters, digits, '.', '_' or '-'", name)
	}
	dir := filepath.Join(s.root, name+".git")
	if _, err := os.Stat(dir); err == nil {
		return nil, fmt.Errorf("gitserver: repository %s exists", name)
	}
	if _, err := s.run(nil, "", "init", "--quiet", "--bare", "--initial-branch="+Branch, dir); err != nil {
		return nil, err
	}
	return &Repo{srv: s, name: name, dir: dir}, nil
}

// URL returns the clone URL of the repository.
func (r *Repo) URL() string { return r.srv.url + "/" + r.name + ".git" }

// AllowPush lets clients push to the repository: git http-backend refuses
// pushes from a client it has not authenticated itself.
func (r *Repo) AllowPush() error {
	_, err := r.srv.run([]string{"GIT_DIR=" + r.dir}, "", "config", "http.receivepack", "true")
	return err
}

// Dir returns the directory of the bare repository.
func (r *Repo) Dir() string { return r.dir }

// Commit records the files under tree (all of them, nothing else: files
// removed since the last commit are removed from the branch) as a new commit
// on Branch, and returns its full hash. An empty tree is an error.
func (r *Repo) Commit(tree, message string) (string, error) {
	tree, err := filepath.Abs(tree)
	if err != nil {
		return "", err
	}
	// A fresh index per commit, filled from tree alone, so that the commit
	// holds exactly that tree whatever the previous one held.
	idx, err := os.CreateTemp("", "gitserver-index-*")
	if err != nil {
		return "", err
	}
	idxPath := idx.Name()
	idx.Close()
	os.Remove(idxPath) // git wants to create it itself
	defer os.Remove(idxPath)

	env := []string{
		"GIT_DIR=" + r.dir,
		"GIT_WORK_TREE=" + tree,
		"GIT_INDEX_FILE=" + idxPath,
	}
	if _, err := r.srv.run(env, tree, "add", "--all", "--force", "."); err != nil {
		return "", err
	}
	treeHash, err := r.srv.run(env, tree, "write-tree")
	if err != nil {
		return "", err
	}
	args := []string{"commit-tree", treeHash, "-m", message}
	if parent, err := r.srv.run(env, tree, "rev-parse", "--verify", "--quiet", "refs/heads/"+Branch); err == nil && parent != "" {
		args = append(args, "-p", parent)
	}
	commit, err := r.srv.run(env, tree, args...)
	if err != nil {
		return "", err
	}
	if _, err := r.srv.run(env, tree, "update-ref", "refs/heads/"+Branch, commit); err != nil {
		return "", err
	}
	return commit, nil
}

// Head returns the hash Branch points at.
func (r *Repo) Head() (string, error) {
	return r.srv.run([]string{"GIT_DIR=" + r.dir}, "", "rev-parse", "--verify", "refs/heads/"+Branch)
}

// validName: a lowercase letter or digit, then lowercase letters, digits,
// '.', '_' or '-'. Nothing that could climb out of the project root.
func validName(name string) bool {
	if name == "" {
		return false
	}
	for i, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// run runs git with a clean environment plus env, and returns its trimmed
// standard output.
func (s *Server) run(env []string, dir string, args ...string) (string, error) {
	cmd := exec.Command(s.git, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + s.root, // no ~/.gitconfig of the user
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=ydpgen test", "GIT_AUTHOR_EMAIL=test@ydpgen.invalid",
		"GIT_COMMITTER_NAME=ydpgen test", "GIT_COMMITTER_EMAIL=test@ydpgen.invalid",
	}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// testLogWriter sends what git http-backend writes to stderr to the test
// log, where a failed clone can be understood.
type testLogWriter struct{ t testing.TB }

func (w *testLogWriter) Write(p []byte) (int, error) {
	w.t.Logf("gitserver: git http-backend: %s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

package pgtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BinDirEnv names the variable that points at a directory holding initdb,
// postgres, pg_isready and psql, instead of /usr/lib/postgresql/*/bin.
const BinDirEnv = "YDPGEN_PG_BIN"

// MinMajor is the oldest PostgreSQL whose psql has \getenv.
const MinMajor = 15

// Install says how to get the binaries; failures quote it.
const Install = "install them with hack/deps.sh (apt-get install -y postgresql postgresql-client), " +
	"or set " + BinDirEnv + " to a directory holding initdb, postgres, pg_isready and psql"

// Superuser is the name of the server's superuser; its password is
// Server.Password.
const Superuser = "ydpgen_admin"

// Server is a running PostgreSQL.
type Server struct {
	BinDir   string
	Host     string
	Port     int
	Major    int
	Password string
	dir      string
	log      string
	cmd      *exec.Cmd
	done     chan error
}

// BinDir finds the directory of the PostgreSQL binaries: YDPGEN_PG_BIN, or
// the newest /usr/lib/postgresql/<major>/bin that has them all.
func BinDir() (string, error) {
	need := []string{"initdb", "postgres", "pg_isready", "psql"}
	has := func(dir string) error {
		for _, n := range need {
			fi, err := os.Stat(filepath.Join(dir, n))
			if err != nil {
				return err
			}
			if fi.IsDir() || fi.Mode()&0o111 == 0 {
				return fmt.Errorf("%s is not an executable file", filepath.Join(dir, n))
			}
		}
		return nil
	}
	if dir := os.Getenv(BinDirEnv); dir != "" {
		if err := has(dir); err != nil {
			return "", fmt.Errorf("%s=%s: %w; %s", BinDirEnv, dir, err, Install)
		}
		return dir, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	// Newest major first: 9.6 and 10 sort wrong as strings.
	slices.SortFunc(dirs, func(a, b string) int { return majorOf(b) - majorOf(a) })
	for _, d := range dirs {
		if has(d) == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("no PostgreSQL server binaries (initdb, postgres, pg_isready, psql) under /usr/lib/postgresql/*/bin: %s", Install)
}

func majorOf(binDir string) int {
	n, _ := strconv.Atoi(strings.Split(filepath.Base(filepath.Dir(binDir)), ".")[0])
	return n
}

// Start initialises and starts a server, and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := BinDir()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(bin, "postgres"), "--version").Output()
	if err != nil {
		t.Fatalf("%s/postgres --version: %v", bin, err)
	}
	m := regexp.MustCompile(`\) (\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("cannot read the version in %q", out)
	}
	major, _ := strconv.Atoi(string(m[1]))
	if major < MinMajor {
		t.Fatalf("PostgreSQL %d in %s: psql needs \\getenv, from PostgreSQL %d; %s", major, bin, MinMajor, Install)
	}

	cred, err := runAs()
	if err != nil {
		t.Fatal(err)
	}
	// Not t.TempDir: its parents are private to root, and the server's
	// user must reach this directory.
	dir, err := os.MkdirTemp("", "ydpgen-pgtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if cred != nil {
		if err := os.Chown(dir, int(cred.uid), int(cred.gid)); err != nil {
			t.Fatal(err)
		}
	}
	s := &Server{BinDir: bin, Host: "127.0.0.1", Major: major, Password: "test-only-superuser-pw", dir: dir, log: filepath.Join(dir, "server.log")}
	pwfile := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(s.Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if cred != nil {
		if err := os.Chown(pwfile, int(cred.uid), int(cred.gid)); err != nil {
			t.Fatal(err)
		}
	}
	initdb := s.command(cred, "initdb", "--pgdata", filepath.Join(dir, "data"), "--username", Superuser, "--pwfile", pwfile,
		"--auth", "scram-sha-256", "--encoding", "UTF8", "--locale", "C", "--no-sync", "--no-instructions")
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}

	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	s.Port = port
	logf, err := os.Create(s.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	s.cmd = s.command(cred, "postgres", "-D", filepath.Join(dir, "data"), "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+dir,
		// A throwaway server: durability costs time and buys nothing.
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting postgres: %v", err)
	}
	s.done = make(chan error, 1)
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() { s.stop(t) })

	deadline := time.Now().Add(60 * time.Second)
	for {
		ready := exec.Command(filepath.Join(bin, "pg_isready"), "--quiet", "--host", s.Host, "--port", strconv.Itoa(port))
		if ready.Run() == nil {
			break
		}
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("postgres exited while starting: %v\n%s", err, s.Log())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("postgres did not accept connections within a minute\n%s", s.Log())
		}
	}
	return s
}

// account is a user to run PostgreSQL as; nil is the test's own.
type account struct{ uid, gid uint32 }

// command runs a PostgreSQL program as the server's user (see
// serverAttrs).
func (s *Server) command(as *account, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.BinDir, name), args...)
	cmd.Dir = s.dir
	cmd.Env = []string{"LC_ALL=C", "PATH=" + s.BinDir + ":/usr/bin:/bin"}
	cmd.SysProcAttr = serverAttrs(as)
	return cmd
}

// runAs is the user to run PostgreSQL as: nil (the test's own) unless the
// test runs as root.
func runAs() (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		return &account{uid: uint32(uid), gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root, and there is neither a postgres nor a nobody user to run PostgreSQL as (it refuses root)")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// stop asks for a fast shutdown of exactly the server this Start began, and
// kills it if it does not stop within half a minute.
func (s *Server) stop(t testing.TB) {
	if t.Failed() {
		t.Logf("server log:\n%s", s.Log())
	}
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("stopping postgres: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		t.Errorf("postgres did not stop within 30 s of a fast shutdown request; killed")
	}
}

// Log returns what the server has written.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.log)
	return string(b)
}

// Env is a client environment that connects to the server as user, with
// password, to database db.
func (s *Server) Env(user, password, db string) []string {
	return []string{
		"PGHOST=" + s.Host, "PGPORT=" + strconv.Itoa(s.Port), "PGUSER=" + user, "PGPASSWORD=" + password,
		"PGDATABASE=" + db, "PGSSLMODE=disable", "PGCONNECT_TIMEOUT=10", "LC_ALL=C",
		"PATH=" + s.BinDir + ":/usr/bin:/bin",
	}
}

// Query runs sql with psql as user in database db and returns its rows,
// unaligned, one a line, fields separated by '|'.
func (s *Server) Query(user, password, db, sql string) (string, error) {
	cmd := exec.Command(filepath.Join(s.BinDir, "psql"), "--no-psqlrc", "--set", "ON_ERROR_STOP=1",
		"--tuples-only", "--no-align", "--command", sql)
	cmd.Env = s.Env(user, password, db)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("psql as %s in %s: %v: %s", user, db, err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimRight(stdout.String(), "\n"), nil
}

// Admin runs sql as the superuser in database db and fails the test on error.
func (s *Server) Admin(t testing.TB, db, sql string) string {
	t.Helper()
	out, err := s.Query(Superuser, s.Password, db, sql)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

package datasurface

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ydpgen/ydpgen/internal/gitserver"
)

// The publish script runs here against a git smart-HTTP server on loopback
// that asks for a token, with a stand-in for ring 0 that writes a DAG made
// from the model, so that the same model gives the same DAG.

const (
	gitUser  = "x-access-token"
	gitToken = "s3cret-token"
	dagFile  = "demo_psp_infrastructure_dag.py"
)

// standInRing0 takes ring 0's flags and writes <output>/<psp>/<file> from
// the model's eco.py.
const standInRing0 = `#!/bin/sh
set -eu
while [ "$#" -gt 0 ]; do
	case "$1" in
	--model) model=$2; shift ;;
	--output) out=$2; shift ;;
	--psp) psp=$2; shift ;;
	esac
	shift
done
mkdir -p "$out/$psp"
{ echo "# infrastructure DAG of $psp"; cat "$model/eco.py"; } >"$out/$psp/demo_psp_infrastructure_dag.py"
`

type publishFixture struct {
	t      *testing.T
	srv    *gitserver.Server
	model  *gitserver.Repo
	dags   *gitserver.Repo
	dir    string // scratch
	ring0  string // the stand-in's path
	script string // the publish script's path
}

func newPublishFixture(t *testing.T) *publishFixture {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	f := &publishFixture{t: t, srv: gitserver.Start(t, gitserver.WithBasicAuth(gitUser, gitToken)), dir: t.TempDir()}
	var err error
	if f.model, err = f.srv.NewRepo("model"); err != nil {
		t.Fatal(err)
	}
	if f.dags, err = f.srv.NewRepo("dags"); err != nil {
		t.Fatal(err)
	}
	if err := f.dags.AllowPush(); err != nil {
		t.Fatal(err)
	}
	f.ring0 = f.write("ring0.sh", standInRing0, 0o755)
	f.script = f.write("publish.sh", PublishScript(), 0o644)
	f.commitModel("version = 1\n")
	return f
}

func (f *publishFixture) write(name, content string, mode os.FileMode) string {
	f.t.Helper()
	p := filepath.Join(f.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *publishFixture) commitModel(eco string) {
	f.t.Helper()
	tree := f.t.TempDir()
	if err := os.WriteFile(filepath.Join(tree, "eco.py"), []byte(eco), 0o644); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.model.Commit(tree, "model"); err != nil {
		f.t.Fatal(err)
	}
}

// git runs git on the bare DAG repository.
func (f *publishFixture) git(args ...string) string {
	f.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Env = append(os.Environ(), "GIT_DIR="+f.dags.Dir(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+f.dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		f.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func (f *publishFixture) head() string {
	f.t.Helper()
	h, _ := f.dags.Head()
	return h
}

// run runs the publish script once, with extra environment; it returns the
// combined output and whether it succeeded.
func (f *publishFixture) run(extra ...string) (string, bool) {
	f.t.Helper()
	work := f.t.TempDir()
	cmd := exec.Command("/bin/sh", f.script, "/bin/sh", f.ring0, "generatePlatformBootstrap", "--ringLevel", "0",
		"--model", filepath.Join(work, "model"), "--output", filepath.Join(work, "generated"), "--psp", "Demo_PSP", "--rte-name", "lab")
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + work,
		"GIT_CONFIG_NOSYSTEM=1",
		"MODEL_REPOSITORY=" + f.model.URL(), "MODEL_REF=" + gitserver.Branch, "MODEL_DIR=" + filepath.Join(work, "model"),
		"MODEL_GIT_USERNAME=" + gitUser, "MODEL_GIT_PASSWORD=" + gitToken,
		"GENERATED_DIR=" + filepath.Join(work, "generated", "Demo_PSP"), "DAG_FILE=" + dagFile,
		"DAG_REPOSITORY=" + f.dags.URL(), "DAG_BRANCH=" + gitserver.Branch, "DAG_PATH=dags",
		"DAG_GIT_USERNAME=" + gitUser, "DAG_GIT_PASSWORD=" + gitToken, "DAG_CREDENTIAL=the credential git-dags (Secret git-dags)",
		"WORK_DIR=" + filepath.Join(work, "scratch"), "PUSH_ATTEMPTS=3",
	}, extra...)
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

// concurrentCommit installs a pre-push hook that, the first time any push
// runs, pushes a commit of its own to the DAG branch first: the branch
// moves between the publish script's fetch and its push. It writes file
// with content.
func (f *publishFixture) concurrentCommit(file, content string) []string {
	f.t.Helper()
	hooks := filepath.Join("hooks", filepath.Base(f.t.TempDir()))
	url := strings.Replace(f.dags.URL(), "http://", "http://"+gitUser+":"+gitToken+"@", 1)
	f.write(filepath.Join(hooks, "pre-push"), `#!/bin/sh
set -eu
marker="$(dirname "$0")/done"
[ ! -e "$marker" ] || exit 0
touch "$marker"
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
d=$(mktemp -d)
git clone --quiet "`+url+`" "$d"
mkdir -p "$d/$(dirname "`+file+`")"
printf '%s' '`+content+`' >"$d/`+file+`"
git -C "$d" add -A
git -C "$d" -c user.name=someone -c user.email=someone@example.com commit --quiet -m "someone else"
git -C "$d" push --quiet origin HEAD:`+gitserver.Branch+`
`, 0o755)
	return []string{"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=core.hooksPath", "GIT_CONFIG_VALUE_0=" + filepath.Join(f.dir, hooks)}
}

func TestPublishScript(t *testing.T) {
	f := newPublishFixture(t)

	// First run: the branch does not exist; the script makes it with one
	// commit holding the DAG under the subPath.
	out, ok := f.run()
	if !ok || !strings.Contains(out, "does not exist yet: creating it") || !strings.Contains(out, "published "+dagFile) {
		t.Fatalf("first run:\n%s", out)
	}
	if n := f.git("rev-list", "--count", gitserver.Branch); n != "1" {
		t.Errorf("first run made %s commits, want 1", n)
	}
	if got := f.git("show", gitserver.Branch+":dags/"+dagFile); got != "# infrastructure DAG of Demo_PSP\nversion = 1" {
		t.Errorf("published DAG %q", got)
	}

	// Second run, same model: nothing to commit.
	before := f.head()
	out, ok = f.run()
	if !ok || !strings.Contains(out, "nothing to commit") || f.head() != before {
		t.Fatalf("second run changed %s to %s:\n%s", before, f.head(), out)
	}

	// The model changes and someone pushes to the branch meanwhile: the
	// script rebases onto their commit and publishes on top of it.
	f.commitModel("version = 2\n")
	out, ok = f.run(f.concurrentCommit("README.md", "the DAGs of the lab")...)
	if !ok || !strings.Contains(out, "moved while publishing: rebasing") {
		t.Fatalf("run with a concurrent commit:\n%s", out)
	}
	if got := f.git("log", "--format=%s", gitserver.Branch); got != "Publish the infrastructure DAG "+dagFile+" (ydpgen)\nsomeone else\nPublish the infrastructure DAG "+dagFile+" (ydpgen)" {
		t.Errorf("history after the rebase:\n%s", got)
	}
	if got := f.git("show", gitserver.Branch+":dags/"+dagFile); !strings.HasSuffix(got, "version = 2") {
		t.Errorf("published DAG %q", got)
	}

	// Someone else changes the DAG itself meanwhile: the rebase conflicts
	// and the script stops without forcing their commit away.
	f.commitModel("version = 3\n")
	out, ok = f.run(f.concurrentCommit("dags/"+dagFile, "edited by hand")...)
	theirs := f.head()
	if ok || !strings.Contains(out, "conflicts with ring 0's") || !strings.Contains(out, "nothing was forced") {
		t.Fatalf("run with a conflicting commit succeeded or said too little:\n%s", out)
	}
	if got := f.git("show", gitserver.Branch+":dags/"+dagFile); got != "edited by hand" || f.git("log", "-1", "--format=%s", theirs) != "someone else" {
		t.Errorf("the conflicting commit was overwritten: %q", got)
	}
}

func TestPublishScriptRefusals(t *testing.T) {
	f := newPublishFixture(t)

	// A token the host does not take: the message names the credential and
	// what to check.
	out, ok := f.run("DAG_GIT_PASSWORD=wrong")
	if ok || !strings.Contains(out, "cannot read the DAG repository "+f.dags.URL()+" with the credential git-dags (Secret git-dags): check that the token is valid") {
		t.Errorf("wrong credential:\n%s", out)
	}
	if _, err := f.dags.Head(); err == nil {
		t.Error("a branch was made with a wrong credential")
	}

	// A model the credential cannot read.
	out, ok = f.run("MODEL_GIT_PASSWORD=wrong")
	if ok || !strings.Contains(out, "cannot clone the model "+f.model.URL()) {
		t.Errorf("wrong model credential:\n%s", out)
	}

	// A host that lets the credential read but not push: not a race, so no
	// retry, and the message says so.
	readOnly, err := f.srv.NewRepo("read-only")
	if err != nil {
		t.Fatal(err)
	}
	out, ok = f.run("DAG_REPOSITORY=" + readOnly.URL())
	if ok || !strings.Contains(out, "was refused: check that the credential git-dags (Secret git-dags) may push") || strings.Contains(out, "rebasing") {
		t.Errorf("push refused:\n%s", out)
	}

	// Ring 0 that writes no DAG for the PSP.
	out, ok = f.run("DAG_FILE=other_infrastructure_dag.py")
	if ok || !strings.Contains(out, "ring 0 wrote no other_infrastructure_dag.py") {
		t.Errorf("missing DAG:\n%s", out)
	}
}

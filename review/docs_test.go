package review

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestCIExamples checks that the pull-request workflow examples are valid
// YAML of the right shape and run the commands docs/review.md describes.
func TestCIExamples(t *testing.T) {
	type step struct {
		Name string            `json:"name"`
		Uses string            `json:"uses"`
		Run  string            `json:"run"`
		If   string            `json:"if"`
		With map[string]any    `json:"with"`
		Env  map[string]string `json:"env"`
	}
	type github struct {
		Name string `json:"name"`
		// "on" is read as YAML 1.1's boolean true by this decoder.
		On          map[string]any    `json:"true"`
		Permissions map[string]string `json:"permissions"`
		Env         map[string]string `json:"env"`
		Jobs        map[string]struct {
			RunsOn string `json:"runs-on"`
			Steps  []step `json:"steps"`
		} `json:"jobs"`
	}
	type gitlabJob struct {
		Stage     string            `json:"stage"`
		Image     string            `json:"image"`
		Rules     []map[string]any  `json:"rules"`
		Variables map[string]string `json:"variables"`
		Script    []string          `json:"script"`
		Artifacts map[string]any    `json:"artifacts"`
	}
	type gitlab struct {
		Stages []string  `json:"stages"`
		Job    gitlabJob `json:"ydpgen-review"`
	}

	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	wantCommands := func(file, script string) {
		for _, w := range []string{"ydpgen render --check", "ydpgen diff", "--against-ref", "--format markdown", "go install github.com/ydpgen/ydpgen/cmd/ydpgen@v0.1.0", "'" + Marker + "'"} {
			if !strings.Contains(script, w) {
				t.Errorf("%s does not run %q", file, w)
			}
		}
	}

	var gh github
	if err := yaml.UnmarshalStrict(read("../docs/ci/github-actions.yml"), &gh); err != nil {
		t.Fatalf("docs/ci/github-actions.yml: %v", err)
	}
	if gh.On["pull_request"] == nil || gh.Permissions["pull-requests"] != "write" || len(gh.Jobs) != 1 {
		t.Errorf("docs/ci/github-actions.yml: on %v, permissions %v, %d jobs", gh.On, gh.Permissions, len(gh.Jobs))
	}
	var script strings.Builder
	for _, j := range gh.Jobs {
		for _, s := range j.Steps {
			if (s.Uses == "") == (s.Run == "") {
				t.Errorf("docs/ci/github-actions.yml: step %q needs exactly one of uses and run", s.Name)
			}
			script.WriteString(s.Run + "\n")
			bashSyntax(t, "docs/ci/github-actions.yml step "+s.Name, s.Run)
		}
	}
	wantCommands("docs/ci/github-actions.yml", script.String())
	for _, w := range []string{"gh pr comment", "--method PATCH"} {
		if !strings.Contains(script.String(), w) {
			t.Errorf("docs/ci/github-actions.yml does not run %q", w)
		}
	}
	if strings.Contains(script.String(), "--edit-last") {
		t.Error("docs/ci/github-actions.yml edits the last comment of any bot, not its own by the marker")
	}

	var gl gitlab
	if err := yaml.UnmarshalStrict(read("../docs/ci/gitlab-ci.yml"), &gl); err != nil {
		t.Fatalf("docs/ci/gitlab-ci.yml: %v", err)
	}
	if len(gl.Stages) == 0 || gl.Job.Stage != gl.Stages[0] || gl.Job.Image == "" || len(gl.Job.Rules) == 0 {
		t.Errorf("docs/ci/gitlab-ci.yml: job %+v", gl.Job)
	}
	wantCommands("docs/ci/gitlab-ci.yml", strings.Join(gl.Job.Script, "\n"))
	bashSyntax(t, "docs/ci/gitlab-ci.yml", strings.Join(gl.Job.Script, "\n"))
	for _, w := range []string{"/notes", "--request PUT", "--request POST"} {
		if !strings.Contains(strings.Join(gl.Job.Script, "\n"), w) {
			t.Errorf("docs/ci/gitlab-ci.yml does not run %q", w)
		}
	}
}

// TestReviewDocs checks that docs/review.md explains every risk flag.
func TestReviewDocs(t *testing.T) {
	b, err := os.ReadFile("../docs/review.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Rules() {
		if !strings.Contains(string(b), "\n### "+r.ID+"\n") {
			t.Errorf("docs/review.md has no section ### %s", r.ID)
		}
	}
}

// bashSyntax fails when script does not parse as a bash script (bash -n
// reads it without running anything).
func bashSyntax(t *testing.T, what, script string) {
	t.Helper()
	if script == "" {
		return
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	cmd := exec.Command("bash", "-n")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%s is not a valid bash script: %v\n%s", what, err, out)
	}
}

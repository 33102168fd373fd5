package airflow

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/ydpgen/ydpgen/internal/exampletest"
	"github.com/ydpgen/ydpgen/model"
)

// TestAdminPasswordComesFromASecret holds the rule that the admin user's
// password is read from the admin credential's Secret when the job runs,
// and is never in the values file (where the chart's default would put it
// as a literal argument).
func TestAdminPasswordComesFromASecret(t *testing.T) {
	for _, env := range exampletest.Environments(t) {
		f := env.Platform + "/" + env.Name
		{
			v, err := Build(env)
			if err != nil {
				t.Fatal(err)
			}
			job := v.CreateUserJob
			i := slices.IndexFunc(job.Env, func(e corev1.EnvVar) bool { return e.Name == AdminPasswordEnv })
			if i < 0 {
				t.Fatalf("%s: createUserJob.env has no %s", f, AdminPasswordEnv)
			}
			e := job.Env[i]
			if e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
				t.Fatalf("%s: %s is not read from a Secret: %+v", f, AdminPasswordEnv, e)
			}
			if ref := e.ValueFrom.SecretKeyRef; ref.Name != model.K8sName(env.Airflow.Admin.Credential) || ref.Key != "PASSWORD" {
				t.Errorf("%s: admin password from Secret %s key %s, want %s key PASSWORD", f, ref.Name, ref.Key, model.K8sName(env.Airflow.Admin.Credential))
			}
			cmd := strings.Join(job.Args, " ")
			if !strings.Contains(cmd, `--password "$`+AdminPasswordEnv+`"`) {
				t.Errorf("%s: the user-creation command does not pass $%s: %s", f, AdminPasswordEnv, cmd)
			}
			if n := strings.Count(cmd, "--password"); n != 1 {
				t.Errorf("%s: %d --password arguments in %s", f, n, cmd)
			}
			// Nothing called password holds a value anywhere in the values.
			b, err := yaml.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			var tree any
			if err := yaml.Unmarshal(b, &tree); err != nil {
				t.Fatal(err)
			}
			if p := findKey(tree, "password", ""); p != "" {
				t.Errorf("%s: the values hold a password at %s", f, p)
			}
		}
	}
}

func findKey(v any, key, at string) string {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if strings.EqualFold(k, key) {
				return at + "." + k
			}
			if p := findKey(x, key, at+"."+k); p != "" {
				return p
			}
		}
	case []any:
		for _, x := range t {
			if p := findKey(x, key, at+"[]"); p != "" {
				return p
			}
		}
	}
	return ""
}

package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"maps"
	"math/big"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/ydpgen/ydpgen/credentials"
	"github.com/ydpgen/ydpgen/generators/secrets"
	"github.com/ydpgen/ydpgen/internal/charttest"
	"github.com/ydpgen/ydpgen/internal/kubetest"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
	"github.com/ydpgen/ydpgen/render"
	ydspec "github.com/ydpgen/ydpgen/spec"
)

// scriptValue is what the test gives a typed key: spaces, both quotes, a
// backslash, '$', URL delimiters and non-ASCII, different per key.
func scriptValue(env, secret, key string) string {
	return fmt.Sprintf(`%s %s/%s: "d'q" \ $x @:/?#%% ünï€`, env, secret, key)
}

// runScript runs create-secrets.sh as a user would, without a terminal
// (a new session), and returns what it printed.
func runScript(t *testing.T, srv *kubetest.Server, path string, vars []string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command("sh", path)
	cmd.Env = append(append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "LC_ALL=C"}, srv.Env()...), vars...)
	cmd.Stdin = nil
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// TestE2ECreateSecretsScript runs the manual provider's create-secrets.sh of
// both onprem environments against a real API server: every Secret is
// created with exactly the values given (spaces, quotes and non-ASCII
// included), the connection URLs give back the database user's password,
// the namespace carries the overlay's labels, staging copies what it
// shares from prod's namespace, nothing is printed, and a second run
// changes no object.
func TestE2ECreateSecretsScript(t *testing.T) {
	srv := server(t)
	sch, err := ydspec.New()
	if err != nil {
		t.Fatal(err)
	}
	p := loadExample(t, sch, "onprem")
	// Namespaces of this test's own on the shared server.
	rename := func(ns string) string { return "script-" + ns }
	for i := range p.Environments {
		env := &p.Environments[i]
		env.Namespace.Name = rename(env.Namespace.Name)
		for j := range env.Shares {
			env.Shares[j].Partner.Namespace = rename(env.Shares[j].Partner.Namespace)
		}
	}
	res, err := render.Platform(p, render.Options{ObjectsOnly: true, Charts: charttest.Charts(t)})
	if err != nil {
		t.Fatal(err)
	}
	client, err := kubernetes.NewForConfig(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dir := t.TempDir()

	values := map[string]map[string]string{} // namespace, Secret/key: value
	pairs := map[string]map[string]string{}  // TLS Secret: key: PEM
	for i := range p.Environments {
		env := &p.Environments[i]
		r := res.Environments[i]
		script := fileOf(t, r, secrets.ScriptPath)
		path := filepath.Join(dir, env.Name+"-create-secrets.sh")
		if err := os.WriteFile(path, script, 0o644); err != nil {
			t.Fatal(err)
		}
		list, err := credentials.List(env)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{}
		var vars []string
		for _, s := range list {
			if s.IssuedBy != "" || (s.Shared != nil && s.Shared.Partner.SameCluster) {
				continue
			}
			if s.Kind == credentials.Registry {
				user, pass := scriptValue(env.Name, s.Name, "user"), scriptValue(env.Name, s.Name, "password")
				prefix := strings.ToUpper(strings.ReplaceAll("YDP_"+s.Name, "-", "_"))
				vars = append(vars, prefix+"_USERNAME="+user, prefix+"_PASSWORD="+pass)
				want[s.Name+"/login"] = user + ":" + pass
				continue
			}
			for _, k := range s.Layout.Keys {
				if !s.Typed(k) {
					continue
				}
				v := scriptValue(env.Name, s.Name, k.Name)
				name := envVarName(s.Name, k.Name)
				if k.File {
					f := filepath.Join(dir, env.Name+"-"+s.Name+"-"+k.Name)
					v += "\n-----END-----\n" // a file keeps its last newline
					if s.Kind == credentials.TLS {
						// The API server checks a TLS Secret's PEM.
						if pairs[s.Name] == nil {
							pairs[s.Name] = tlsPair(t)
						}
						v = pairs[s.Name][k.Name]
					}
					if err := os.WriteFile(f, []byte(v), 0o600); err != nil {
						t.Fatal(err)
					}
					vars = append(vars, name+"_FILE="+f)
				} else {
					vars = append(vars, name+"="+v)
				}
				want[s.Name+"/"+k.Name] = v
			}
		}
		values[env.Namespace.Name] = want

		// A missing value with no terminal to ask on: the script stops
		// and names the variable, before it creates anything.
		if i == 0 {
			_, stderr, err := runScript(t, srv, path, vars[1:])
			first := strings.SplitN(vars[0], "=", 2)[0]
			if err == nil || !strings.Contains(stderr, first) || strings.Contains(stderr, strings.SplitN(vars[1], "=", 2)[1]) {
				t.Errorf("%s: without %s: err %v, stderr %q", env.Name, first, err, stderr)
			}
		}

		stdout, stderr, err := runScript(t, srv, path, vars)
		if err != nil || stdout != "" || stderr != "" {
			t.Fatalf("%s: create-secrets.sh: %v\nstdout: %s\nstderr: %s", env.Name, err, stdout, stderr)
		}
		ns := env.Namespace.Name
		got, err := client.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		data := map[string]map[string][]byte{}
		versions := map[string]string{}
		for _, s := range got.Items {
			data[s.Name] = s.Data
			versions["secret/"+s.Name] = s.ResourceVersion
		}
		for _, s := range list {
			d, ok := data[s.Name]
			if s.IssuedBy != "" {
				if ok {
					t.Errorf("%s: the script created %s, which cert-manager writes", env.Name, s.Name)
				}
				continue
			}
			if !ok {
				t.Errorf("%s: Secret %s was not created", env.Name, s.Name)
				continue
			}
			if keys := slices.Sorted(maps.Keys(d)); !slices.Equal(keys, slices.Sorted(slices.Values(s.Layout.KeyNames()))) {
				t.Errorf("%s: Secret %s has keys %v, want %v", env.Name, s.Name, keys, s.Layout.KeyNames())
			}
			for _, k := range s.Layout.Keys {
				if w, typed := want[s.Name+"/"+k.Name]; typed && string(d[k.Name]) != w {
					t.Errorf("%s: %s/%s is %q, want %q", env.Name, s.Name, k.Name, d[k.Name], w)
				}
			}
			switch {
			case s.Kind == credentials.Registry:
				checkDockerConfig(t, s, d[credentials.DockerConfigKey], want[s.Name+"/login"], values[rename("demo1")][s.Name+"/login"])
			case s.Shared != nil && s.Shared.Partner.SameCluster:
				for _, k := range s.Layout.Keys {
					if w := values[s.Shared.Partner.Namespace][s.Name+"/"+k.Name]; string(d[k.Name]) != w {
						t.Errorf("%s: shared %s/%s is %q, want prod's %q", env.Name, s.Name, k.Name, d[k.Name], w)
					}
				}
			}
			for _, dk := range s.Derived {
				v, err := credentials.Evaluate(dk.Pieces, func(secret, key string) (string, bool) {
					x, ok := data[secret][key]
					return string(x), ok
				})
				if err != nil || string(d[dk.Key]) != v {
					t.Errorf("%s: derived %s/%s is %q, want %q (%v)", env.Name, s.Name, dk.Key, d[dk.Key], v, err)
				}
			}
		}
		// The metadata URL gives back exactly the user and password typed.
		md := model.K8sName(env.Airflow.MetadataDatabase.Credential)
		u, err := url.Parse(string(data[credentials.Chart(env).Metadata]["connection"]))
		if err != nil {
			t.Fatal(err)
		}
		if pw, _ := u.User.Password(); u.User.Username() != want[md+"/USER"] || pw != want[md+"/PASSWORD"] {
			t.Errorf("%s: metadata URL gives user %q password %q, want %q %q", env.Name, u.User.Username(), pw, want[md+"/USER"], want[md+"/PASSWORD"])
		}
		if k, err := base64.URLEncoding.DecodeString(string(data[credentials.Chart(env).FernetKey]["fernet-key"])); err != nil || len(k) != 32 {
			t.Errorf("%s: fernet key decodes to %d bytes (%v)", env.Name, len(k), err)
		}
		// The namespace as the overlay has it.
		nsObj, err := client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// The API server adds kubernetes.io/metadata.name to every namespace.
		gotLabels := maps.Clone(nsObj.Labels)
		delete(gotLabels, "kubernetes.io/metadata.name")
		if wantLabels := namespaceLabels(t, r); !maps.Equal(gotLabels, wantLabels) {
			t.Errorf("%s: namespace labels %v, want the overlay's %v", env.Name, nsObj.Labels, wantLabels)
		}
		versions["namespace/"+ns] = nsObj.ResourceVersion

		// Again: nothing printed, nothing changed.
		stdout, stderr, err = runScript(t, srv, path, vars)
		if err != nil || stdout != "" || stderr != "" {
			t.Fatalf("%s: second run: %v\nstdout: %s\nstderr: %s", env.Name, err, stdout, stderr)
		}
		again, err := client.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(again.Items) != len(got.Items) {
			t.Errorf("%s: %d Secrets after the second run, %d after the first", env.Name, len(again.Items), len(got.Items))
		}
		for _, s := range again.Items {
			if versions["secret/"+s.Name] != s.ResourceVersion {
				t.Errorf("%s: the second run changed Secret %s", env.Name, s.Name)
			}
		}
		if n, _ := client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); n.ResourceVersion != versions["namespace/"+ns] {
			t.Errorf("%s: the second run changed the namespace", env.Name)
		}
		t.Logf("%s: %d Secrets in %s; second run changed nothing", env.Name, len(got.Items), ns)
	}
}

// envVarName is the variable the script reads a typed key from.
func envVarName(secret, key string) string {
	up := func(s string) string {
		return strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z':
				return r - 'a' + 'A'
			case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
				return r
			}
			return '_'
		}, s)
	}
	return "YDP_" + up(secret) + "_" + strings.TrimLeft(up(key), "_")
}

// checkDockerConfig checks a docker config: one login per registry host,
// each the user and password given (or, for a Secret copied from prod,
// prod's).
func checkDockerConfig(t *testing.T, s credentials.Secret, raw []byte, login, prodLogin string) {
	t.Helper()
	var cfg struct {
		Auths map[string]struct {
			Auth string `json:"auth"`
		} `json:"auths"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Errorf("%s: docker config %q: %v", s.Name, raw, err)
		return
	}
	if login == "" {
		login = prodLogin
	}
	if hosts := slices.Sorted(maps.Keys(cfg.Auths)); !slices.Equal(hosts, s.Registries) {
		t.Errorf("%s: docker config for %v, want %v", s.Name, hosts, s.Registries)
	}
	for h, a := range cfg.Auths {
		if b, err := base64.StdEncoding.DecodeString(a.Auth); err != nil || string(b) != login {
			t.Errorf("%s: login for %s is %q (%v), want %q", s.Name, h, b, err, login)
		}
	}
}

func fileOf(t *testing.T, r objset.RenderedEnvironment, path string) []byte {
	t.Helper()
	for _, f := range r.Files {
		if f.Path == path {
			return f.Data
		}
	}
	t.Fatalf("%s: no file %s", r.Name, path)
	return nil
}

func namespaceLabels(t *testing.T, r objset.RenderedEnvironment) map[string]string {
	t.Helper()
	for _, e := range r.Objects {
		if e.GVK.Kind != "Namespace" {
			continue
		}
		md, _ := e.Content["metadata"].(map[string]any)
		l, _ := md["labels"].(map[string]any)
		out := map[string]string{}
		for k, v := range l {
			out[k], _ = v.(string)
		}
		return out
	}
	t.Fatalf("%s: no Namespace object", r.Name)
	return nil
}

// tlsPair is a self-signed certificate and its key, in PEM, by the keys of
// a kubernetes.io/tls Secret.
func tlsPair(t *testing.T) map[string]string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mcp.example.internal"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(0, 0).Add(100 * 365 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"tls.crt": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		"tls.key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd})),
	}
}

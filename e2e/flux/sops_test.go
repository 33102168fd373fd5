package flux

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ydpgen/ydpgen/credentials"
	"github.com/ydpgen/ydpgen/fsys"
	"github.com/ydpgen/ydpgen/internal/charttest"
	"github.com/ydpgen/ydpgen/internal/fluxtest"
	"github.com/ydpgen/ydpgen/internal/gitserver"
	"github.com/ydpgen/ydpgen/internal/kubetest"
	"github.com/ydpgen/ydpgen/internal/toolcache"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/overlays"
	"github.com/ydpgen/ydpgen/passes/stages"
	"github.com/ydpgen/ydpgen/render"
	"github.com/ydpgen/ydpgen/sealedfiles"
	"github.com/ydpgen/ydpgen/sealing"
	"github.com/ydpgen/ydpgen/spec"

	"github.com/ydpgen/ydpgen/gitops"
)

// TestE2EFluxSOPS is the SOPS round of the GitOps loop: pi-lab's Secrets
// sealed for an age key made here, the rendered tree committed, the age
// key Secret put into flux-system once, and the rendered secrets-stage
// Kustomization (with its decryption settings) applied. The real
// kustomize-controller must decrypt the files and apply the Secrets with
// their plaintext values, and no object of any commit of the repository
// may hold one of those values.
func TestE2EFluxSOPS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts kube-apiserver, etcd and two Flux controllers")
	}
	ctx := t.Context()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	root, err := toolcache.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	s, err := spec.New()
	if err != nil {
		t.Fatal(err)
	}
	p, err := loadSpec(s, root, filepath.Join(root, "examples", "pi-lab", "platform.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	env := &p.Environments[0]
	if env.Secrets.Provider != model.ProviderSOPS {
		t.Fatalf("pi-lab's secrets provider is %s, not sops", env.Secrets.Provider)
	}
	env.Secrets.SOPS.AgeRecipients = []string{id.Recipient().String()}

	kube := kubetest.Start(t)
	git := gitserver.Start(t)
	repo, err := git.NewRepo("platform")
	if err != nil {
		t.Fatal(err)
	}
	env.GitOps.RepoURL = repo.URL()
	env.GitOps.Revision = gitserver.Branch
	env.GitOps.Flux.SecretName = ""

	// Seal every Secret the environment needs with values made here, into
	// a spec directory of the test's own.
	specDir := t.TempDir()
	list, err := credentials.List(env)
	if err != nil {
		t.Fatal(err)
	}
	sealer := sealing.SOPS{Recipients: env.Secrets.SOPS.AgeRecipients}
	plain := map[string]map[string]string{}
	dir := filepath.Join(specDir, filepath.FromSlash(env.Secrets.Directory))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, sec := range sealedfiles.Needed(list) {
		vals := map[string]string{}
		for _, k := range sec.Layout.Keys {
			b := make([]byte, 12)
			if _, err := rand.Read(b); err != nil {
				t.Fatal(err)
			}
			vals[k.Name] = "e2e-plain-" + hex.EncodeToString(b)
			if sec.Layout.Type == string(corev1.SecretTypeDockerConfigJson) {
				vals[k.Name] = `{"auths":{"e2e-plain-` + hex.EncodeToString(b) + `.example":{}}}`
			}
		}
		plain[sec.Name] = vals
		obj := sealing.NewSecret(sec.Name, env.Namespace.Name, corev1.SecretType(sec.Layout.Type), vals)
		obj.Labels, obj.Annotations, err = sealedfiles.Metadata(env, sec.Name)
		if err != nil {
			t.Fatal(err)
		}
		out, err := sealer.Seal(obj)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, sealing.FileName(sealing.FormatSOPS, sec.Name)), out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := render.Platform(p, render.Options{Verify: true, SpecDir: os.DirFS(specDir), Charts: charttest.Charts(t)})
	if err != nil {
		t.Fatal(err)
	}
	tree := t.TempDir()
	if _, err := overlays.Write(fsys.OnDisk{}, filepath.Join(tree, filepath.FromSlash(env.GitOps.Path)), res.Tree); err != nil {
		t.Fatal(err)
	}
	rev, err := repo.Commit(tree, "ydpgen render with SOPS-encrypted Secrets")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("committed %s", rev)

	fluxtest.Start(t, kube)
	ns := env.GitOps.Flux.Namespace
	keySecret := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata":   map[string]any{"name": env.Secrets.SOPS.KeySecret, "namespace": ns},
		"stringData": map[string]any{"age.agekey": id.String() + "\n"},
	}}
	objs := []*unstructured.Unstructured{
		{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}},
		{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": env.Namespace.Name}}},
		keySecret,
	}
	// The source and the secrets stage as rendered, without the stages
	// before it (the namespace exists already).
	stageName := gitops.StageName(env, stages.Secrets)
	for _, o := range res.GitOps.Objects {
		if o.Entry.Name != gitops.SourceName(env) && o.Entry.Name != stageName {
			continue
		}
		if o.Entry.GVK.Kind != "GitRepository" && o.Entry.GVK.Kind != "Kustomization" {
			continue
		}
		u := (&unstructured.Unstructured{Object: o.Entry.Content}).DeepCopy()
		unstructured.RemoveNestedField(u.Object, "spec", "dependsOn")
		objs = append(objs, u)
	}
	if len(objs) != 5 {
		t.Fatalf("found %d of the source and secrets-stage objects, want 2", len(objs)-3)
	}
	for _, o := range objs[3:] {
		if dec, _, _ := unstructured.NestedString(o.Object, "spec", "decryption", "provider"); o.GetKind() == "Kustomization" && dec != "sops" {
			t.Fatal("the rendered secrets stage has no sops decryption")
		}
	}
	if _, err := kube.Apply(ctx, objs, kubetest.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(roundTimeout)
	for {
		k, err := kube.Get(ctx, fluxtest.KustomizationGVK(), ns, stageName)
		if err == nil {
			if ok, c := fluxtest.IsReady(k); ok {
				break
			} else if time.Now().After(deadline) {
				t.Fatalf("Kustomization %s not ready after %s: %s: %s", stageName, roundTimeout, c.Reason, c.Message)
			}
		} else if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(pollInterval)
	}

	secretGVK := schema.GroupVersionKind{Version: "v1", Kind: "Secret"}
	var all []string
	names := mapsKeys(plain)
	slices.Sort(names)
	for _, name := range names {
		got, err := kube.Get(ctx, secretGVK, env.Namespace.Name, name)
		if err != nil {
			t.Fatalf("Secret %s: %v", name, err)
		}
		data, _, _ := unstructured.NestedStringMap(got.Object, "data")
		for k, want := range plain[name] {
			all = append(all, want)
			if decoded, err := decodeB64(data[k]); err != nil || decoded != want {
				t.Errorf("Secret %s key %s in the API server is not the sealed plaintext", name, k)
			}
		}
		if _, has := got.Object["sops"]; has {
			t.Errorf("Secret %s was applied with its sops metadata", name)
		}
	}
	scanRepository(t, repo.Dir(), all)
}

func mapsKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// scanRepository fails when any object of any commit of the repository
// holds one of the values.
func scanRepository(t *testing.T, gitDir string, values []string) {
	t.Helper()
	out, err := exec.Command("git", "--git-dir", gitDir, "rev-list", "--all", "--objects").Output()
	if err != nil {
		t.Fatalf("git rev-list: %v", err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		obj, _, _ := strings.Cut(line, " ")
		if obj == "" {
			continue
		}
		body, err := exec.Command("git", "--git-dir", gitDir, "cat-file", "-p", obj).Output()
		if err != nil {
			t.Fatalf("git cat-file %s: %v", obj, err)
		}
		n++
		for _, v := range values {
			if bytes.Contains(body, []byte(v)) {
				t.Errorf("git object %s (%s) holds a plaintext value", obj, line)
			}
		}
	}
	if n == 0 {
		t.Fatal("the repository has no object to scan")
	}
	t.Logf("scanned %d git objects for %d plaintext values", n, len(values))
}

func decodeB64(s string) (string, error) {
	b, err := base64Std(s)
	return string(b), err
}

func base64Std(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

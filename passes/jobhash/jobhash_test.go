package jobhash

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ydpgen/ydpgen/objset"
)

func job(ns, name, image, configMap string) objset.Entry {
	pod := map[string]any{"containers": []any{map[string]any{"name": "c", "image": image}}}
	if configMap != "" {
		pod["volumes"] = []any{map[string]any{"name": "v", "configMap": map[string]any{"name": configMap}}}
	}
	return objset.Entry{
		GVK: schema.GroupVersionKind{Group: "batch", Version: "v1", Kind: "Job"}, Namespace: ns, Name: name,
		Content: map[string]any{
			"apiVersion": "batch/v1", "kind": "Job",
			"metadata": map[string]any{"name": name, "namespace": ns, "labels": map[string]any{"app.kubernetes.io/name": name}},
			"spec":     map[string]any{"ttlSecondsAfterFinished": 600, "template": map[string]any{"spec": pod}},
		},
	}
}

func configMap(ns, name, data string) objset.Entry {
	return objset.Entry{
		GVK: schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, Namespace: ns, Name: name,
		Content: map[string]any{"metadata": map[string]any{"name": name, "namespace": ns}, "data": map[string]any{"k": data}},
	}
}

func policy(ns, selects string) objset.Entry {
	return objset.Entry{
		GVK: schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "NetworkPolicy"}, Namespace: ns, Name: "p",
		Content: map[string]any{"metadata": map[string]any{"name": "p", "namespace": ns},
			"spec": map[string]any{"podSelector": map[string]any{"matchLabels": map[string]any{"job-name": selects, "other": selects}}}},
	}
}

func TestName(t *testing.T) {
	for _, tc := range []struct{ base, want string }{
		{"ring1-init", "ring1-init-abcd1234"},
		{strings.Repeat("a", 54), strings.Repeat("a", 54) + "-abcd1234"},
		{strings.Repeat("a", 60), strings.Repeat("a", 54) + "-abcd1234"},
		// The cut leaves no hyphen before the hash's own.
		{strings.Repeat("a", 53) + "-bcd", strings.Repeat("a", 53) + "-abcd1234"},
	} {
		got := Name(tc.base, "abcd1234")
		if got != tc.want || len(got) > maxName {
			t.Errorf("Name(%q) = %q (%d), want %q", tc.base, got, len(got), tc.want)
		}
	}
}

func TestHash(t *testing.T) {
	none := func(string) map[string]any { return nil }
	cms := func(data string) func(string) map[string]any {
		return func(name string) map[string]any {
			if name == "script" {
				return configMap("ns", "script", data).Content
			}
			return nil
		}
	}
	h := func(e objset.Entry, cm func(string) map[string]any) string {
		t.Helper()
		s, err := Hash(e.Content, cm)
		if err != nil {
			t.Fatal(err)
		}
		if len(s) != HashLen || strings.Trim(s, "0123456789abcdefghijklmnopqrstuvwxyz") != "" {
			t.Fatalf("hash %q is not %d lowercase letters or digits", s, HashLen)
		}
		return s
	}
	base := h(job("ns", "a", "img:1", "script"), cms("x"))
	for _, tc := range []struct {
		name string
		got  string
		same bool
	}{
		{"same spec", h(job("ns", "a", "img:1", "script"), cms("x")), true},
		{"other name and namespace, same spec", h(job("other", "b", "img:1", "script"), cms("x")), true},
		{"other image", h(job("ns", "a", "img:2", "script"), cms("x")), false},
		{"other script", h(job("ns", "a", "img:1", "script"), cms("y")), false},
		{"script not rendered", h(job("ns", "a", "img:1", "script"), none), false},
	} {
		if (tc.got == base) != tc.same {
			t.Errorf("%s: hash %s vs %s, want same=%v", tc.name, tc.got, base, tc.same)
		}
	}
	if _, err := Hash(map[string]any{}, none); err == nil {
		t.Error("a Job without spec hashes")
	}
}

func TestApply(t *testing.T) {
	entries := []objset.Entry{
		configMap("ns", "boot", "x"),
		job("ns", "boot", "img:1", "boot"),
		policy("ns", "boot"),
		policy("elsewhere", "boot"),
	}
	renames, err := Apply(entries)
	if err != nil {
		t.Fatal(err)
	}
	if len(renames) != 1 || renames[0].From != "boot" || !strings.HasPrefix(renames[0].To, "boot-") {
		t.Fatalf("renames %v", renames)
	}
	to := renames[0].To
	if entries[1].Name != to || entries[1].Content["metadata"].(map[string]any)["name"] != to {
		t.Errorf("Job not renamed: %v", entries[1])
	}
	if entries[1].Content["spec"].(map[string]any)["ttlSecondsAfterFinished"] != 600 {
		t.Error("the Job lost its TTL")
	}
	if entries[0].Name != "boot" {
		t.Error("the ConfigMap of the same name was renamed")
	}
	sel := func(e objset.Entry) map[string]any {
		return e.Content["spec"].(map[string]any)["podSelector"].(map[string]any)["matchLabels"].(map[string]any)
	}
	if got := sel(entries[2]); got["job-name"] != to || got["other"] != "boot" {
		t.Errorf("selector in the Job's namespace: %v", got)
	}
	if got := sel(entries[3]); got["job-name"] != "boot" {
		t.Errorf("selector of another namespace changed: %v", got)
	}
}

func TestRewriteText(t *testing.T) {
	r := []Rename{{Namespace: "ns", From: "ring1-init", To: "ring1-init-abcd1234"}}
	for _, tc := range []struct{ in, want string }{
		{"kubectl wait job/ring1-init\n", "kubectl wait job/ring1-init-abcd1234\n"},
		{"kubectl get jobs/ring1-init", "kubectl get jobs/ring1-init-abcd1234"},
		{"`job.batch/ring1-init`", "`job.batch/ring1-init-abcd1234`"},
		{"kubectl get cronjob/ring1-init", "kubectl get cronjob/ring1-init"},
		{"job/ring1-init-views", "job/ring1-init-views"},
		{"job/ring1-init.yaml", "job/ring1-init.yaml"},
		{"the ring1-init Job", "the ring1-init Job"},
	} {
		if got := string(RewriteText([]byte(tc.in), r)); got != tc.want {
			t.Errorf("RewriteText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

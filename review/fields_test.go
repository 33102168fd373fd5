package review

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func doc(t *testing.T, src string) any {
	t.Helper()
	docs, err := parseDocs([]byte(src))
	if err != nil || len(docs) != 1 {
		t.Fatalf("parse %q: %v, %d docs", src, err, len(docs))
	}
	return docs[0]
}

// lines renders field changes the way the text report does, without
// indentation.
func lines(fs []FieldChange) []string {
	var out []string
	for _, l := range fieldLines(fs, 1) {
		out = append(out, l[:1]+" "+strings.TrimLeft(l[1:], " "))
	}
	return out
}

func TestFieldDiff(t *testing.T) {
	cases := []struct {
		name     string
		old, new string
		secret   bool
		want     []string
	}{
		{"scalar", "a: {b: 1}", "a: {b: 2}", false, []string{"~ a.b: 1 -> 2"}},
		{"added and removed keys", "a: 1\nb: x", "a: 1\nc: [1, 2]", false, []string{"- b: x", "+ c: [1, 2]"}},
		{"string that reads as a number is quoted", "cpu: 2", `cpu: "2"`, false, []string{`~ cpu: 2 -> "2"`}},
		{"keys with dots", `labels: {app.kubernetes.io/name: a}`, `labels: {app.kubernetes.io/name: b}`, false, []string{`~ labels["app.kubernetes.io/name"]: a -> b`}},
		{
			"list items by name",
			"containers:\n- {name: scheduler, resources: {limits: {memory: 1Gi}}}\n- {name: sidecar, image: x}",
			"containers:\n- {name: scheduler, resources: {limits: {memory: 2Gi}}}\n- {name: logs, image: img2}",
			false,
			[]string{"~ containers[name=scheduler].resources.limits.memory: 1Gi -> 2Gi", "+ containers[name=logs]: {image: img2, name: logs}", "- containers[name=sidecar]: {image: x, name: sidecar}"},
		},
		{"list reordered", "l: [{name: a}, {name: b}]", "l: [{name: b}, {name: a}]", false, []string{"~ l: [a, b] -> [b, a]"}},
		{"unnamed items by index", "l: [{x: 1}, {x: 2}]", "l: [{x: 1}, {x: 3}, {x: 4}]", false, []string{"~ l[1].x: 2 -> 3", "+ l[2]: {x: 4}"}},
		{"scalar lists of another length whole", "args: [a, b]", "args: [a, b, c]", false, []string{"~ args: [a, b] -> [a, b, c]"}},
		{"scalar lists of one length by index", "args: [a, b]", "args: [a, c]", false, []string{"~ args[1]: b -> c"}},
		{"type change", "a: {b: 1}", "a: text", false, []string{"~ a: {b: 1} -> text"}},
		{"empty string", `a: x`, `a: ""`, false, []string{`~ a: x -> ""`}},

		{"secret data", "kind: Secret\ndata: {PASSWORD: aGVsbG8=}", "kind: Secret\ndata: {PASSWORD: d29ybGQ=}", true, []string{"~ data.PASSWORD: (masked) -> (masked)"}},
		{"secret string data added", "kind: Secret", "kind: Secret\nstringData: {USER: admin}", true, []string{"+ stringData: {USER: (masked)}"}},
		{"data of a ConfigMap shows", "data: {x: a}", "data: {x: b}", false, []string{"~ data.x: a -> b"}},
		{"password key", "redis: {password: a}", "redis: {password: b}", false, []string{"~ redis.password: (masked) -> (masked)"}},
		{"connection subtree", "data: {metadataConnection: {user: a, host: h}}", "data: {metadataConnection: {user: b, host: h}}", false, []string{"~ data.metadataConnection.user: (masked) -> (masked)"}},
		{"token in a camel-case key", "gitToken: a", "gitToken: b", false, []string{"~ gitToken: (masked) -> (masked)"}},
		{"secret names are references", "fernetKeySecretName: a", "fernetKeySecretName: b", false, []string{"~ fernetKeySecretName: a -> b"}},
		{
			"env value of a secret-looking name",
			"env: [{name: DB_PASSWORD, value: a}, {name: LOG_LEVEL, value: info}]",
			"env: [{name: DB_PASSWORD, value: b}, {name: LOG_LEVEL, value: debug}]",
			false,
			[]string{"~ env[name=DB_PASSWORD].value: (masked) -> (masked)", "~ env[name=LOG_LEVEL].value: info -> debug"},
		},
		{"env item added with a secret value", "env: [{name: A, value: x}]", "env: [{name: A, value: x}, {name: API_TOKEN, value: s3cr3t}]", false, []string{"+ env[name=API_TOKEN]: {name: API_TOKEN, value: (masked)}"}},
		{"secret key references show", "valueFrom: {secretKeyRef: {name: a, key: A}}", "valueFrom: {secretKeyRef: {name: b, key: B}}", false, []string{"~ valueFrom.secretKeyRef.key: A -> B", "~ valueFrom.secretKeyRef.name: a -> b"}},
		{"toleration keys show", "tolerations: [{key: arch, value: arm64}]", "tolerations: [{key: arch, value: amd64}]", false, []string{"~ tolerations[0].value: arm64 -> amd64"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := lines(fieldDiff(doc(t, c.old), doc(t, c.new), c.secret))
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFieldDiffMultiLine(t *testing.T) {
	old := doc(t, "script: |\n  a\n  b\n  c\n")
	new := doc(t, "script: |\n  a\n  B\n  c\n")
	fs := fieldDiff(old, new, false)
	if len(fs) != 1 {
		t.Fatalf("got %d changes", len(fs))
	}
	if fs[0].Old != "(text, 3 lines)" {
		t.Errorf("old = %q", fs[0].Old)
	}
	want := []Line{{"@", "@@ old line 1, new line 1 @@"}, {" ", "a"}, {"-", "b"}, {"+", "B"}, {" ", "c"}}
	if diff := cmp.Diff(want, fs[0].Lines); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	// Masked multi-line values have no line diff.
	fs = fieldDiff(doc(t, "privateKey: |\n  a\n  b\n"), doc(t, "privateKey: |\n  a\n  c\n"), false)
	if len(fs) != 1 || fs[0].Lines != nil || fs[0].New != Masked {
		t.Errorf("masked multi-line value shown: %+v", fs)
	}
}

func TestShortValue(t *testing.T) {
	long := strings.Repeat("x", 300)
	if got := short(long, false); len([]rune(got)) != maxValue+1 || !strings.HasSuffix(got, "…") {
		t.Errorf("long value not cut: %q", got)
	}
	for in, want := range map[string]string{"true": `"true"`, "1Gi": "1Gi", "a b": `"a b"`, "": `""`, "3.1.7": "3.1.7", "3.1": `"3.1"`} {
		if got := short(in, false); got != want {
			t.Errorf("short(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestLineDiff(t *testing.T) {
	a := "1\n2\n3\n4\n5\n6\n7\n8\n9\n"
	b := "1\n2\n3\nfour\n5\n6\n7\n8\n9\nten\n"
	want := []Line{
		{"@", "@@ old line 2, new line 2 @@"}, {" ", "2"}, {" ", "3"}, {"-", "4"}, {"+", "four"}, {" ", "5"}, {" ", "6"},
		{"@", "@@ old line 8, new line 8 @@"}, {" ", "8"}, {" ", "9"}, {"+", "ten"},
	}
	if diff := cmp.Diff(want, lineDiff(a, b, false)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Secret-looking values are masked in every line shown.
	got := lineDiff("a\ntoken: x\n", "a\ntoken: y\n", true)
	for _, l := range got {
		if strings.Contains(l.Text, "x") || strings.Contains(l.Text, "y") {
			t.Errorf("secret shown: %+v", got)
		}
	}
	// A long rewrite is cut.
	var long strings.Builder
	for i := range 200 {
		long.WriteString(strings.Repeat("z", i%7+1) + "\n")
	}
	got = lineDiff("", long.String(), false)
	if n := len(got); n > maxLines+2 {
		t.Errorf("%d lines shown", n)
	}
	if last := got[len(got)-1]; last.Text != "... 140 more changed lines" {
		t.Errorf("last line %q", last.Text)
	}
}

func TestHashStem(t *testing.T) {
	for in, want := range map[string]string{
		"demo-psp-ring1-init-7f3k9q": "demo-psp-ring1-init",
		"job-bcdfghkm":               "job",
		"airflow-scheduler":          "",
		"airflow-worker":             "",
		"x-abc12":                    "",
		"x-ABC123":                   "",
		"nohyphen123456":             "",
	} {
		got, ok := hashStem(in)
		if ok != (want != "") || got != want {
			t.Errorf("hashStem(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

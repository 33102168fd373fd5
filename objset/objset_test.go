package objset

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func configMap(ns, name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
	}
}

func namespace(name string) *corev1.Namespace {
	return &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
	}
}

func deployment(ns, name string) *appsv1.Deployment {
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
	}
}

func ids(s *Set) []string {
	var out []string
	for _, e := range s.Entries() {
		out = append(out, e.GVK.Kind+" "+e.Namespace+"/"+e.Name)
	}
	return out
}

// The order depends only on the objects, never on the order generators
// added them in.
func TestCanonicalOrder(t *testing.T) {
	objs := []Object{
		deployment("b", "web"), configMap("b", "z"), configMap("a", "z"),
		namespace("b"), configMap("b", "a"), deployment("a", "web"), namespace("a"),
	}
	want := []string{
		"Namespace /a", "Namespace /b",
		"ConfigMap a/z", "ConfigMap b/a", "ConfigMap b/z",
		"Deployment a/web", "Deployment b/web",
	}
	for _, perm := range [][]int{{0, 1, 2, 3, 4, 5, 6}, {6, 5, 4, 3, 2, 1, 0}, {3, 0, 6, 1, 5, 2, 4}} {
		var s Set
		for _, i := range perm {
			if err := s.Add(objs[i]); err != nil {
				t.Fatal(err)
			}
		}
		if got := ids(&s); !slices.Equal(got, want) {
			t.Errorf("insertion order %v: got %v, want %v", perm, got, want)
		}
	}
}

func TestCompareKindRanks(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"Namespace", "ConfigMap", -1},
		{"Secret", "ConfigMap", -1},
		{"Role", "RoleBinding", -1},
		{"Job", "Deployment", 1},
		{"Ingress", "Job", 1},
		{"ZUnknown", "Ingress", 1},   // unknown kinds come last
		{"AUnknown", "ZUnknown", -1}, // and among themselves by name
		{"ConfigMap", "ConfigMap", 0},
	}
	for _, tt := range tests {
		a := Entry{GVK: corev1.SchemeGroupVersion.WithKind(tt.a)}
		b := Entry{GVK: corev1.SchemeGroupVersion.WithKind(tt.b)}
		if got := Compare(a, b); got != tt.want {
			t.Errorf("Compare(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestDuplicatesRejected(t *testing.T) {
	var s Set
	if err := s.Add(configMap("a", "x")); err != nil {
		t.Fatal(err)
	}
	err := s.Add(configMap("a", "x"))
	if err == nil || !strings.Contains(err.Error(), "/v1, Kind=ConfigMap a/x") {
		t.Fatalf("duplicate: got %v", err)
	}
	// Same name in another namespace, or of another kind, is a different object.
	if err := s.Add(configMap("b", "x"), deployment("a", "x")); err != nil {
		t.Fatal(err)
	}
	if s.Len() != 3 {
		t.Fatalf("Len = %d, want 3", s.Len())
	}
}

func TestNewEntryDropsServerFields(t *testing.T) {
	e, err := NewEntry(deployment("a", "web"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := e.Content["status"]; ok {
		t.Error("empty status kept")
	}
	md := e.Content["metadata"].(map[string]any)
	if _, ok := md["creationTimestamp"]; ok {
		t.Error("null creationTimestamp kept")
	}
	if _, err := NewEntry(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}); err == nil {
		t.Error("object without kind accepted")
	}
}

func TestNewEntryDropsZeroStatus(t *testing.T) {
	sts := &appsv1.StatefulSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "db"},
		Spec: appsv1.StatefulSetSpec{VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
			ObjectMeta: metav1.ObjectMeta{Name: "data"},
		}}},
	}
	svc := &corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"}, ObjectMeta: metav1.ObjectMeta{Name: "db"}}
	for _, o := range []Object{sts, svc} {
		e, err := NewEntry(o)
		if err != nil {
			t.Fatal(err)
		}
		if st, ok := e.Content["status"]; ok {
			t.Errorf("%s: zero status kept: %v", e.GVK.Kind, st)
		}
	}
	e, err := NewEntry(sts)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := e.Content["spec"].(map[string]any)["volumeClaimTemplates"].([]any)[0].(map[string]any)
	if _, ok := tmpl["status"]; ok {
		t.Error("claim template status kept")
	}
	// A status that says something stays.
	sts.Status.Replicas = 1
	if e, err = NewEntry(sts); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.Content["status"]; !ok {
		t.Error("status with replicas: 1 dropped")
	}
}

func TestFileNameAndHeader(t *testing.T) {
	e, err := NewEntry(configMap("a", "Airflow-Logging"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := e.FileName(), "configmap-Airflow-Logging.yaml"; got != want {
		t.Errorf("FileName = %q, want %q", got, want)
	}
	b, err := EncodeFile(e.Content, "second line", "")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte(Header+"# second line\n#\napiVersion: v1\n")) {
		t.Errorf("file starts:\n%s", b)
	}
}

// Canonical keeps numbers as written, so that a typed object, the same
// object read from YAML and kustomize's output compare equal.
func TestCanonical(t *testing.T) {
	typed := struct {
		Replicas int     `json:"replicas"`
		Ratio    float64 `json:"ratio"`
		Name     string  `json:"name"`
	}{3, 0.5, "x"}
	got, err := Canonical(typed)
	if err != nil {
		t.Fatal(err)
	}
	fromYAML, err := CanonicalJSON([]byte(`{"name":"x","ratio":0.5,"replicas":3}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"replicas": json.Number("3"), "ratio": json.Number("0.5"), "name": "x"}
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(fromYAML, want) {
		t.Errorf("Canonical = %#v and %#v, want %#v", got, fromYAML, want)
	}
	if _, err := CanonicalJSON([]byte(`{`)); err == nil {
		t.Error("a broken document gave no error")
	}
}

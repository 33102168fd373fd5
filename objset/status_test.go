package objset

import (
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestZeroTree(t *testing.T) {
	for _, tc := range []struct {
		m    map[string]any
		want bool
	}{
		{map[string]any{}, true},
		{map[string]any{"loadBalancer": map[string]any{}}, true},
		{map[string]any{"a": map[string]any{"b": map[string]any{}}}, true},
		{map[string]any{"phase": "Pending"}, false},
		{map[string]any{"loadBalancer": map[string]any{"ingress": []any{}}}, true},
		{map[string]any{"replicas": json.Number("0")}, true},
		{map[string]any{"replicas": json.Number("1")}, false},
	} {
		if got := zeroTree(tc.m); got != tc.want {
			t.Errorf("zeroTree(%v) = %v, want %v", tc.m, got, tc.want)
		}
	}
}

// A Service or Ingress not yet created has a status of empty maps; the
// rendered object leaves it out.
func TestNoEmptyStatus(t *testing.T) {
	for _, o := range []Object{
		&corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"}, ObjectMeta: metav1.ObjectMeta{Name: "s"}},
		&networkingv1.Ingress{TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"}, ObjectMeta: metav1.ObjectMeta{Name: "i"}},
	} {
		e, err := NewEntry(o)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := e.Content["status"]; ok {
			t.Errorf("%s keeps its empty status: %v", e.ID(), e.Content["status"])
		}
	}
}

// Strings a YAML 1.1 reader would take for booleans or numbers are quoted.
func TestYAML11Quoting(t *testing.T) {
	got, err := Marshal(map[string]any{
		"a": "off", "b": "yes", "c": "Y", "d": "1:20", "e": "plain", "f": "10.0.0.1:80", "g": "ON", "h": "a:b",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "a: \"off\"\nb: \"yes\"\nc: \"Y\"\nd: \"1:20\"\ne: plain\nf: 10.0.0.1:80\ng: \"ON\"\nh: a:b\n"
	if string(got) != want {
		t.Errorf("Marshal:\n%s\nwant:\n%s", got, want)
	}
}

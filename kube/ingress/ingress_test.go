package ingress

import "testing"

func TestControllerAnnotations(t *testing.T) {
	for _, tt := range []struct {
		profile string
		tls     bool
		key     string
		want    string
	}{
		{"k3s-pi", false, "traefik.ingress.kubernetes.io/router.entrypoints", "web"},
		{"k3s-pi", true, "traefik.ingress.kubernetes.io/router.entrypoints", "websecure"},
		{"k3s-pi", true, "traefik.ingress.kubernetes.io/router.tls", "true"},
		{"eks", false, "alb.ingress.kubernetes.io/target-type", "ip"},
		{"kubeadm", true, "", ""},
	} {
		got := ControllerAnnotations(tt.profile, tt.tls)
		if tt.key == "" {
			if len(got) != 0 {
				t.Errorf("%s: want no annotations, got %v", tt.profile, got)
			}
			continue
		}
		if got[tt.key] != tt.want {
			t.Errorf("%s tls=%v: %s = %q, want %q", tt.profile, tt.tls, tt.key, got[tt.key], tt.want)
		}
	}
}

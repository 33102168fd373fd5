package datasurface

import (
	"maps"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ydpgen/ydpgen/kube/ingress"
	"github.com/ydpgen/ydpgen/kube/labels"
	"github.com/ydpgen/ydpgen/model"
)

// Ingress exposes a Service port under the spec's host through the
// cluster's ingress class, with the annotations the profile's controller
// needs for a long-lived event stream (SSE) and for TLS. The spec's own
// annotations win. defaultTLSSecret is where cert-manager writes the
// certificate when the spec names an issuer but no Secret.
func Ingress(env *model.Environment, name, service, portName, defaultTLSSecret string, ing model.Ingress) *networkingv1.Ingress {
	tlsSecret := ing.TLSSecret
	if tlsSecret == "" && ing.Issuer != "" {
		tlsSecret = defaultTLSSecret
	}
	ann := ProfileAnnotations(env.Profile, tlsSecret != "")
	if ing.Issuer != "" {
		ann[ingress.IssuerAnnotation] = ing.Issuer
	}
	maps.Copy(ann, ing.Annotations)

	var tls []networkingv1.IngressTLS
	switch {
	case env.Profile == "eks":
		// The AWS Load Balancer Controller finds the ACM certificate for the
		// hosts listed here; it reads no Secret.
		tls = []networkingv1.IngressTLS{{Hosts: []string{ing.Host}}}
	case tlsSecret != "":
		tls = []networkingv1.IngressTLS{{Hosts: []string{ing.Host}, SecretName: tlsSecret}}
	}
	if len(ann) == 0 {
		ann = nil
	}
	return &networkingv1.Ingress{
		TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: env.Namespace.Name,
			Labels: labels.For(env, name, "ingress"), Annotations: ann},
		Spec: networkingv1.IngressSpec{
			IngressClassName: ptr.To(env.Cluster.IngressClass),
			TLS:              tls,
			Rules: []networkingv1.IngressRule{{
				Host: ing.Host,
				IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
					Paths: []networkingv1.HTTPIngressPath{{
						Path:     "/",
						PathType: ptr.To(networkingv1.PathTypePrefix),
						Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
							Name: service, Port: networkingv1.ServiceBackendPort{Name: portName},
						}},
					}},
				}},
			}},
		},
	}
}

// ProfileAnnotations are the profile's controller annotations plus what it
// needs in front of a streaming (SSE) backend.
func ProfileAnnotations(profile string, tls bool) map[string]string {
	ann := ingress.ControllerAnnotations(profile, tls)
	switch profile {
	case "kubeadm":
		// ingress-nginx buffers responses and drops connections idle for
		// 60 s: both break an event stream.
		ann["nginx.ingress.kubernetes.io/proxy-buffering"] = "off"
		ann["nginx.ingress.kubernetes.io/proxy-read-timeout"] = "3600"
		ann["nginx.ingress.kubernetes.io/proxy-send-timeout"] = "3600"
	case "eks":
		// The ALB closes idle connections after 60 s by default.
		ann["alb.ingress.kubernetes.io/load-balancer-attributes"] = "idle_timeout.timeout_seconds=3600"
		// The server has no health path ydpgen knows of, and /sse never
		// answers completely: any HTTP answer on / shows it serves.
		ann["alb.ingress.kubernetes.io/success-codes"] = "200-499"
	}
	// Traefik streams responses as they come: the entry point is enough.
	return ann
}

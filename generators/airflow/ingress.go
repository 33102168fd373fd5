package airflow

import (
	"maps"

	"github.com/ydpgen/ydpgen/model"
)

// IssuerAnnotation asks cert-manager for a certificate from a ClusterIssuer.
const IssuerAnnotation = "cert-manager.io/cluster-issuer"

// ingress exposes the API server through the cluster's ingress class, with
// what the profile's controller needs; the spec's annotations win. With an
// issuer and no Secret, cert-manager writes the certificate to
// <release>-api-server-tls.
func ingress(env *model.Environment) *Ingress {
	ing := env.Airflow.APIServer.Ingress
	if ing == nil {
		return nil
	}
	tlsSecret := ing.TLSSecret
	if tlsSecret == "" && ing.Issuer != "" {
		tlsSecret = env.Airflow.ReleaseName + "-api-server-tls"
	}
	host := IngressHost{Name: ing.Host}
	switch {
	case env.Profile == "eks":
		// The AWS Load Balancer Controller finds the ACM certificate for the
		// host; it reads no Secret.
		host.TLS = &IngressTLS{Enabled: true}
	case tlsSecret != "":
		host.TLS = &IngressTLS{Enabled: true, SecretName: tlsSecret}
	}
	ann := profileAnnotations(env.Profile, host.TLS != nil)
	if ing.Issuer != "" {
		ann[IssuerAnnotation] = ing.Issuer
	}
	maps.Copy(ann, ing.Annotations)
	if len(ann) == 0 {
		ann = nil
	}
	return &Ingress{APIServer: APIServerIngress{
		Enabled: true, IngressClassName: env.Cluster.IngressClass, Annotations: ann,
		Path: "/", PathType: "Prefix", Hosts: []IngressHost{host},
	}}
}

// profileAnnotations are what each profile's ingress controller needs in
// front of the API server: Traefik on k3s-pi, ingress-nginx on kubeadm
// (nothing beyond its defaults), the AWS Load Balancer Controller on eks.
func profileAnnotations(profile string, tls bool) map[string]string {
	switch profile {
	case "k3s-pi":
		if tls {
			return map[string]string{
				"traefik.ingress.kubernetes.io/router.entrypoints": "websecure",
				"traefik.ingress.kubernetes.io/router.tls":         "true",
			}
		}
		return map[string]string{"traefik.ingress.kubernetes.io/router.entrypoints": "web"}
	case "eks":
		return map[string]string{
			// Private by default; a spec annotation can make it internet-facing.
			"alb.ingress.kubernetes.io/scheme":       "internal",
			"alb.ingress.kubernetes.io/target-type":  "ip",
			"alb.ingress.kubernetes.io/listen-ports": `[{"HTTPS":443}]`,
		}
	}
	return map[string]string{}
}

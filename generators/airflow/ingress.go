package airflow

import (
	"maps"

	"github.com/ydpgen/ydpgen/credentials"
	controller "github.com/ydpgen/ydpgen/kube/ingress"
	"github.com/ydpgen/ydpgen/model"
)

// ingress exposes the API server through the cluster's ingress class, with
// what the profile's controller needs; the spec's annotations win. With an
// issuer and no Secret, cert-manager writes the certificate to
// <release>-api-server-tls.
func ingress(env *model.Environment) *Ingress {
	ing := env.Airflow.APIServer.Ingress
	if ing == nil {
		return nil
	}
	tlsSecret := credentials.IngressTLSSecret(env.Profile, *ing, credentials.APIServerTLSDefault(env))
	host := IngressHost{Name: ing.Host}
	switch {
	case env.Profile == "eks":
		// The AWS Load Balancer Controller finds the ACM certificate for the
		// host; it reads no Secret.
		host.TLS = &IngressTLS{Enabled: true}
	case tlsSecret != "":
		host.TLS = &IngressTLS{Enabled: true, SecretName: tlsSecret}
	}
	ann := controller.ControllerAnnotations(env.Profile, host.TLS != nil)
	if ing.Issuer != "" {
		ann[controller.IssuerAnnotation] = ing.Issuer
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

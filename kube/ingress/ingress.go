// Package ingress holds what every Ingress ydpgen renders needs from the
// profile's ingress controller: Traefik on k3s-pi, ingress-nginx on kubeadm
// (its defaults do), the AWS Load Balancer Controller on eks. The Airflow API
// server's values and the MCP server's Ingress both start from these.
package ingress

// IssuerAnnotation asks cert-manager for a certificate from a ClusterIssuer.
const IssuerAnnotation = "cert-manager.io/cluster-issuer"

// ControllerAnnotations are the annotations the profile's controller needs
// to serve a host, with or without TLS.
func ControllerAnnotations(profile string, tls bool) map[string]string {
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

// Package secrets renders how an environment's credentials reach its
// namespace, for the provider the spec picks:
//
//   - external-secrets: one ExternalSecret (external-secrets.io/v1) per
//     Secret, with the exact keys DataSurface and the Airflow chart read,
//     fetched from the SecretStore or ClusterSecretStore the spec names, at
//     remote keys built from the spec's template;
//   - manual: no objects at all; overlays/<env>/SECRETS.md lists every
//     Secret with its keys, what reads it and the kubectl command that
//     creates it, with placeholders for the values.
//
// Either way nothing rendered holds a secret value. The list of Secrets and
// their keys comes from package credentials; the External Secrets Operator's
// Go module is not a dependency, so its objects are small local types that
// the golden tests validate against the operator's CRD schema.
package secrets

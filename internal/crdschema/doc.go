// Package crdschema checks objects of custom kinds against the openAPI
// schemas of their CustomResourceDefinitions, as strictly as the API server
// with strict field validation: unknown fields, wrong types, values outside
// an enum, patterns and lengths, and missing required fields are errors.
//
// ydpgen builds objects of kinds whose Go modules it does not import (the
// External Secrets Operator's, Argo CD's) as small local types; this is how
// the tests prove those types agree with the real CRDs without a cluster.
// CEL rules (x-kubernetes-validations) and formats are left to the
// API-server tests.
package crdschema

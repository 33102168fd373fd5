// Package crdschema checks objects of custom kinds against their
// CustomResourceDefinitions with the API server's own code
// (k8s.io/apiextensions-apiserver), the way it checks a create with strict
// field validation: unknown fields (found by pruning against the structural
// schema, in metadata too), nulls and defaults as the server decodes them,
// the openAPI schema (types, enums, patterns, lengths, ranges, formats,
// required, anyOf/oneOf/allOf/not), ObjectMeta (names, labels,
// annotations), x-kubernetes-list-type set and map uniqueness, and the CEL
// rules (x-kubernetes-validations).
//
// What it cannot see is what needs a cluster or an earlier object: update
// rules (transition rules with oldSelf, ratcheting), admission webhooks and
// the namespace a client fills in for a namespaced object that has none.
//
// ydpgen builds objects of kinds whose Go modules it does not import (the
// External Secrets Operator's, Argo CD's) as small local types; this is how
// the tests prove those types agree with the real CRDs without a cluster.
package crdschema

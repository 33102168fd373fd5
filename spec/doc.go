// Package schema turns spec bytes into a validated model.Platform or a list
// of positioned findings.
//
// The CUE definitions embedded here (#Platform and one profile per cluster
// kind) are compiled once per Schema. Loading a spec unifies it with
// #Platform, then builds each environment by merging the platform-wide
// sections with that environment's overrides, unifies the result with the
// environment's profile and decodes it strictly into model types.
//
// Errors are found by walking the user's data next to the schema, so each one
// names the spec file, line and column, the spec path, what was wrong and what
// is allowed, in the spec's own terms rather than CUE's.
package spec

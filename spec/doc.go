// Package spec turns spec bytes into a validated model.Platform or a list
// of positioned findings.
//
// The CUE definitions embedded here (#Platform, per-profile defaults as
// plain data and per-profile constraints) are compiled once per Schema.
// Loading a spec parses it (YAML or CUE), records where every value was
// written, checks it against #Platform, then builds each environment by
// merging in Go the profile's defaults, the platform-wide sections and that
// environment's overrides, unifies the result with the profile's
// constraints and decodes it strictly into model types. The load-time checks
// (check... in this package) then judge what spans fields.
//
// Errors are found by walking the user's data next to the schema, so each one
// names the spec file, line and column, the spec path, what was wrong and what
// is allowed, in the spec's own terms rather than CUE's. Which checks are CUE,
// which are load-time checks and which are lint rules: ARCHITECTURE.md,
// "Rules".
package spec

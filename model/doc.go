// Package model holds the plain Go types of a resolved platform: one
// Environment per entry of the spec's environments map, with the platform-wide
// sections merged with that environment's overrides and its profile's
// defaults applied. Generators and lint rules read only these types, so they
// never depend on CUE or on how the spec was written.
package model

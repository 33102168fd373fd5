// Package diag is the one shape every problem ydpgen reports takes: schema
// errors, lint findings and usage problems alike. A Finding knows where in the
// spec it points (file, line, column and the spec path), what is wrong and
// what is allowed, so the CLI can print all of them at once, as text for
// people or JSON for machines, from a single place.
package diag

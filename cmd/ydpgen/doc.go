// Command ydpgen is the command line of ydpgen: it parses flags, calls the
// library (schema, render, lint, capacity, review, overlays) and prints every
// error in one place (root.go's Main) with the exit codes the README lists:
// 0 success, 1 findings, 2 usage error, 3 internal error (a bug), 4 a file,
// directory or tool that cannot be used. validate, render, diff and
// capacity check a spec through one path (compile.go's gate); lint, which
// reports on many specs, shares its compile step.
package main

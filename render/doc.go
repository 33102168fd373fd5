// Package render is ydpgen's one entry point: spec bytes in, a GitOps tree
// (or findings) out, all in memory. It loads the spec, runs the generators
// for each environment, the passes over each environment's whole object set
// (Job names, stage labels, the engine's annotations), the overlay layout and
// the GitOps wiring. With Options.Verify it also builds every overlay with
// kustomize and compares it with its environment; a normal render does not,
// because the golden and e2e tests do that for every example (see
// ARCHITECTURE.md, "Verification is a test, not a render step").
package render

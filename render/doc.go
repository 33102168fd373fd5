// Package render is ydpgen's one entry point: spec bytes in, a verified
// GitOps tree (or findings) out, all in memory. It runs the schema, the
// generators in their fixed order, the object set and the overlay layout,
// then builds every overlay with kustomize to prove the layout before
// anything is written.
package render

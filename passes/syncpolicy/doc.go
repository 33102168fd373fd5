// Package syncpolicy is the pass that writes, on every rendered object of an
// environment, what its GitOps engine reads from the object itself: for
// Argo CD the sync wave of its stage and, on claims, the options that keep
// them from being pruned or deleted; for Flux the prune and force policies;
// for every engine the label that names the platform. It runs after the
// stages pass, over the whole set, so every generator's objects get the
// same policy, and it is where the Job lifecycle of ARCHITECTURE.md is
// enforced on the objects: no Job is a hook.
package syncpolicy

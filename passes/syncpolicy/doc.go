// Package syncpolicy is the pass that writes, on every rendered object of an
// environment, what its GitOps engine reads from the object itself (for Argo
// CD the sync wave of its stage and the hook annotations of Jobs). It runs
// after the stages pass, over the whole set, so every generator's objects
// get the same policy.
package syncpolicy

// Package apivalidate checks a rendered object's metadata (its name, label
// keys and values, annotation keys) with the validation functions the API
// server itself uses. Every value of a spec can be valid while their
// combination is not: a long PSP makes a CronJob name over 52 characters, a
// long platform and environment name a label value over 63. Lint rule YDP014
// runs it over every environment's objects and render over the GitOps
// wiring, so such a spec fails before anything is written.
package apivalidate

// Package review tells a reviewer what a change of the rendered tree does.
//
// A byte diff of the rendered files says little: a one-line spec change can
// move a field in a JSON patch, and the same object can come from base/ or
// from an overlay. Compare builds every environment's overlay with kustomize
// in memory on both sides and compares the resulting objects field by field,
// so a change reads as "prod Deployment yellow/airflow-scheduler:
// spec.replicas: 1 -> 2". Files that are not kustomize inputs (Airflow
// values, GitOps wiring, SECRETS.md) are compared as YAML where they parse
// and as lines otherwise. Values of Secret-like fields never appear.
//
// Risk flags mark changes that a sync will reject (immutable fields) or that
// lose data or disrupt (deleted claims, namespace moves, chart major versions,
// Airflow downgrades), each with a stable ID and a one-line reason.
//
// The old side is a directory on disk or a git revision; in both, only the
// files the tree's .ydpgen/manifest.json lists count, so a team's own files
// next to the tree are never a difference. In CI that side comes from a
// pull request, so reading it never follows a symbolic link, reads only
// regular files of bounded size, refuses a tree a render was interrupted
// in, and refuses kustomizations that name anything kustomize would fetch:
// comparing never touches the network.
package review

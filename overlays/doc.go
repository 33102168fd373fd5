// Package overlays lays rendered environments out as a kustomize tree and
// moves that tree to and from disk.
//
// Layout puts every namespaced object that all environments share (once
// namespaces are taken out) into base/, each environment's own objects into
// overlays/<env>/, and where a shared object differs, a JSON patch with
// exactly the differing fields. Kustomization files are kustomize's own
// types. Build runs kustomize in-process (krusty) on the in-memory tree;
// Verify uses it to prove that each overlay gives back its environment,
// when render is asked to (render --verify) and in the tests.
//
// Write replaces the files of a previous render atomically: it takes the
// tree's lock, stages the new tree, keeps a journal while it swaps files
// in, prunes only files the previous manifest lists that still hold the
// content it recorded, and rolls back on any failure; the next write
// finishes what a killed one left. It works through an fsys.Tree, so it
// never goes through a symbolic link inside the output directory.
package overlays

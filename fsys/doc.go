// Package fsys is the one door ydpgen uses to read and write files. The
// writer needs a few operations more than reading and writing (rename for
// atomic commits, removal for pruning), and tests need an in-memory disk and
// one that fails on demand, so every file operation goes through FS.
package fsys

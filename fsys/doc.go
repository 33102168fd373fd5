// Package fsys is the one door ydpgen uses to read and write files. The
// writer needs a few operations more than reading and writing (rename for
// atomic commits, removal for pruning), and tests need an in-memory disk and
// one that fails on demand, so every file operation goes through FS.
//
// A rendered tree is a trust boundary: in CI it comes from a pull request.
// Code that reads or writes one opens it as a Tree, which never goes
// through a symbolic link inside it, reads only regular files of bounded
// size, and serialises writers with a lock file. On disk every access goes
// through an os.Root, so that nothing outside the tree is reached even if
// the tree changes meanwhile.
package fsys

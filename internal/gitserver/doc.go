// Package gitserver serves git repositories over the smart HTTP protocol on
// the loopback interface, for use from Go tests only.
//
// Why it exists: the GitOps loop test (e2e/flux) lets Flux's own
// source-controller clone the tree ydpgen rendered. source-controller
// needs a real git remote: its GitRepository CRD refuses git:// URLs and
// the dumb HTTP protocol fails to clone, so this package puts the
// machine's `git http-backend` behind a net/http/cgi handler. Repositories
// are bare repositories in a temporary directory; Repo.Commit records a
// whole directory tree as the next commit of one branch, the way a user
// commits the output of `ydpgen render`. The publish script of DataSurface's
// infrastructure DAG (generators/datasurface) pushes to one: WithBasicAuth
// makes the server ask for a token the way a git host does, and
// Repo.AllowPush lets a client push.
package gitserver

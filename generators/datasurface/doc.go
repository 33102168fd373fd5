// Package datasurface renders what DataSurface's own bootstrap ("ring 0")
// puts in a namespace, so that nobody runs generatePlatformBootstrap and
// kubectl by hand: the shared git cache claim, the logging ConfigMap, the
// ring1-init Job, the model-merge Job (DataSurface 1.1 to 1.4 only), the
// reconcile-views Job, and the MCP server with its Service and, when the
// spec asks, its Ingress.
//
// Every name a workload is known by comes from Names, in one place, so that
// a later change of how Jobs are named touches one function.
//
// What was checked, and against what:
//   - Object names, the git cache claim (git-cache-pvc, ReadWriteMany), the
//     mount points (/cache/git-cache, /workspace), the service account, the
//     MCP port (8000, SSE at /sse) and the Job settings come from DataSurface's
//     install documentation and its published Job templates.
//   - The Jobs' commands and flags follow DataSurface's templates
//     (generatePlatformBootstrap --ringLevel 1, handleModelMerge,
//     reconcile_workspace_views, each with the git-cache-aware flags). The
//     module that holds them changed: 1.1 runs datasurface.cmd.platform,
//     1.8 documents datasurface.entrypoints.*; releases 1.5 to 1.7 are
//     assumed to use the older modules (Modules).
//   - The MCP server's command is not in any published template ydpgen could
//     check, so it is a spec field (datasurface.mcpServer.command) with an
//     assumed default; ydpgen passes it the model's location in environment
//     variables and adds no arguments.
//   - The DataSurface image has no user of its own (it is built on a
//     python:3.12 base), so its containers run as datasurface.runAsUser, with
//     HOME on the /workspace emptyDir for git.
package datasurface

// Package datasurface renders what DataSurface's own bootstrap ("ring 0")
// puts in a namespace, so that nobody runs generatePlatformBootstrap and
// kubectl by hand: the shared git cache claim, the logging ConfigMap, the
// ring1-init Job, the model-merge Job (DataSurface 1.1 to 1.4 only), the
// reconcile-views Job, the MCP server with its Service and, when the
// spec asks, its Ingress, and the publish Job of the infrastructure DAG.
//
// The infrastructure DAG is what ring 0 (generatePlatformBootstrap
// --ringLevel 0) writes and seed 002's Phase 5 commits to the DAG
// repository by hand; on 1.8 the model merge runs inside it. With
// datasurface.infrastructureDAG.publish: job, a Job of its own stage (after
// Airflow, before ring1-init) runs PublishScript from a ConfigMap (the
// Job's hash name follows the script): it clones the model, runs ring 0
// with the pinned image, and pushes the DAG to git-sync's branch and
// subPath without force, rebasing on a branch that moved. With manual,
// deploy/README.md gives the same steps as commands (gitops).
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
//     reconcile_workspace_views, each with the git-cache-aware flags).
//     Which module holds them, whether the model merge is a Job, and which
//     commands take --rte-name differ by release: Releases, in version.go,
//     is the one table of that, each row with its source and what it
//     assumes (1.0 and 1.5 to 1.7 were never read; --rte-name at ring 1 is
//     inferred from ring 0, which parses the same subcommand).
//   - The MCP server's command is not in any published template ydpgen could
//     check, so it is a spec field (datasurface.mcpServer.command) with an
//     assumed default; ydpgen passes it the model's location in environment
//     variables and adds no arguments.
//   - The DataSurface image has no user of its own (it is built on a
//     python:3.12 base), so its containers run as datasurface.runAsUser, with
//     HOME on the /workspace emptyDir for git.
package datasurface

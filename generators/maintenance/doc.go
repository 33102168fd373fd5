// Package maintenance renders the housekeeping CronJobs that keep a running
// platform from filling its volumes or serving a stale model.
//
//   - Log cleanup deletes task logs older than maintenance.logCleanup
//     .retentionDays from the chart's shared logs claim (<release>-logs),
//     then empty directories. It is rendered only when logs persistence is
//     on. Without persistence every component keeps its logs on its own pod,
//     where the chart's log-groomer sidecars clean them and a CronJob could
//     not reach them. With persistence the claim also holds what KubernetesPodOperator
//     task pods and workers write, and the groomers run with the chart's
//     retention (15 days unless the values say otherwise), which is how the
//     volume of seed 002 filled up: the CronJob enforces the spec's
//     retention on the whole volume. It runs the Airflow image as the
//     Airflow user (50000, group 0), who owns the files, and never changes
//     the volume's ownership.
//   - Git cache clear is a suspended CronJob: `kubectl create job
//     --from=cronjob/<psp>-git-cache-clear ...` empties the shared git cache,
//     which is what DataSurface's own guide does when a model change is not
//     picked up. Nothing clears or refreshes the cache on a schedule, for
//     these reasons. DataSurface's cache is time-quantised: each process
//     keeps its clones as timestamped snapshots, compares the newest with
//     the remote once it is older than five minutes, clones a new snapshot
//     when the remote moved, and deletes all but the newest three; a
//     scheduled fetch adds nothing to that, and fetching inside a snapshot
//     changes a folder a running Job may be reading (the refresh CronJob
//     ydpgen rendered before did both). A scheduled clear would take the
//     model from under running Jobs. What the quantum does not catch (a new
//     release tag on a branch that did not move, a clone left broken) is
//     what the clear is for. It runs as the cache's one user and group
//     (datasurface.runAsUser), which own every clone: ydpgen's Jobs, the MCP
//     server and, through Airflow's pod mutation hook, DataSurface's own task
//     pods all write the cache as that user (see generators/airflow).
//
// The Airflow metadata database's cleanup is the chart's own CronJob, set in
// the chart's values (databaseCleanup), not here.
package maintenance

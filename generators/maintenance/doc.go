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
//   - Git cache refresh fetches every clone under the shared git cache with
//     the model's credential (fast-forwarding clones that are on a branch), so
//     that the MCP server and the Jobs find a recent model even when nothing
//     else has fetched. It runs the DataSurface image, which has git, as the
//     user DataSurface's own pods run as.
//
// The Airflow metadata database's cleanup is the chart's own CronJob, set in
// the chart's values (databaseCleanup), not here.
package maintenance

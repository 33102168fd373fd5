// Package smoketest renders the platform's last stage: a ConfigMap with a
// Python script and a Job that runs it with the Airflow image. The script
// checks, each until a deadline, that the metadata database is at Airflow's
// migration head (airflow db check-migrations), that a scheduler
// heartbeats (airflow jobs check), that the API server reports its
// database and scheduler healthy (/api/v2/monitor/health, the path the
// chart's own probes use) and that the infrastructure DAG DataSurface's
// ring 0 wrote is serialized without an import error (airflow dags list and
// list-import-errors, which read the metadata database from Airflow 3 on).
//
// Why it exists: a GitOps engine reports an application healthy when its
// objects exist and their controllers say so; Airflow can still be unable
// to reach its database or have no DAG. With the smoke test as the last
// stage (a Flux Kustomization waiting for the Job, an Argo CD sync wave
// waiting for it to complete) the engine's health, and a promotion gate
// that reads it, means the platform works.
//
// The Job is named after its content by passes/jobhash like every Job, and
// Stamp puts a digest of everything else the environment renders into its
// pod template first: any change to the platform is a new smoke test that
// runs once; nothing else makes it run again.
package smoketest

// Package airflow renders the Helm values for the official Apache Airflow
// chart (1.19 and later) for one environment.
//
// The values are typed Go structs that name only keys the chart's closed
// values schema accepts, and they encode the lessons of the manual installs:
// airflowVersion equals the image tag; fernet, API and JWT keys come from
// fixed Secrets so renders are stable; the metadata database is always read
// from a Secret; git-sync uses v4's ref and period; hooks are off so that
// Argo CD and Flux run the migration and user jobs; the admin password is
// read from a Secret at run time; no component asks for a default 100Gi claim;
// airflow_local_settings.py gives DataSurface's own task pods the git cache's
// owner through Airflow's pod mutation hook (LocalSettings).
package airflow

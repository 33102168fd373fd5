// Package credentials knows what the platform's Kubernetes Secrets hold: for
// each credential type and DataSurface release the exact keys of its Secret,
// and for an environment the full list of Secrets it needs, the spec's
// credentials and the Airflow chart's own (fernet key, API and JWT secrets,
// metadata connection, Celery broker), each with the parts of the platform
// that read it.
//
// It is pure data and functions over model types, without Kubernetes
// objects, so that the loader can check a spec against it and every
// generator that mounts or references a Secret agrees on names and keys.
// The secrets generators (generators/secrets) turn the list into objects or
// instructions.
package credentials

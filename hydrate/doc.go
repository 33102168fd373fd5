// Package hydrate renders the official Airflow chart of an environment into
// objects of its object set, so that the tree holds every object the
// cluster runs: the passes label and annotate them like ydpgen's own, lint
// and capacity read their pod specs, and a pull request shows them.
//
// Charts finds each environment's chart (a local path, or the archive
// ydpgen.lock pins, from the chart cache). Release renders it with the
// values generators/airflow builds, the environment's release name,
// namespace and Kubernetes version, and turns the result into entries:
//
//   - Every namespaced object gets the environment's namespace, and every
//     object ydpgen's instance, part-of and managed-by labels and, when
//     the chart gives it none, the component "airflow", so that the
//     stages pass puts it in the airflow stage unless its kind belongs
//     earlier (Secrets, RBAC, NetworkPolicies).
//   - Helm hooks do not exist under GitOps, so they are translated:
//     test hooks are dropped; pre- and post-install and -upgrade hooks
//     become ordinary objects of the stage their kind and component give
//     (a pre-install Secret such as the broker URL goes to the secrets
//     stage, a Job to the airflow stage, where the Job passes name it
//     after its content); hooks that only run on delete or rollback are
//     dropped. The helm.sh/hook annotations are removed.
//   - The chart's values-schema errors become findings at the spec line
//     that produced the value (airflow.SpecPath), or at the chart version
//     for a value ydpgen always sets; a chart that renders differently
//     each time is a finding naming the objects and the values that
//     would pin them.
package hydrate

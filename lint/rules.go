package lint

import (
	"github.com/ydpgen/ydpgen/diag"
)

// Rules returns every rule, ordered by ID. IDs are stable: a retired rule's
// ID is never reused.
func Rules() []Rule {
	return []Rule{
		{
			ID: "YDP001", Name: "rwo-volume-shared", Severity: diag.Error,
			Summary: "a ReadWriteOnce volume is mounted by more than one pod",
			Explanation: `A ReadWriteOnce volume attaches to one node at a time. When two workloads
mount it (a DAG volume shared by the scheduler and the triggerer, the git
cache shared by the MCP server and the DataSurface Jobs), or one workload with
more than one replica does, the second pod on another node never starts: it
waits with a Multi-Attach error, and nothing in the manifests looks wrong.

Fix: put the volume on a storage class the environment declares rwx: true
(Longhorn RWX, EFS, NFS) or give each pod its own claim.`,
			check: checkRWOShared,
		},
		{
			ID: "YDP002", Name: "volume-needs-rwx", Severity: diag.Error,
			Summary: "a volume that must be ReadWriteMany is on a storage class not declared rwx",
			Explanation: `The Airflow chart always claims the logs volume as ReadWriteMany, and the
DataSurface git cache is shared by the MCP server, the Jobs and the task pods.
On a storage class that cannot do ReadWriteMany the claim stays Pending and
every pod that mounts it with it. Longhorn serves ReadWriteMany volumes over
NFS: every node needs the NFS client (nfs-common) installed, or mounts fail
with a message about a bad superblock or a missing helper program.

Fix: declare the class in environments.<env>.cluster.storageClasses with
rwx: true (and nfsClientInstalled: true for Longhorn once nfs-common is on
every node), or choose another class.`,
			check: checkRWX,
		},
		{
			ID: "YDP003", Name: "missing-resources", Severity: diag.Error,
			Summary: "a container has no CPU and memory requests and limits",
			Explanation: `A container without requests is scheduled as if it needed nothing, and one
without limits can take a node's whole memory. On the 8 GiB Raspberry Pi
cluster this let nodes climb to 88-92 % memory until Airflow's API server
missed its start-up deadline and restarted forever.

Fix: give every component requests and limits in the spec (the profiles set
them for everything ydpgen knows about).`,
			check: checkResources,
		},
		{
			ID: "YDP004", Name: "capacity", Severity: diag.Error,
			Summary: "the environment's requests do not fit its nodes, or leave less than 20 % memory",
			Explanation: `ydpgen adds up the requests of every long-running pod (Airflow's components
with their sidecars, and what ydpgen renders) and compares them with the
nodes the environment declares: nodes times (node memory minus the profile's
system reserve). More than the total is an error; a pod larger than one node
is an error; pods that do not fit node by node (a first-fit placement) are an
error; more than 80 % of memory is a warning, because DataSurface's job pods
need the rest. Seed 000's cluster ran at 88-92 % and its API server kept
missing its start-up deadline.

Fix: shrink components, add nodes, or correct the cluster facts.
ydpgen capacity shows the numbers and a chart.`,
			check: checkCapacity,
		},
		{
			ID: "YDP005", Name: "celery-worker-size", Severity: diag.Warning,
			Summary: "Celery workers on nodes too small for them",
			Explanation: `A Celery worker runs tasks in its own pod and costs about 5 GiB when busy.
On nodes with less allocatable memory than that, or with workers whose
requests exceed one node, tasks are OOM-killed or workers never schedule.

Fix: use LocalExecutor on small nodes (the k3s-pi default), or larger nodes.`,
			check: checkCeleryWorkers,
		},
		{
			ID: "YDP006", Name: "api-server-memory", Severity: diag.Warning,
			Summary: "the Airflow API server's workers do not fit its memory limit on a small cluster",
			Explanation: `Airflow 3's API server starts several worker processes (config
api.workers, 4 by default), each a few hundred MiB. On a Raspberry Pi node
under a tight memory limit it is OOM-killed or misses its start-up probe.

Fix: set airflow.config.api.workers to 1 or 2 on k3s-pi, or raise
airflow.components.apiServer.resources.limits.memory to at least 512Mi plus
256Mi per worker.`,
			check: checkAPIServer,
		},
		{
			ID: "YDP007", Name: "migration-wait", Severity: diag.Error,
			Summary: "components wait for database migrations that no Job runs",
			Explanation: `Airflow's scheduler, triggerer, DAG processor, API server and workers start
with an init container that waits until the database schema is migrated.
The chart's migration Job does the migrating; with it disabled and the waits
left on, every component waits forever and nothing in the logs says why
(seed 000). Under Argo CD or Flux the Job must also run without Helm hooks,
or it never runs at all.

ydpgen ties every wait to the migration Job, so this fires only when the
rendered values disagree with themselves; a warning says when the
migration Job is off, because then nothing upgrades the schema when the
Airflow version changes.

Fix: keep airflow.components.jobs.enabled: true, or migrate the database
yourself before every Airflow upgrade.`,
			check: checkMigrationWait,
		},
		{
			ID: "YDP008", Name: "image-tag", Severity: diag.Error,
			Summary: "an image is not pinned: tag latest, or no tag",
			Explanation: `An image tagged latest, or without a tag, changes under the deployment: two
nodes can run different code, and a rollback has nothing to go back to.

Fix: pin a tag, and a digest for reproducibility.`,
			check: checkImageTags,
		},
		{
			ID: "YDP009", Name: "image-architecture", Severity: diag.Error,
			Summary: "an image is not built for the cluster's architecture",
			Explanation: `An image built for amd64 only fails on arm64 nodes with "exec format
error", and the pod restarts forever. Seed 000 lost time to a PostgreSQL tag
that had no arm64 build.

Fix: on arm64 profiles use multi-arch images (postgres:16-alpine is one), or
build the image for arm64 and list it in image.architectures.`,
			check: checkImageArchitectures,
		},
		{
			ID: "YDP010", Name: "secret-in-config", Severity: diag.Error,
			Summary: "a secret value or a default password is written in the spec",
			Explanation: `Everything in the spec ends up in git. Airflow settings whose names say
password, secret, token or key must come from Secrets (airflow.cfg accepts
*_secret and *_cmd variants), and a default admin password such as admin is
the first thing anyone tries.

Fix: move the value into a credential and reference it.`,
			check: checkSecretsInConfig,
		},
		{
			ID: "YDP011", Name: "unknown-service-address", Severity: diag.Error,
			Summary: "an in-cluster address names a service the platform does not create or declare",
			Explanation: `In seed 000 the workers were pointed at redis.databases.svc while Redis ran
in namespace redis: seven workers crash-looped for hours on a name that did
not resolve. Every name.namespace.svc address in the spec is checked against
the services ydpgen renders, the services the Airflow chart creates for the
release, and the services the environment declares in
cluster.externalServices.

Fix: correct the address, or declare the service in
environments.<env>.cluster.externalServices (service.namespace).`,
			check: checkServiceAddresses,
		},
		{
			ID: "YDP012", Name: "git-sync-v3-settings", Severity: diag.Error,
			Summary: "git-sync settings that git-sync v4 ignores (branch, rev, wait)",
			Explanation: `The Airflow chart runs git-sync v4, which reads ref and period. Values
copied from older guides set branch and wait: v4 ignores them without a
word, checks out the chart's default ref and polls at its default period,
so the DAGs Airflow runs are not the ones on the branch you meant. The spec
schema refuses these keys where they appear under gitSync, with this rule's
ID.

Fix: write the branch or tag as ref and the interval as period (60s).`,
			check: func(*Input, *Report) {}, // enforced while loading the spec
		},
		{
			ID: "YDP014", Name: "names", Severity: diag.Error,
			Summary: "Kubernetes names collide after normalisation or are longer than 63 characters",
			Explanation: `DataSurface turns credential and platform names into Kubernetes names
(lowercase, '_' and spaces to '-', other characters dropped). Two names that
normalise to the same one overwrite each other's Secret. Names longer than 63
characters are refused for Services and labels, and Job names get a hash
suffix, so long PSP names overflow.

Fix: rename one of the colliding credentials; shorten the PSP name.`,
			check: checkNames,
		},
		{
			ID: "YDP015", Name: "metadata-db-remote", Severity: diag.Warning,
			Summary: "on k3s-pi, Airflow's metadata database is not next to the scheduler",
			Explanation: `On the Raspberry Pi cluster of seed 000, a database on another node cost
2-5 ms per query; the scheduler makes thousands of queries per loop, so
scheduling slowed to a crawl. The k3s-pi profile runs a dedicated PostgreSQL
next to the scheduler.

Fix: use airflow.metadataDatabase.mode: in-cluster, or put PgBouncer and the
database on the scheduler's node.`,
			check: checkRemoteMetadataDB,
		},
		{
			ID: "YDP016", Name: "pod-security-restricted", Severity: diag.Warning,
			Summary: "the namespace enforces Pod Security restricted, which DataSurface's task pods may not meet",
			Explanation: `DataSurface's infrastructure DAG starts its work as Kubernetes pods
(KubernetesPodOperator). Their security context, service account and image
pull secrets come from DataSurface, not from ydpgen: in the releases ydpgen
knows they set no security context, so they run as their image's user
(root) without a seccomp profile, and a namespace that enforces
"restricted" refuses every one of them. Airflow then shows the tasks as
failed with a Forbidden error from the API server, while everything ydpgen
renders runs fine. ydpgen's Airflow settings give the task pods that mount
the git cache its user and group and a RuntimeDefault seccomp profile
through Airflow's pod mutation hook; "restricted" also wants every container
to forbid privilege escalation and drop all capabilities, which only
DataSurface's own pod definitions can promise.

The default is "baseline" with warnings and audit at "restricted": the
warnings show, on every apply, what "restricted" would refuse.

Fix: keep namespace.podSecurity: baseline unless DataSurface's release
notes say its task pods meet "restricted"; then suppress this rule with
that reason.`,
			check: checkPodSecurityRestricted,
		},
	}
}

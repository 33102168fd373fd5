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
DataSurface git cache is shared by the MCP server, the Jobs and the task pods;
a DAG volume is mounted by every Airflow component at once (seed 000's
triggerer waited on a Multi-Attach error for the scheduler's volume).
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
			ID: "YDP005", Name: "celery-worker-size", Severity: diag.Error,
			Summary: "Celery workers on nodes too small for them",
			Explanation: `A Celery worker runs tasks in its own pod and costs about 5 GiB when busy.
On nodes with less allocatable memory than that, or with workers whose
requests exceed one node, a busy worker is OOM-killed and restarted for as
long as tasks arrive, or never schedules: an error. A worker whose own memory
limit is below 5 GiB on nodes that could hold it only loses its largest
tasks: a warning.

Fix: use LocalExecutor on small nodes (the k3s-pi default), or larger nodes.`,
			check: checkCeleryWorkers,
		},
		{
			ID: "YDP006", Name: "api-server-memory", Severity: diag.Error,
			Summary: "the Airflow API server's workers do not fit its memory limit on a small cluster",
			Explanation: `Airflow 3's API server starts several worker processes (config
api.workers, 4 by default), each a few hundred MiB: about 512 MiB plus 256 MiB
per worker. Under a smaller memory limit it is OOM-killed while starting, and
restarts in a loop: an error. In seed 000, 4 workers on a loaded Pi took
30-40 s each to start and passed the 120 s start-up deadline. On k3s-pi,
workers that may take longer (40 s each) than the API server's startup
probe allows are a warning; the deadline is the rendered probe's when the
chart is hydrated, else the seed's 120 s.

Fix: set airflow.config.api.workers to 1 or 2 on k3s-pi, or raise
airflow.components.apiServer.resources.limits.memory to at least 512Mi plus
256Mi per worker; for a slow start, fewer workers or a startup probe with
the time they take (airflow.probes.apiServer.startup).`,
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

ydpgen ties every wait to the migration Job, so the waits fire only when the
rendered values disagree with themselves. With the migration Job off and the
waits off too, nothing creates the schema and the admin user on a new
database: seed 000 assumed Airflow creates its schema on first connection,
which it does not. That is an error as well; suppress it with a reason when
the schema is migrated by hand.

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
release with the rendered values (not the embedded PostgreSQL when
postgresql.enabled is false, never <release>-webserver on Airflow 3), and the
services the environment declares in cluster.externalServices.

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
			ID: "YDP013", Name: "database-unreachable", Severity: diag.Error,
			Summary: "a database the spec names is outside the NetworkPolicies' declared ranges or ports, or no rendered policy opens it",
			Explanation: `With namespace.networkPolicy on, the namespace denies all egress and opens
only what is listed. A database outside those openings is not refused: the
connection hangs until it times out, in the scheduler, the migration Job and
every DataSurface task, and nothing in the manifests looks wrong. An earlier
ydpgen gave a metadata database on a non-default port a connection string
with that port and a policy that opened only 5432.

ydpgen opens every database the spec names at exactly its address and port.
When the spec also declares the ranges and ports meant for databases
(namespace.networkPolicy.databaseCIDRs, databasePorts), an address or port
outside them is an error: either the address is wrong or the declaration
is. The rule also reads the rendered NetworkPolicies back and reports a
database none of them lets the pods reach on its port.

Fix: correct the address or port, or add the range to databaseCIDRs and
the port to databasePorts. Suppress with a reason only when the declared
ranges are knowingly narrower than the platform needs.`,
			check: checkDatabaseReach,
		},
		{
			ID: "YDP014", Name: "names", Severity: diag.Error,
			Summary: "Kubernetes names collide after normalisation, or a rendered name or label is one the API server refuses",
			Explanation: `DataSurface turns credential and platform names into Kubernetes names
(lowercase, '_' and spaces to '-', other characters dropped). Two names that
normalise to the same one overwrite each other's Secret. Every rendered
object's name, label keys and values and annotation keys are checked with the
API server's own validation: names of Services, Jobs and StatefulSets are
DNS labels (63 characters), a CronJob's name at most 52 (its Jobs get a
suffix), label values at most 63. Each value of a spec can be valid while
their combination is not, such as a long PSP in a CronJob's name. The API
server would refuse such objects, so this rule cannot be suppressed.

Fix: rename one of the colliding credentials; shorten the PSP, release or
platform name the finding points at.`,
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
			ID: "YDP016", Name: "requests-above-limits", Severity: diag.Error,
			Summary: "a container requests more CPU or memory than its limit",
			Explanation: `A request above its limit is invalid: the API server refuses the pod, so
the Deployment or StatefulSet never gets one, and for the chart's components
the failure shows only in the ReplicaSet's events after the sync. Every
container is checked, ydpgen's and the chart's.

Fix: make every request at most its limit.`,
			check: checkRequestsAboveLimits,
		},
		{
			ID: "YDP017", Name: "memory-overcommit", Severity: diag.Warning,
			Summary: "the memory limits add up to far more than the nodes have",
			Explanation: `Pods are placed by their requests but may grow to their limits. When the
limits of the long-running pods add up to more than the profile's factor
times the nodes' allocatable memory, pods that peak together push nodes into
the 88-92 % memory of seed 000, where the kernel's OOM killer and slow
start-ups took Airflow down.

Fix: bring limits closer to requests, add nodes, or raise
environments.<env>.cluster.memoryOvercommit knowing the risk (k3s-pi allows
1.5, kubeadm and eks 2).`,
			check: checkMemoryOvercommit,
		},
		{
			ID: "YDP018", Name: "airflow2-config", Severity: diag.Error,
			Summary: "an airflow.cfg setting that Airflow 3 moved or no longer reads",
			Explanation: `Airflow 3 replaced the webserver with the API server and moved DAG parsing
into the DAG processor. Settings copied from Airflow 2 guides, such as
[scheduler] dag_dir_list_interval or [webserver] workers, are ignored without
a word, so the tuning they were meant to do never happens (seed 000 reduced
webserver workers to survive its start-up deadline).

Fix: write the setting under its Airflow 3 section; the finding names it.`,
			check: checkAirflow2Config,
		},
		{
			ID: "YDP019", Name: "postgres-image", Severity: diag.Error,
			Summary: "the in-cluster PostgreSQL is not the official postgres image",
			Explanation: `The in-cluster PostgreSQL StatefulSet is written for the official image: its
POSTGRES_* entrypoint variables, its user and its data directory. Bitnami's
image (which the chart's embedded subchart uses) reads other variables and
runs as another user, so the database never initialises; seed 000's advice
to run the subchart with postgres:16-alpine mixes the two and cannot work.

Fix: use the official image, such as postgres:16-alpine (multi-arch), or a
mirror of it.`,
			check: checkPostgresImage,
		},
		{
			ID: "YDP020", Name: "password-in-args", Severity: diag.Error,
			Summary: "a command line holds a literal password",
			Explanation: `A password after --password or -p, or in a PASSWORD=value assignment, in a
command the spec sets ends up in git, in the rendered YAML and in the
process list of the node. The chart's own create-user Job does this with its
default password; ydpgen passes the admin password from a Secret instead.

Fix: read it from an environment variable set from a credential ($NAME).`,
			check: checkPasswordArgs,
		},
		{
			ID: "YDP021", Name: "logs-without-cleanup", Severity: diag.Warning,
			Summary: "a logs volume with log cleanup turned off",
			Explanation: `Task logs only grow. With the logs volume on and no cleanup, the volume
fills and every task then fails while writing its log, which looks like a
task failure rather than a full disk. When the spec gives
airflow.logs.persistence.growthPerDay the finding says how many days the
volume lasts.

Fix: turn maintenance.logCleanup on with a retention that fits the volume.`,
			check: checkLogsCleanup,
		},
		{
			ID: "YDP022", Name: "ingress-controller", Severity: diag.Error,
			Summary: "the ingress class, annotations or NetworkPolicy do not match the ingress controller",
			Explanation: `Each profile's ingress controller (Traefik on k3s-pi, ingress-nginx on
kubeadm, the AWS Load Balancer Controller on eks) gets the annotations ydpgen
writes on every Ingress. An ingress class of another controller gets an
Ingress that nobody serves, annotations meant for another controller do
nothing, and a NetworkPolicy that admits the controller from the wrong
namespace drops every request it forwards.

Fix: keep the profile's ingress class, its annotations, and the namespace its
controller runs in.`,
			check: checkIngressController,
		},
		{
			ID: "YDP023", Name: "claim-over-node-storage", Severity: diag.Warning,
			Summary: "a volume claim larger than what one node can give to volumes",
			Explanation: `On a Raspberry Pi cluster the operating system, the container images and
Longhorn's replicas share one small disk per node. A claim larger than a node
can hold stays Pending, or fills the node until the kubelet evicts pods.

Fix: shrink the claim, or state the nodes' real capacity in
environments.<env>.cluster.nodeStorage.`,
			check: checkNodeStorage,
		},
		{
			ID: "YDP024", Name: "private-image-pull-secret", Severity: diag.Error,
			Summary: "an image from a private registry without a pull secret",
			Explanation: `An image from a registry that needs credentials fails with ErrImagePull,
one pod at a time, after the deployment. The seed patched the default
ServiceAccount by hand to get DataSurface's private image pulled.

Fix: list the registry in cluster.privateRegistries and name a REGISTRY
credential as the pullSecret next to each image from it.`,
			check: checkPrivateImages,
		},
		{
			ID: "YDP025", Name: "pod-security-restricted", Severity: diag.Warning,
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
		{
			ID: "YDP026", Name: "pod-security-level", Severity: diag.Error,
			Summary: "a rendered workload's pods break the Pod Security level the namespace enforces",
			Explanation: `The namespace enforces a Pod Security level (baseline by default). The API
server checks pods, not the Deployments, StatefulSets, Jobs and CronJobs that
make them: a workload whose pod template breaks the level is admitted, and
then every pod it creates is refused. The ReplicaSet or Job controller
retries without end, the rollout never finishes, and the only trace is an
event on an object nobody looks at.

The rule runs the Pod Security admission's own checks, at the namespace's
level, over the pod template of every rendered workload: ydpgen's, and the
Airflow chart's when it is hydrated, whose templates follow the values.

Fix: give the workload the security context the level asks for (for the
chart, through its values). Under restricted, namespace.podSecurity:
baseline is the other way out for pods that meet baseline; baseline is the
lowest level a spec can set.`,
			check: checkPodSecurityLevel,
		},
		{
			ID: "YDP027", Name: "probe-too-tight", Severity: diag.Error,
			Summary: "a liveness or startup probe gives the cluster's nodes less time than its probe floor",
			Explanation: `A liveness probe restarts a container whose check fails or takes longer
than timeoutSeconds, failureThreshold times in a row; a startup probe holds
the liveness probe back until the process is up, and restarts it if it is
not up in time. On a busy small node a Python process takes seconds to
answer and a minute or two to start, so probes timed for server nodes
restart containers that work, after every start again. Seed 000: Flower on
a Raspberry Pi cluster restarted every two minutes, over a hundred times,
until its probe waited 120 s before the first check and 10 s for each.

The profile says how slow the nodes are in cluster.probeFloor (k3s-pi: a
check may take 10 s, a start 120 s; kubeadm and eks: 5 s and 60 s). The rule
reads the probes of every rendered container, ydpgen's and the hydrated
chart's: each check must be allowed the floor's timeout, and the probe that
runs first (startup, else liveness) must allow the floor's start time,
initialDelaySeconds + periodSeconds x failureThreshold. ydpgen raises its
own probes to the floor; the k3s-pi profile retimes the chart's. With
airflow.chart.hydrate: false the chart's objects are not in the tree and
the rule sees ydpgen's probes only, though the values still carry the
timings of airflow.probes.

Fix: time the chart component's probe in airflow.probes.<component>
(liveness, startup), or correct cluster.probeFloor if the nodes are faster
than it says.`,
			check: checkProbeFloor,
		},
	}
}

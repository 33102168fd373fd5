// Package chart hydrates Helm charts in process: it finds a chart, pins it
// in ydpgen.lock, checks values against the chart's own schema, and renders
// it as `helm template` would, with Helm's v4 SDK and no helm binary and no
// cluster. It imports no other ydpgen package; errors are plain Go errors
// (two of them structured) that name the chart, the lock entry or the path.
//
// # Finding a chart
//
// A Ref names a chart as a spec does: Name, Version (exact or a semver
// constraint) and Source, which is a chart repository
// ("https://airflow.apache.org"), an OCI repository ("oci://ghcr.io/org/charts",
// the chart being Source/Name) or a local chart directory or .tgz.
//
// Remote charts are pinned. Resolver.Update picks the newest version the Ref
// allows, downloads it, stores the archive in the cache under its sha256
// digest (DefaultCacheDir: ~/.cache/ydpgen/charts) and sets the chart's
// LockEntry (name, version, source, digest); the caller writes the lock with
// WriteLock. That is "ydpgen chart update". Resolver.Resolve uses only the
// locked archive: from the cache, or downloaded again when the cache lacks
// it, and in both cases it must have the locked digest. A different digest
// is an error, never a silent re-pull; so is a cold cache when
// Resolver.Offline is set. Local charts are read from disk and not locked.
//
//	lock, err := chart.ReadLock(filepath.Join(specDir, chart.LockFileName))
//	r := &chart.Resolver{Offline: offline, BaseDir: specDir}
//	c, err := r.Resolve(ctx, chart.Ref{Name: "airflow", Version: "1.19.0", Source: "https://airflow.apache.org"}, lock)
//
// and for "ydpgen chart update":
//
//	e, err := r.Update(ctx, ref, lock) // then chart.WriteLock(path, lock)
//
// # Rendering
//
// Render(ctx, c, values, Options{ReleaseName, Namespace, KubeVersion,
// APIVersions, IncludeCRDs, CacheDir}) returns a Result:
//
//   - Objects: the release's objects in Helm's install order, each with the
//     template that rendered it ("airflow/templates/...") and its body as
//     map[string]any (int64 and float64 numbers, as unstructured objects).
//   - Hooks: objects annotated helm.sh/hook, by weight then name, with their
//     events, weight and delete policies. A GitOps engine never runs Helm's
//     hooks, so the caller decides: apply them, translate them to the
//     engine's own hooks, or report them. Test hooks are dropped.
//   - Lookups: the lookup calls the templates made. Without a cluster
//     lookup finds nothing, as in `helm template`; Helm inside a cluster
//     (Flux's helm-controller) would find objects, so a caller may warn.
//
// The result is what `helm template --kube-version K --api-versions A`
// prints for the same values file (the tests compare with Helm's own
// install action in client-only dry-run mode): .Release.IsInstall is true,
// Revision 1; NOTES.txt, empty documents and hooks of unknown kinds are
// dropped, as Helm drops them. Two deliberate differences: values are
// normalized as Helm normalizes a values file (so Go ints and typed maps
// render as written YAML would), and .Capabilities.HelmVersion.GoVersion is
// empty, so output does not depend on the Go toolchain that built ydpgen.
//
// # Checks
//
// Before rendering, the coalesced values are validated against the chart's
// values.schema.json and each enabled subchart's, as Helm does. Failures
// come back as *ValuesError, whose Errors each carry Path (map keys and
// list indices from the root of the values given to Render, a subchart's
// under its name) and Field (the same as workers.celery.replicas or
// extraContainers[1].image), so the caller can map them to the spec line
// that produced the value. They are read from the validator's structured
// output, not parsed from its text. An unknown key is reported at the key.
//
// Every render notes whether the templates called a function whose result
// varies (the random ones such as randAlphaNum and uuidv4, now, key and
// certificate generation, salted hashes). A render that called none is
// deterministic and runs Helm's engine once; otherwise it runs again with
// the template clock moved on, and any difference (randAlphaNum, uuidv4,
// now, a lookup-or-generate pattern) is a *NondeterminismError listing each
// differing object (kind, namespace, name, template), the fields that
// differ, and a hint: the unset values its template reads that would pin
// it, such as fernetKeySecretName. Objects that differ only in checksum
// annotations are listed after the objects they follow.
//
// # Render cache
//
// With Options.CacheDir set (DefaultRenderCacheDir: ~/.cache/ydpgen/rendered),
// a result is stored under a key of the chart's digest, the canonical JSON
// of the values, the release name and namespace, the Kubernetes version,
// the API versions, IncludeCRDs and the Helm module version. A render with
// the same key reads the file and runs neither Helm nor the checks (the
// cached result passed them); Result.FromCache says so. Failed renders are
// never cached; a damaged cache file is a miss and is rewritten. Cached and
// fresh results are equal: both go through the same JSON encoding.
//
// # Not here
//
// The package does not decide which values a platform spec produces, map
// errors to spec lines, or write files other than its caches and the lock
// file; render, lint and the CLI do that with the types above.
package chart

#!/usr/bin/env bash
# Refreshes testdata/crds/ with the CustomResourceDefinitions of the custom
# kinds ydpgen emits, and testdata/crds/flux/ with the remaining kinds that
# Flux's source-controller and kustomize-controller watch (the GitOps loop in
# e2e/flux runs those controllers, and they refuse to start while any kind
# they watch is missing; kinds already in testdata/crds/ are not repeated). The CRDs are not written by hand: each one is copied
# verbatim from the Go module zip (fetched through the Go module proxy) of the
# project that owns it, at a pinned version. Re-running is idempotent.
#
# Usage: hack/crds/generate.sh   (from any directory; no arguments)
set -euo pipefail

# --- pinned sources ---------------------------------------------------------
# Flux source-controller (GitRepository, HelmRepository); api module v1.9.5.
SOURCE_CONTROLLER=github.com/fluxcd/source-controller@v1.9.5
# Flux kustomize-controller (Kustomization); api module v1.9.5.
KUSTOMIZE_CONTROLLER=github.com/fluxcd/kustomize-controller@v1.9.5
# Flux helm-controller (HelmRelease). The project targets the api module
# v1.6.5, but the module proxy does not serve the controller module at v1.6.5
# (403 "This module version is not available"), and only the controller
# module ships config/crd/bases. The CRD is therefore taken from the v1.6.4
# controller module, after checking below that the api module's source (which
# the CRD is generated from) is byte-identical between v1.6.4 and v1.6.5.
HELM_CONTROLLER=github.com/fluxcd/helm-controller@v1.6.4
HELM_API_USED=github.com/fluxcd/helm-controller/api@v1.6.4
HELM_API_TARGET=github.com/fluxcd/helm-controller/api@v1.6.5
# External Secrets Operator (ExternalSecret, SecretStore, ClusterSecretStore,
# and the Password generator).
EXTERNAL_SECRETS=github.com/external-secrets/external-secrets@v1.3.2
# Argo CD (Application, ApplicationSet, AppProject). v3.5.7 is the newest v3
# release whose go.mod the pinned Go toolchain accepts (v3.6.x needs go 1.27).
ARGO_CD=github.com/argoproj/argo-cd/v3@v3.5.7
# -----------------------------------------------------------------------------

log() { printf 'hack/crds/generate.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
[[ -f "$root/go.mod" ]] || die "cannot find the module root (expected $root/go.mod)"
out="$root/testdata/crds"

export GOWORK=off
export GO111MODULE=on

tmp="$(mktemp -d "${TMPDIR:-/tmp}/ydpgen-crds.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# module_dir MODULE@VERSION -> prints the extracted module directory.
module_dir() {
	local json dir
	if ! json="$(cd "$tmp" && go mod download -json "$1" 2>&1)"; then
		die "go mod download $1 failed: $json"
	fi
	dir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")"
	[[ -n "$dir" && -d "$dir" ]] || die "no Dir for $1 in: $json"
	printf '%s\n' "$dir"
}

staged="$tmp/crds"
mkdir -p "$staged" "$staged/flux"

# take MODULE@VERSION PATH-IN-MODULE DEST-NAME
take() {
	local mv="$1" rel="$2" name="$3" dir
	dir="$(module_dir "$mv")"
	[[ -f "$dir/$rel" ]] || die "$mv does not contain $rel"
	{
		printf '# Copied unmodified (below this header) by hack/crds/generate.sh from\n'
		printf '# Go module %s, file %s.\n' "$mv" "$rel"
		printf '# Do not edit; re-run the script instead.\n'
		cat "$dir/$rel"
	} >"$staged/$name"
	grep -q '^kind: CustomResourceDefinition' "$staged/$name" || die "$mv $rel is not a CustomResourceDefinition"
	log "$name <- $mv $rel"
}

# Guard the helm-controller substitution described above.
api_used="$(module_dir "$HELM_API_USED")"
api_target="$(module_dir "$HELM_API_TARGET")"
if ! diff -r "$api_used" "$api_target" >/dev/null; then
	die "$HELM_API_USED and $HELM_API_TARGET differ; the CRD from $HELM_CONTROLLER may not match $HELM_API_TARGET"
fi

take "$SOURCE_CONTROLLER" config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml source.toolkit.fluxcd.io_gitrepositories.yaml
take "$SOURCE_CONTROLLER" config/crd/bases/source.toolkit.fluxcd.io_helmrepositories.yaml source.toolkit.fluxcd.io_helmrepositories.yaml
take "$KUSTOMIZE_CONTROLLER" config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml kustomize.toolkit.fluxcd.io_kustomizations.yaml
take "$HELM_CONTROLLER" config/crd/bases/helm.toolkit.fluxcd.io_helmreleases.yaml helm.toolkit.fluxcd.io_helmreleases.yaml
take "$EXTERNAL_SECRETS" config/crds/bases/external-secrets.io_externalsecrets.yaml external-secrets.io_externalsecrets.yaml
take "$EXTERNAL_SECRETS" config/crds/bases/external-secrets.io_secretstores.yaml external-secrets.io_secretstores.yaml
take "$EXTERNAL_SECRETS" config/crds/bases/external-secrets.io_clustersecretstores.yaml external-secrets.io_clustersecretstores.yaml
take "$EXTERNAL_SECRETS" config/crds/bases/generators.external-secrets.io_passwords.yaml generators.external-secrets.io_passwords.yaml
take "$ARGO_CD" manifests/crds/application-crd.yaml argoproj.io_applications.yaml
take "$ARGO_CD" manifests/crds/applicationset-crd.yaml argoproj.io_applicationsets.yaml
take "$ARGO_CD" manifests/crds/appproject-crd.yaml argoproj.io_appprojects.yaml
# Kinds ydpgen does not emit but the Flux controllers watch.
take "$SOURCE_CONTROLLER" config/crd/bases/source.toolkit.fluxcd.io_buckets.yaml flux/source.toolkit.fluxcd.io_buckets.yaml
take "$SOURCE_CONTROLLER" config/crd/bases/source.toolkit.fluxcd.io_externalartifacts.yaml flux/source.toolkit.fluxcd.io_externalartifacts.yaml
take "$SOURCE_CONTROLLER" config/crd/bases/source.toolkit.fluxcd.io_helmcharts.yaml flux/source.toolkit.fluxcd.io_helmcharts.yaml
take "$SOURCE_CONTROLLER" config/crd/bases/source.toolkit.fluxcd.io_ocirepositories.yaml flux/source.toolkit.fluxcd.io_ocirepositories.yaml

# Every CRD the two Flux controllers ship must now be in one of the two
# directories, exactly once.
for mv in "$SOURCE_CONTROLLER" "$KUSTOMIZE_CONTROLLER"; do
	dir="$(module_dir "$mv")"
	for f in "$dir"/config/crd/bases/*.yaml; do
		name="$(basename "$f")"
		n=0
		[[ -e "$staged/$name" ]] && n=$((n + 1))
		[[ -e "$staged/flux/$name" ]] && n=$((n + 1))
		((n == 1)) || die "$mv ships $name; found it $n times among the staged CRDs (want once)"
	done
done

# Replace the previous set, directory by directory: drop YAML files this
# script no longer produces, then move the fresh copies in.
shopt -s nullglob
for sub in . flux; do
	mkdir -p "$out/$sub"
	for f in "$out/$sub"/*.yaml; do
		[[ -e "$staged/$sub/$(basename "$f")" ]] || { log "removing stale $sub/$(basename "$f")"; rm -f "$f"; }
	done
	for f in "$staged/$sub"/*.yaml; do
		chmod 0644 "$f"
		mv -f "$f" "$out/$sub/$(basename "$f")"
	done
done
log "wrote $(ls "$out"/*.yaml | wc -l) CRD files to $out and $(ls "$out"/flux/*.yaml | wc -l) to $out/flux"

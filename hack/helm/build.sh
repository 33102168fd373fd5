#!/usr/bin/env bash
# Builds, or reuses from the cache, the helm v4 binary that hack/bench-chart.sh
# times against ydpgen's in-process chart rendering. ydpgen itself never runs
# helm. It is built from source fetched through the Go module proxy, at the
# version of helm.sh/helm/v4 that go.mod requires, so both render with the
# same Helm code; nothing prebuilt is downloaded.
#
# Output (stdout): one line, HELM=/abs/path/helm. Progress goes to stderr.
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/ydpgen/helm/<version>/helm, reused
# when it runs and reports that version.
set -euo pipefail
cd "$(dirname "$0")/../.."

log() { printf 'hack/helm/build.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v go >/dev/null 2>&1 || die "go is not on PATH"
version="$(go list -m -f '{{.Version}}' helm.sh/helm/v4)" || die "go.mod does not require helm.sh/helm/v4"

cache_root="${XDG_CACHE_HOME:-${HOME:?HOME is not set}/.cache}"
dir="$cache_root/ydpgen/helm/$version"
bin="$dir/helm"

# helm_ok: the cached binary runs and is the pinned version.
helm_ok() {
	local out
	out="$("$bin" version --template '{{.Version}}' 2>/dev/null)" || return 1
	[[ "$out" == "$version" ]]
}

if [[ -x "$bin" ]] && helm_ok; then
	printf 'HELM=%s\n' "$bin"
	exit 0
fi

log "building helm $version from the module proxy (first run on this machine, a few minutes on 2 cores)..."
mkdir -p "$dir"
work="$(mktemp -d "${TMPDIR:-/tmp}/ydpgen-helm-build.XXXXXX")"
trap 'chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"' EXIT
# A module of its own, so that the build uses helm's own dependency versions
# and not this repository's; the version is stamped the way helm's Makefile
# does, so that `helm version` reports it.
(
	cd "$work"
	export GOWORK=off GO111MODULE=on GOFLAGS=-mod=mod
	go mod init ydpgen.local/helmbuild >/dev/null 2>&1
	go get "helm.sh/helm/v4@$version" >/dev/null 2>&1 || die "go get helm.sh/helm/v4@$version failed"
	go build -trimpath -o "$work/helm" \
		-ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$version" \
		helm.sh/helm/v4/cmd/helm
) || die "building helm $version failed"
mv "$work/helm" "$bin"
helm_ok || die "the helm built at $bin does not report version $version"
log "built $bin"
printf 'HELM=%s\n' "$bin"

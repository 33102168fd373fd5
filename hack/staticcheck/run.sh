#!/usr/bin/env bash
# Runs staticcheck (honnef.co/go/tools) at the pinned version on the given
# packages, building it first from the Go module proxy into the cache when
# the cache does not hold it yet. `make lint` calls it, so a fresh machine
# needs nothing but Go.
#
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/ydpgen/staticcheck/<version>/staticcheck
# A cached binary is reused only if it runs and reports the pinned version.
set -euo pipefail

VERSION=v0.8.2 # honnef.co/go/tools; 0.8 is the line that builds with Go 1.26

log() { printf 'hack/staticcheck/run.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v go >/dev/null 2>&1 || die "go is not on PATH"

cache_root="${XDG_CACHE_HOME:-${HOME:?HOME is not set}/.cache}"
bin_dir="$cache_root/ydpgen/staticcheck/$VERSION"
bin="$bin_dir/staticcheck"

# ok: the cached binary runs and reports the pinned version ("staticcheck
# 2026.2.2 (0.8.2)", without the v).
ok() {
	[[ -x "$bin" ]] || return 1
	local out
	out="$("$bin" -version </dev/null 2>&1)" || return 1
	[[ "$out" == *"(${VERSION#v})" ]]
}

if ! ok; then
	log "building staticcheck $VERSION from the Go module proxy into $bin_dir"
	mkdir -p "$bin_dir"
	# go install pkg@version builds outside this module, so neither go.mod
	# nor a surrounding go.work decides staticcheck's dependencies.
	GOWORK=off GOFLAGS=-mod=mod GOBIN="$bin_dir" go install "honnef.co/go/tools/cmd/staticcheck@$VERSION" ||
		die "go install honnef.co/go/tools/cmd/staticcheck@$VERSION failed"
	ok || die "$bin does not report version $VERSION"
fi

exec "$bin" "$@"

#!/usr/bin/env bash
# Builds, or reuses from the cache, the Flux source-controller and
# kustomize-controller binaries that internal/fluxtest runs in tests.
# Everything is built from source fetched through the Go module proxy;
# nothing prebuilt is downloaded.
#
# Output (stdout), one line each, for the caller to parse:
#   SOURCE_CONTROLLER=/abs/path/source-controller
#   KUSTOMIZE_CONTROLLER=/abs/path/kustomize-controller
# Progress goes to stderr.
#
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/ydpgen/flux/<flux controllers version>/
# A cached binary is reused only if it runs (--help) and its embedded build
# information names the pinned controller module version.
set -euo pipefail

# Both controllers are released together with Flux 2.9.5. Newer releases need
# a newer Go toolchain or dependencies the module proxy refuses.
FLUX_CONTROLLERS_VERSION=v1.9.5
SOURCE_MODULE=github.com/fluxcd/source-controller
KUSTOMIZE_MODULE=github.com/fluxcd/kustomize-controller
# source-controller@v1.9.5 requires github.com/fluxcd/pkg/artifact v0.18.3,
# which the module proxy refuses to serve; v0.18.1 differs from it only in
# dependency bumps.
ARTIFACT_MODULE=github.com/fluxcd/pkg/artifact
ARTIFACT_VERSION=v0.18.1

log() { printf 'hack/flux/build.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v go >/dev/null 2>&1 || die "go is not on PATH"

cache_root="${XDG_CACHE_HOME:-${HOME:?HOME is not set}/.cache}"
cache_dir="$cache_root/ydpgen/flux/$FLUX_CONTROLLERS_VERSION"
mkdir -p "$cache_dir"
source_bin="$cache_dir/source-controller"
kustomize_bin="$cache_dir/kustomize-controller"

# Never let a surrounding go.work or a caller's module leak into the
# throwaway modules below.
export GOWORK=off
export GO111MODULE=on

work=""
cleanup() {
	if [[ -n "$work" && -d "$work" ]]; then
		# The module cache marks its files read-only; -mod=mod builds do not
		# write there, but be safe when a build was interrupted.
		chmod -R u+w "$work" 2>/dev/null || true
		rm -rf "$work"
	fi
}
trap cleanup EXIT
work="$(mktemp -d "${TMPDIR:-/tmp}/ydpgen-flux-build.XXXXXX")"

# controller_ok PATH MODULE: PATH runs, and was built from MODULE at the
# pinned version (the controllers have no --version flag, so the Go build
# information stands in for it).
controller_ok() {
	local bin="$1" module="$2" info
	[[ -f "$bin" && -x "$bin" ]] || return 1
	"$bin" --help </dev/null >/dev/null 2>&1 || return 1
	info="$(go version -m "$bin" 2>/dev/null)" || return 1
	# Built from a required module, the main package's module is listed as
	# "mod" with its version (not "dep", and not the throwaway module).
	grep -Eq "^[[:space:]]+path[[:space:]]+${module//./\\.}\$" <<<"$info" &&
		grep -Eq "^[[:space:]]+mod[[:space:]]+${module//./\\.}[[:space:]]+${FLUX_CONTROLLERS_VERSION//./\\.}[[:space:]]" <<<"$info"
}

# Serialise concurrent runs (for example several test binaries starting at
# once) so that each binary is built only once.
lock="$cache_dir/.lock"
locked=0
if command -v flock >/dev/null 2>&1; then
	exec 9>"$lock"
	locked=1
	if ! flock -n 9; then
		log "another build holds $lock; waiting for it"
		flock 9
	fi
fi
# Leftovers of a build that was interrupted; safe to remove only while we
# hold the lock.
if ((locked)); then
	rm -f "$cache_dir"/.source-controller.tmp.* "$cache_dir"/.kustomize-controller.tmp.*
fi

# upstream_replaces MODULE@VERSION: prints the replace directives of the
# module's go.mod, one "old => new version" per line, leaving out those that
# point into the module's own tree (for example "./api"), which do not
# resolve outside its repository.
upstream_replaces() {
	local info gomod
	info="$(cd "$work" && go mod download -json "$1" 2>&1)" ||
		die "go mod download $1 failed: $info"
	gomod="$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p' <<<"$info")"
	[[ -n "$gomod" && -f "$gomod" ]] || die "could not find the go.mod of $1 in: $info"
	awk '
		/^replace[[:space:]]*\(/ { inrep = 1; next }
		inrep && /^\)/ { inrep = 0; next }
		inrep && NF > 0 && $1 !~ /^\/\// { sub(/^[[:space:]]+/, ""); print; next }
		/^replace[[:space:]]+[^(]/ { sub(/^replace[[:space:]]+/, ""); print }
	' "$gomod" | sed 's/[[:space:]]*\/\/.*$//' | awk '
		{
			# Fields: old [oldver] => new [newver]
			for (i = 1; i <= NF; i++) if ($i == "=>") arrow = i
			target = $(arrow + 1)
			if (target ~ /^\.\.?\//) next
			print
		}'
}

# build_controller NAME MODULE DEST [EXTRA-REPLACE...]
build_controller() {
	local name="$1" module="$2" dest="$3"
	shift 3
	local mod="$work/$name"
	mkdir -p "$mod"
	log "building $name $FLUX_CONTROLLERS_VERSION (first run on this machine: ~10 min on 2 idle cores, far longer on a busy machine; ~3 GB module and 3 GB build cache)..."

	local replaces line n=0
	replaces=""
	while IFS= read -r line; do
		[[ -n "$line" ]] || continue
		replaces+="$(printf '\t%s' "$line")"$'\n'
		n=$((n + 1))
	done < <(upstream_replaces "$module@$FLUX_CONTROLLERS_VERSION")
	local extra
	for extra in "$@"; do
		replaces+="$(printf '\t%s' "$extra")"$'\n'
		n=$((n + 1))
	done

	# The controller's own ./api replacement is dropped above; the published
	# api module at the same version takes its place.
	cat >"$mod/go.mod" <<GOMOD
module ydpgen.local/$name-build

go 1.26.0

require (
	$module $FLUX_CONTROLLERS_VERSION
	$module/api $FLUX_CONTROLLERS_VERSION
)

replace (
${replaces})
GOMOD
	log "$name: $n replace directives (upstream's, minus its local ./api)"
	log "$name: resolving and compiling $module (go build -mod=mod -trimpath)"
	local tmpbin="$cache_dir/.$name.tmp.$$"
	rm -f "$tmpbin"
	if ! (cd "$mod" && CGO_ENABLED=0 go build -mod=mod -trimpath -ldflags "-s -w" \
		-o "$tmpbin" "$module" 9>&-); then
		rm -f "$tmpbin"
		die "building $name failed (throwaway module: $mod/go.mod)"
	fi
	if ! controller_ok "$tmpbin" "$module"; then
		rm -f "$tmpbin"
		die "the built $name does not run or was not built from $module $FLUX_CONTROLLERS_VERSION"
	fi
	# Same directory, so the rename is atomic: the cache never holds a
	# partly written binary.
	mv -f "$tmpbin" "$dest"
	log "built $dest"
}

if controller_ok "$source_bin" "$SOURCE_MODULE"; then
	log "using cached source-controller $FLUX_CONTROLLERS_VERSION: $source_bin"
else
	build_controller source-controller "$SOURCE_MODULE" "$source_bin" \
		"$ARTIFACT_MODULE => $ARTIFACT_MODULE $ARTIFACT_VERSION"
fi
if controller_ok "$kustomize_bin" "$KUSTOMIZE_MODULE"; then
	log "using cached kustomize-controller $FLUX_CONTROLLERS_VERSION: $kustomize_bin"
else
	build_controller kustomize-controller "$KUSTOMIZE_MODULE" "$kustomize_bin"
fi

printf 'SOURCE_CONTROLLER=%s\n' "$source_bin"
printf 'KUSTOMIZE_CONTROLLER=%s\n' "$kustomize_bin"

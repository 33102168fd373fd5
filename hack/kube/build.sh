#!/usr/bin/env bash
# Builds, or reuses from the cache, the kube-apiserver and etcd binaries that
# internal/kubetest runs in tests. Everything is built from source fetched
# through the Go module proxy; nothing prebuilt is downloaded.
#
# Output (stdout), one line each, for the caller to parse:
#   KUBE_APISERVER=/abs/path/kube-apiserver
#   ETCD=/abs/path/etcd
# Progress goes to stderr.
#
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/ydpgen/kube/<kubernetes version>/
# A cached binary is reused only if it runs and reports the pinned version.
set -euo pipefail

KUBE_VERSION=v1.34.4         # k8s.io/kubernetes
STAGING_VERSION=v0.34.4      # the k8s.io/* staging modules released with it
ETCD_VERSION=v3.6.4          # go.etcd.io/etcd/server/v3

log() { printf 'hack/kube/build.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v go >/dev/null 2>&1 || die "go is not on PATH"

cache_root="${XDG_CACHE_HOME:-${HOME:?HOME is not set}/.cache}"
cache_dir="$cache_root/ydpgen/kube/$KUBE_VERSION"
mkdir -p "$cache_dir"
apiserver="$cache_dir/kube-apiserver"
etcd="$cache_dir/etcd"

# Never let a surrounding go.work or a caller's module leak into the
# throwaway modules below.
export GOWORK=off
export GO111MODULE=on

work=""
ticker=""
cleanup() {
	stop_ticker
	if [[ -n "$work" && -d "$work" ]]; then
		rm -rf "$work"
	fi
}

# start_ticker WHAT: a progress line every 30 s while a long step runs, so
# that a cold build is never silent for minutes.
start_ticker() {
	local what="$1" start=$SECONDS
	(
		# sleep must not hold stderr open: a caller reading it to EOF would
		# wait for the last sleep after the build is done.
		trap 'kill "$nap" 2>/dev/null; exit 0' TERM
		while :; do
			sleep 30 </dev/null >/dev/null 2>&1 &
			nap=$!
			wait "$nap"
			log "still $what ($((SECONDS - start)) s so far)"
		done
	) 9>&- &
	ticker=$!
}
stop_ticker() {
	if [[ -n "$ticker" ]]; then
		kill "$ticker" 2>/dev/null || true
		wait "$ticker" 2>/dev/null || true
		ticker=""
	fi
}
trap cleanup EXIT
work="$(mktemp -d "${TMPDIR:-/tmp}/ydpgen-kube-build.XXXXXX")"

# apiserver_ok PATH: PATH runs and reports the pinned Kubernetes version.
apiserver_ok() {
	[[ -f "$1" && -x "$1" ]] || return 1
	local out
	out="$("$1" --version </dev/null 2>&1)" || return 1
	[[ "$out" == "Kubernetes $KUBE_VERSION" ]]
}

# etcd_ok PATH: PATH runs and reports the pinned etcd version.
etcd_ok() {
	[[ -f "$1" && -x "$1" ]] || return 1
	local out
	out="$("$1" --version </dev/null 2>&1)" || return 1
	grep -q "^etcd Version: ${ETCD_VERSION#v}\$" <<<"$out"
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
	rm -f "$cache_dir"/.kube-apiserver.tmp.* "$cache_dir"/.etcd.tmp.*
fi

build_apiserver() {
	local mod="$work/kube-apiserver"
	mkdir -p "$mod"
	log "building kube-apiserver $KUBE_VERSION (first run on this machine, ~6 min on 2 cores, ~2 GB RAM)..."

	log "fetching k8s.io/kubernetes@$KUBE_VERSION go.mod"
	local info gomod
	info="$(cd "$mod" && go mod download -json "k8s.io/kubernetes@$KUBE_VERSION")" ||
		die "go mod download k8s.io/kubernetes@$KUBE_VERSION failed: $info"
	gomod="$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p' <<<"$info")"
	[[ -n "$gomod" && -f "$gomod" ]] || die "could not find the go.mod of k8s.io/kubernetes@$KUBE_VERSION in: $info"

	# The staging modules: every k8s.io/* module that k8s.io/kubernetes
	# requires at the placeholder version v0.0.0 (upstream replaces them with
	# ./staging/src/... which is not usable from outside the repository).
	local staging
	staging="$(awk '
		/^require[[:space:]]*\(/ { inreq = 1; next }
		inreq && /^\)/ { inreq = 0; next }
		inreq && $1 ~ /^k8s\.io\// && $2 == "v0.0.0" { print $1 }
		/^require[[:space:]]+k8s\.io\/[^[:space:]]+[[:space:]]+v0\.0\.0/ { print $2 }
	' "$gomod" | sort -u)"
	[[ -n "$staging" ]] || die "no k8s.io/* v0.0.0 requirements found in $gomod"

	# Check each one is served at the matching version before replacing it;
	# the probe runs outside the module being written.
	local m n=0 replaces=""
	mkdir -p "$work/probe"
	for m in $staging; do
		if (cd "$work/probe" && go list -m -json "$m@$STAGING_VERSION" >/dev/null 2>"$work/probe.err"); then
			replaces+="$(printf '\t%s => %s %s' "$m" "$m" "$STAGING_VERSION")"$'\n'
			n=$((n + 1))
		else
			log "skipping $m@$STAGING_VERSION (not available from the module proxy): $(tr '\n' ' ' <"$work/probe.err")"
		fi
	done

	cat >"$mod/go.mod" <<GOMOD
module ydpgen.local/kube-apiserver-build

go 1.24.0

godebug default=go1.24

require k8s.io/kubernetes $KUBE_VERSION

replace (
${replaces})
GOMOD
	log "replacing $n k8s.io staging modules with $STAGING_VERSION"

	local major minor
	major="${KUBE_VERSION#v}"; major="${major%%.*}"
	minor="${KUBE_VERSION#v*.}"; minor="${minor%%.*}"
	local vpkg=k8s.io/component-base/version
	local ldflags="-s -w -X $vpkg.gitVersion=$KUBE_VERSION -X $vpkg.gitMajor=$major -X $vpkg.gitMinor=$minor -X $vpkg.gitTreeState=clean"

	log "resolving and compiling k8s.io/kubernetes/cmd/kube-apiserver (go build -mod=mod -trimpath)"
	local tmpbin="$cache_dir/.kube-apiserver.tmp.$$"
	rm -f "$tmpbin"
	start_ticker "downloading and compiling kube-apiserver"
	if ! (cd "$mod" && CGO_ENABLED=0 go build -mod=mod -trimpath -ldflags "$ldflags" \
		-o "$tmpbin" k8s.io/kubernetes/cmd/kube-apiserver 9>&-); then
		stop_ticker
		rm -f "$tmpbin"
		die "building kube-apiserver failed"
	fi
	stop_ticker
	if ! apiserver_ok "$tmpbin"; then
		rm -f "$tmpbin"
		die "the built kube-apiserver does not report Kubernetes $KUBE_VERSION with --version"
	fi
	# Same directory, so the rename is atomic: the cache never holds a
	# partly written binary.
	mv -f "$tmpbin" "$apiserver"
	log "built $apiserver"
}

build_etcd() {
	local mod="$work/etcd"
	mkdir -p "$mod"
	log "building etcd $ETCD_VERSION (first run on this machine, ~1-2 min)..."
	cat >"$mod/go.mod" <<GOMOD
module ydpgen.local/etcd-build

go 1.24.0

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
GOMOD
	local tmpbin="$cache_dir/.etcd.tmp.$$"
	rm -f "$tmpbin"
	start_ticker "downloading and compiling etcd"
	if ! (cd "$mod" && CGO_ENABLED=0 go build -mod=mod -trimpath -ldflags "-s -w" \
		-o "$tmpbin" go.etcd.io/etcd/server/v3 9>&-); then
		stop_ticker
		rm -f "$tmpbin"
		die "building etcd failed"
	fi
	stop_ticker
	if ! etcd_ok "$tmpbin"; then
		rm -f "$tmpbin"
		die "the built etcd does not report $ETCD_VERSION with --version"
	fi
	mv -f "$tmpbin" "$etcd"
	log "built $etcd"
}

if etcd_ok "$etcd"; then
	log "using cached etcd $ETCD_VERSION: $etcd"
else
	build_etcd
fi
if apiserver_ok "$apiserver"; then
	log "using cached kube-apiserver $KUBE_VERSION: $apiserver"
else
	build_apiserver
fi

printf 'KUBE_APISERVER=%s\n' "$apiserver"
printf 'ETCD=%s\n' "$etcd"

#!/usr/bin/env bash
# Prints the path of the official Airflow Helm chart 1.19.0 archive the chart
# tests render. It looks in $YDPGEN_CHARTS_DIR, then ../shared/charts/ from
# the repository root (from the main worktree's root too, in a linked git
# worktree), then in its own download cache; failing those it downloads the
# release from the Apache Software Foundation's servers (where the chart
# repository https://airflow.apache.org points) and checks the chart's name
# and version in its Chart.yaml. The digest is not checked: the shared
# archive was packaged separately and differs from the published one.
#
# Usage: hack/chart.sh        (prints one path; exit 1 with one line if none)
#        hack/chart.sh --seed (make demo, test and tools: also copies the
#                              archive into ydpgen's chart cache under its
#                              digest, so renders of the examples work
#                              offline; when there is no archive it says so
#                              in one line and exits 0)
# Tests: YDPGEN_CHARTS_DIR="$(dirname "$(hack/chart.sh)")" go test ./chart/...
#
# The examples' ydpgen.lock pins the digest of the shared archive
# (../shared/charts). An archive downloaded from Apache has another digest:
# seeding it does no harm, and `ydpgen chart update examples/<name>` pins it.
set -euo pipefail
cd "$(dirname "$0")/.."

name=airflow
version=1.19.0
file="$name-$version.tgz"

seed=false
if [ "${1:-}" = "--seed" ]; then
	seed=true
fi

fail() {
	if $seed; then
		printf 'hack/chart.sh: %s; renders of the examples need the chart cache or the network\n' "$*" >&2
		exit 0
	fi
	printf 'hack/chart.sh: %s\n' "$*" >&2
	exit 1
}

# found FILE: prints FILE's absolute path and, with --seed, puts a copy into
# ydpgen's chart cache (where "ydpgen chart update" would store it: the
# file <sha256 hex>.tgz of ~/.cache/ydpgen/charts).
found() {
	local abs
	abs="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
	if $seed; then
		local charts hex
		charts="${XDG_CACHE_HOME:-$HOME/.cache}/ydpgen/charts"
		hex="$(sha256sum "$abs" | cut -d' ' -f1)"
		if [ ! -f "$charts/$hex.tgz" ]; then
			mkdir -p "$charts"
			cp "$abs" "$charts/.$hex.tgz.$$"
			mv "$charts/.$hex.tgz.$$" "$charts/$hex.tgz"
			printf 'hack/chart.sh: seeded %s with %s (sha256:%s)\n' "$charts" "$abs" "$hex" >&2
		fi
	fi
	printf '%s\n' "$abs"
	exit 0
}

# is_chart FILE: FILE is a chart archive of $name $version.
is_chart() {
	local meta
	meta="$(tar -xzOf "$1" "$name/Chart.yaml" 2>/dev/null)" || return 1
	grep -qx "name: $name" <<<"$meta" && grep -qx "version: $version" <<<"$meta"
}

dirs=()
[ -n "${YDPGEN_CHARTS_DIR:-}" ] && dirs+=("$YDPGEN_CHARTS_DIR")
dirs+=("../shared/charts")
# A linked worktree's .git is a file: "gitdir: <main>/.git/worktrees/<name>".
if [ -f .git ]; then
	gitdir="$(sed -n 's/^gitdir: //p' .git)"
	[ -n "$gitdir" ] && dirs+=("$(dirname "$(dirname "$(dirname "$gitdir")")")/../shared/charts")
fi
cache="${XDG_CACHE_HOME:-$HOME/.cache}/ydpgen/test-charts"
dirs+=("$cache")

for d in "${dirs[@]}"; do
	if [ -f "$d/$file" ]; then
		is_chart "$d/$file" || fail "$d/$file is not chart $name $version"
		found "$d/$file"
	fi
done

command -v curl >/dev/null || fail "$file is not in ${dirs[*]}, and curl is not installed to download it"
mkdir -p "$cache"
tmp="$(mktemp "$cache/.$file.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
for url in \
	"https://downloads.apache.org/airflow/helm-chart/$version/$file" \
	"https://archive.apache.org/dist/airflow/helm-chart/$version/$file"; do
	if curl --fail --silent --location --connect-timeout 10 --max-time 120 -o "$tmp" "$url"; then
		is_chart "$tmp" || fail "$url did not give chart $name $version"
		mv "$tmp" "$cache/$file"
		found "$cache/$file"
	fi
done
fail "$file is not in ${dirs[*]} and cannot be downloaded from downloads.apache.org or archive.apache.org"

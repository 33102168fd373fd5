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
# Tests: YDPGEN_CHARTS_DIR="$(dirname "$(hack/chart.sh)")" go test ./chart/...
set -euo pipefail
cd "$(dirname "$0")/.."

name=airflow
version=1.19.0
file="$name-$version.tgz"

fail() { printf 'hack/chart.sh: %s\n' "$*" >&2; exit 1; }

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
		printf '%s\n' "$(cd "$d" && pwd)/$file"
		exit 0
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
		printf '%s\n' "$cache/$file"
		exit 0
	fi
done
fail "$file is not in ${dirs[*]} and cannot be downloaded from downloads.apache.org or archive.apache.org"

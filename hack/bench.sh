#!/usr/bin/env bash
# Times `ydpgen render` of each example as a whole process (start-up,
# schema compile, validation, render, atomic write) against `kubectl
# kustomize` of one of the example's rendered overlays, in the same run, and
# prints the medians and their ratio. The target is a ratio of at most 0.5.
#
# Usage: hack/bench.sh [RUNS]   (default 15 runs of each command)
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${1:-15}"
command -v kubectl >/dev/null || { echo "bench: kubectl is not installed" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/ydpgen-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
go build -o "$work/ydpgen" ./cmd/ydpgen

# now_ns prints a monotonic-enough wall clock in nanoseconds.
now_ns() { date +%s%N; }

# median_ms CMD...: runs CMD $runs times, prints the median wall time in ms.
median_ms() {
	local samples=() start end
	for ((i = 0; i < runs; i++)); do
		start=$(now_ns)
		"$@" >/dev/null 2>&1
		end=$(now_ns)
		samples+=($(((end - start) / 1000)))
	done
	printf '%s\n' "${samples[@]}" | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1000}'
}

# render_fresh SPEC: a whole render into a new directory each time, so every
# run writes the full tree.
render_fresh() {
	local out
	out="$(mktemp -d "$work/out.XXXXXX")"
	"$work/ydpgen" render "$1" -o "$out/deploy"
}

printf '%-8s %-10s %12s %16s %7s\n' example overlay "render ms" "kustomize ms" ratio
for spec in examples/*/platform.yaml; do
	name="$(basename "$(dirname "$spec")")"
	tree="$work/tree-$name"
	"$work/ydpgen" render "$spec" -o "$tree" >/dev/null
	overlay="$(ls "$tree/overlays" | head -n 1)"
	# Warm both once so neither pays for a cold page cache.
	render_fresh "$spec" >/dev/null
	kubectl kustomize "$tree/overlays/$overlay" >/dev/null
	r="$(median_ms render_fresh "$spec")"
	k="$(median_ms kubectl kustomize "$tree/overlays/$overlay")"
	ratio="$(awk -v r="$r" -v k="$k" 'BEGIN {printf "%.2f", r/k}')"
	printf '%-8s %-10s %12s %16s %7s\n' "$name" "$overlay" "$r" "$k" "$ratio"
done
echo "median of $runs runs each on $(nproc) cores; ratio = render / kustomize (target <= 0.50)"

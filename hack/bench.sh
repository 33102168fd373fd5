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

# Trees go to memory (/dev/shm) when it is there: on shared machines the
# disk's write-back stalls vary tenfold between runs and would time the
# disk, not the tools. BENCH_DIR overrides.
bench_dir="${BENCH_DIR:-/dev/shm}"
[[ -d "$bench_dir" && -w "$bench_dir" ]] || bench_dir="${TMPDIR:-/tmp}"
work="$(mktemp -d "$bench_dir/ydpgen-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
go build -o "$work/ydpgen" ./cmd/ydpgen

# now_ns prints a monotonic-enough wall clock in nanoseconds.
now_ns() { date +%s%N; }

# ms CMD...: runs CMD once, prints its wall time in microseconds.
us() {
	local start end
	start=$(now_ns)
	"$@" >/dev/null 2>&1
	end=$(now_ns)
	echo $(((end - start) / 1000))
}

# median: the median of the numbers on stdin, in ms.
median() {
	sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1000}'
}

# render_fresh SPEC N: a whole render into a new directory named by N (not
# by mktemp, so that the timing holds one process, as the kustomize side
# does), so every run writes the full tree.
render_fresh() {
	"$work/ydpgen" render "$1" -o "$2"
}

printf '%-8s %-10s %12s %16s %7s\n' example overlay "render ms" "kustomize ms" ratio
for spec in examples/*/platform.yaml; do
	name="$(basename "$(dirname "$spec")")"
	tree="$work/tree-$name"
	"$work/ydpgen" render "$spec" -o "$tree" >/dev/null
	overlay="$(ls "$tree/overlays" | head -n 1)"
	# Warm both once so neither pays for a cold page cache.
	render_fresh "$spec" "$work/out.$name.warm" >/dev/null
	kubectl kustomize "$tree/overlays/$overlay" >/dev/null
	# Alternate the two commands so that both see the same machine: these
	# machines are shared, and their speed drifts within seconds.
	rs=() ks=()
	for ((i = 0; i < runs; i++)); do
		rs+=("$(us render_fresh "$spec" "$work/out.$name.$i")")
		ks+=("$(us kubectl kustomize "$tree/overlays/$overlay")")
	done
	r="$(printf '%s\n' "${rs[@]}" | median)"
	k="$(printf '%s\n' "${ks[@]}" | median)"
	ratio="$(awk -v r="$r" -v k="$k" 'BEGIN {printf "%.2f", r/k}')"
	printf '%-8s %-10s %12s %16s %7s\n' "$name" "$overlay" "$r" "$k" "$ratio"
done
echo "median of $runs runs each on $(nproc) cores; ratio = render / kustomize (target <= 0.50)"

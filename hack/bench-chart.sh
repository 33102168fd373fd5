#!/usr/bin/env bash
# Times the hydrated render of examples/cloud (two environments, each with
# the Airflow chart rendered in process) against what it replaces: for each
# environment, `helm template` of the same chart archive with the same
# values file, namespace and Kubernetes version, plus `kubectl kustomize` of
# the overlay. It prints the medians and two ratios:
#   cold: ydpgen with an empty render cache (the chart archive in the chart
#         cache), target <= 0.6;
#   warm: ydpgen again with nothing changed since the last render (the
#         render cache answers, the tree is unchanged), target <= 0.1;
# and the peak memory (maximum resident set) of a cold render, target
# <= 300 MiB. helm is built from the module proxy by hack/helm/build.sh.
#
# Usage: hack/bench-chart.sh [RUNS]   (default 9 runs of each command)
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${1:-9}"
spec=examples/cloud/platform.yaml
command -v kubectl >/dev/null || { echo "bench-chart: kubectl is not installed" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "bench-chart: /usr/bin/time is not installed (Debian package time)" >&2; exit 1; }
helm="$(hack/helm/build.sh | sed -n 's/^HELM=//p')"
hack/chart.sh --seed >/dev/null
digest="$(sed -n 's/^ *digest: sha256://p' examples/cloud/ydpgen.lock)"
archive="${XDG_CACHE_HOME:-$HOME/.cache}/ydpgen/charts/$digest.tgz"
[[ -f "$archive" ]] || { echo "bench-chart: the chart examples/cloud/ydpgen.lock pins ($digest) is not in the chart cache; run make chart" >&2; exit 1; }

# Trees and caches in memory, as in hack/bench.sh: the disk's write-back
# on shared machines would be timed, not the tools.
bench_dir="${BENCH_DIR:-/dev/shm}"
[[ -d "$bench_dir" && -w "$bench_dir" ]] || bench_dir="${TMPDIR:-/tmp}"
work="$(mktemp -d "$bench_dir/ydpgen-bench-chart.XXXXXX")"
trap 'rm -rf "$work"' EXIT
go build -o "$work/ydpgen" ./cmd/ydpgen

# home N: a cache home holding only the chart archive: the render cache is
# empty, so the render runs Helm.
home() {
	mkdir -p "$work/home-$1/ydpgen/charts"
	cp "$archive" "$work/home-$1/ydpgen/charts/"
	echo "$work/home-$1"
}

us() {
	local start end
	start=$(date +%s%N)
	"$@" >/dev/null 2>&1
	end=$(date +%s%N)
	echo $(((end - start) / 1000))
}

median() {
	sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1000}'
}

render() { XDG_CACHE_HOME="$1" YDPGEN_OFFLINE=1 "$work/ydpgen" render "$spec" -o "$2"; }

# The baseline: helm template and kubectl kustomize per environment, with
# what the values file's header says (release and namespace) and the eks
# profile's Kubernetes version, which both environments use.
tree="$work/tree"
render "$(home tree)" "$tree" >/dev/null
baseline() {
	local env values release ns
	for env in $(ls "$tree/overlays"); do
		values="$tree/overlays/$env/airflow/values.yaml"
		release="$(sed -n 's/^# release "\([^"]*\)" in namespace "\([^"]*\)".*/\1/p' "$values")"
		ns="$(sed -n 's/^# release "\([^"]*\)" in namespace "\([^"]*\)".*/\2/p' "$values")"
		"$helm" template "$release" "$archive" --namespace "$ns" --kube-version 1.33.0 --values "$values" >/dev/null
		kubectl kustomize "$tree/overlays/$env" >/dev/null
	done
}
baseline >/dev/null || { echo "bench-chart: helm template or kubectl kustomize failed" >&2; exit 1; }

warm_home="$(home warm)"
render "$warm_home" "$work/warm" >/dev/null
cs=() ws=() bs=()
for ((i = 0; i < runs; i++)); do
	cs+=("$(us render "$(home "cold-$i")" "$work/cold-$i")")
	ws+=("$(us render "$warm_home" "$work/warm")")
	bs+=("$(us baseline)")
done
peak_kib="$( { /usr/bin/time -f '%M' env XDG_CACHE_HOME="$(home peak)" YDPGEN_OFFLINE=1 "$work/ydpgen" render "$spec" -o "$work/peak" >/dev/null; } 2>&1 | tail -n 1)"

c="$(printf '%s\n' "${cs[@]}" | median)"
w="$(printf '%s\n' "${ws[@]}" | median)"
b="$(printf '%s\n' "${bs[@]}" | median)"
ratio() { awk -v x="$1" -v y="$2" 'BEGIN {printf "%.2f", x/y}'; }
printf '%-44s %10s\n' "examples/cloud, 2 environments" "median ms"
printf '%-44s %10s\n' "helm template + kubectl kustomize, per env" "$b"
printf '%-44s %10s   ratio %s (target <= 0.60)\n' "ydpgen render, cold (empty render cache)" "$c" "$(ratio "$c" "$b")"
printf '%-44s %10s   ratio %s (target <= 0.10)\n' "ydpgen render, warm (nothing changed)" "$w" "$(ratio "$w" "$b")"
printf '%-44s %10s   (target <= 300 MiB)\n' "peak memory of a cold render, MiB" "$((peak_kib / 1024))"
echo "median of $runs runs each on $(nproc) cores; helm $("$helm" version --template '{{.Version}}')"

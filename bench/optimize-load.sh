#!/usr/bin/env bash
# Benchmark: loading the --optimize'd ruleset of the 100k-rule generator
# over netlink, against iptables-nft-restore of the original, side by side
# in one run, each into a fresh network namespace (the issue's target: the
# optimised load is faster). The optimisation itself is timed apart
# (bench/optload). Needs root; never touches the host's firewall.
# Usage: bench/optimize-load.sh [RULES]   (RUNS=N: best of N)
set -euo pipefail
cd "$(dirname "$0")/.."
rules=${1:-100000}
runs=${RUNS:-1}
out=bench/out
mkdir -p "$out"
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)"; exit 1; }
for t in ip iptables-nft-restore; do
	command -v "$t" >/dev/null || { echo "needs $t (apt-get install iptables iproute2)"; exit 1; }
done
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)"; exit 1; }
go build -o "$out/optload" ./bench/optload
ns=${NETNS_PREFIX:-rsoptload}-$$
cleanup() { ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT

for mode in mixed multiport; do
	flag=""
	[ "$mode" = multiport ] && flag=-multiport
	go run ./bench/gensave -rules "$rules" $flag > "$out/optload-$mode.v4"
	best_load="" best_ipt=""
	for _ in $(seq "$runs"); do
		cleanup; ip netns add "$ns"
		read -r before after opt load < <("$out/optload" -in "$out/optload-$mode.v4" -netns "/run/netns/$ns")
		cleanup; ip netns add "$ns"
		/usr/bin/time -f "%e" -o "$out/time" ip netns exec "$ns" iptables-nft-restore "$out/optload-$mode.v4"
		ipt=$(cat "$out/time")
		if [ -z "$best_load" ] || awk "BEGIN{exit !($load < $best_load)}"; then best_load=$load; best_opt=$opt; fi
		if [ -z "$best_ipt" ] || awk "BEGIN{exit !($ipt < $best_ipt)}"; then best_ipt=$ipt; fi
	done
	echo "== $mode: $before rules, $after after --optimize (optimising took $best_opt s)"
	printf "%-44s %8s s\n" "netlink load of the optimised ruleset" "$best_load" "iptables-nft-restore of the original" "$best_ipt"
	awk -v a="$best_load" -v b="$best_ipt" -v m="$mode" 'BEGIN{printf "%s: ratio optimised load / iptables-nft-restore: %.2f (target < 1)\n", m, a/b}'
done

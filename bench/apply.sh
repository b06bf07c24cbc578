#!/usr/bin/env bash
# Benchmark: ruleshift apply over netlink against iptables-nft-restore of
# the same rules, side by side in the same run, each loading into a fresh
# network namespace, on the repository's two generators:
#   mixed      a multiport rule every eighth rule (125 distinct port lists)
#   multiport  every fourth rule multiport, 300 distinct port lists
# Prints wall time, peak memory and the ratios. Needs root; never touches
# the host's firewall. Usage: bench/apply.sh [RULES]
#
# nft loads a multiport list as an anonymous set, and the kernel makes each
# new set cost time in proportion to the sets the table already holds
# (nf_tables_newset, and the name lookups of nf_tables_newsetelem and
# nft_lookup_init walk table->sets); iptables-nft-restore uses the xt
# multiport match instead. NFT_F=1 also measures nft -f of
# iptables-restore-translate's output (minutes at 100k rules).
# NETNS_PREFIX names the scratch namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
rules=${1:-100000}
runs=${RUNS:-1}
out=bench/out
mkdir -p "$out"
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)"; exit 1; }
for t in ip nft iptables-nft-restore iptables-restore-translate; do
	command -v "$t" >/dev/null || { echo "needs $t (apt-get install iptables nftables iproute2)"; exit 1; }
done
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)"; exit 1; }

go build -o "$out/ruleshift" ./cmd/ruleshift

ns=${NETNS_PREFIX:-rsbench}-$$
cleanup() { ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT

# best wall time (s) and its peak RSS (KB) over $runs runs of a command,
# each in a fresh namespace
measure() {
	local best="" mem=""
	for _ in $(seq "$runs"); do
		cleanup
		ip netns add "$ns"
		/usr/bin/time -f "%e %M" -o "$out/time" ip netns exec "$ns" "$@" > /dev/null 2>&1
		read -r t m < "$out/time"
		if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; mem=$m; fi
	done
	echo "$best $mem"
}

row() { printf "%-44s %8s s %6d MB\n" "$1" "$2" $(($3 / 1024)); }

for mode in mixed multiport; do
	flag=""
	[ "$mode" = multiport ] && flag=-multiport
	go run ./bench/gensave -rules "$rules" $flag > "$out/apply-$mode.v4"
	echo "== $mode: $rules rules ($(grep -c -- '-m multiport' "$out/apply-$mode.v4") multiport), $(wc -c < "$out/apply-$mode.v4") bytes"
	read -r nt nm < <(measure "$out/ruleshift" apply --backend nftables "$out/apply-$mode.v4")
	read -r it im < <(measure iptables-nft-restore "$out/apply-$mode.v4")
	row "ruleshift apply (netlink)" "$nt" "$nm"
	row "iptables-nft-restore" "$it" "$im"
	if [ "${NFT_F:-0}" = 1 ]; then
		iptables-restore-translate -f "$out/apply-$mode.v4" > "$out/apply-$mode.nft"
		read -r ft fm < <(measure nft -f "$out/apply-$mode.nft")
		row "nft -f (iptables-restore-translate)" "$ft" "$fm"
	fi
	awk -v a="$nt" -v b="$it" -v m="$mode" 'BEGIN{printf "%s: ratio netlink / iptables-nft-restore: %.2f (target <= 1.2)\n", m, a/b}'
	echo "$mode: peak memory ruleshift apply: $((nm / 1024)) MB (target < 300 MB)"
done

#!/usr/bin/env bash
# Benchmark: ruleshift apply over netlink against iptables-nft-restore of
# the same rules and nft -f of iptables-restore-translate's output, side by
# side in the same run, each loading into a fresh network namespace. Prints
# wall time, peak memory and the ratios. Needs root; never touches the
# host's firewall. Usage: bench/apply.sh [RULES]
#
# The generated ruleset has a multiport rule every eighth rule, which nft
# (and so ruleshift) loads as an anonymous set: 12,500 sets in one table
# for 100,000 rules. The kernel makes each new set cost time in proportion
# to the sets the table already holds (nf_tables_newset, and the name
# lookups of nf_tables_newsetelem and nft_lookup_init walk table->sets),
# and binds each set by walking the whole transaction
# (__nft_set_trans_bind); ruleshift sends the set-using rules first so that
# those walks are short (backends/nftables/netlink_order.go), nft -f sends
# them in order. iptables-nft-restore uses the xt multiport match instead.
# The same ruleset without its multiport rules, and its multiport rules
# alone, are measured too. NETNS_PREFIX names the scratch namespaces.
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
go run ./bench/gensave -rules "$rules" > "$out/apply.v4"
grep -v -- '-m multiport' "$out/apply.v4" > "$out/apply-nosets.v4"
grep -v -- '^-A' "$out/apply.v4" | grep -v COMMIT > "$out/apply-sets.v4"
{ grep -- '-m multiport' "$out/apply.v4"; echo COMMIT; } >> "$out/apply-sets.v4"
iptables-restore-translate -f "$out/apply.v4" > "$out/apply.nft"
echo "input: $rules rules ($(grep -c -- '-m multiport' "$out/apply.v4") multiport), $(wc -c < "$out/apply.v4") bytes"

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

read -r nt nm < <(measure "$out/ruleshift" apply --backend nftables "$out/apply.v4")
read -r it im < <(measure iptables-nft-restore "$out/apply.v4")
read -r ft fm < <(measure nft -f "$out/apply.nft")
read -r n2t n2m < <(measure "$out/ruleshift" apply --backend nftables "$out/apply-nosets.v4")
read -r i2t i2m < <(measure iptables-nft-restore "$out/apply-nosets.v4")
read -r n3t n3m < <(measure "$out/ruleshift" apply --backend nftables --family ipv4 "$out/apply-sets.v4")
read -r i3t i3m < <(measure iptables-nft-restore "$out/apply-sets.v4")
row "ruleshift apply (netlink)" "$nt" "$nm"
row "iptables-nft-restore" "$it" "$im"
row "nft -f (iptables-restore-translate)" "$ft" "$fm"
row "ruleshift apply (netlink), no multiport" "$n2t" "$n2m"
row "iptables-nft-restore, no multiport" "$i2t" "$i2m"
row "ruleshift apply (netlink), multiport only" "$n3t" "$n3m"
row "iptables-nft-restore, multiport only" "$i3t" "$i3m"
awk -v a="$nt" -v b="$it" -v c="$ft" -v d="$n2t" -v e="$i2t" 'BEGIN{
	printf "ratio netlink / iptables-nft-restore: %.2f (target <= 1.2)\n", a/b
	printf "ratio netlink / nft -f: %.2f\n", a/c
	printf "ratio netlink / iptables-nft-restore without multiport: %.2f (target <= 1.2)\n", d/e
}'
echo "peak memory ruleshift apply: $((nm / 1024)) MB (target < 300 MB)"

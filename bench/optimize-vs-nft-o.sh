#!/usr/bin/env bash
# Compares ruleshift --optimize with nft -o on every corpus dump
# (../shared/corpus/iptables-save), as ../shared/docs/optimizer-lint.md
# proposes: the reference translation (iptables-restore-translate) is
# loaded in a scratch network namespace and listed (nft -o optimises
# only "table { … }" blocks, not the translation's "add rule" lines), the
# listing is loaded with nft -o -f in a fresh namespace and listed again;
# the rules of each chain are counted there and in ruleshift's
# optimised output. Prints one line per dump: rules before, after nft -o (or why it
# failed), after ruleshift, and the chains where ruleshift has more rules
# than nft -o. Needs root; never touches the host's firewall.
# Usage: bench/optimize-vs-nft-o.sh
set -uo pipefail
cd "$(dirname "$0")/.."
out=$PWD/bench/out
mkdir -p "$out"
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)"; exit 1; }
for t in ip nft iptables-restore-translate ip6tables-restore-translate; do
	command -v "$t" >/dev/null || { echo "needs $t (apt-get install iptables nftables iproute2)"; exit 1; }
done
go build -o "$out/ruleshift" ./cmd/ruleshift || exit 1
ns=${NETNS_PREFIX:-rsnfto}-$$
trap 'ip netns del "$ns" 2>/dev/null' EXIT

# counts: "CHAIN N" per chain of an nft listing or script on stdin
counts() {
	awk '/^\t*chain /{c=$2; n[c]+=0; next} /^\t*}/{c=""; next}
		c!="" && !/^\t*(type |policy |#)/ && NF {n[c]++}
		END{for (k in n) print k, n[k]}' | sort
}
total() { awk '{s+=$2} END{print s+0}'; }

printf "%-44s %7s %12s %9s  %s\n" dump before "nft -o" ruleshift "chains where ruleshift has more"
for f in ../shared/corpus/iptables-save/*.v4 ../shared/corpus/iptables-save/*.v6; do
	b=$(basename "$f")
	tr=iptables-restore-translate
	[[ $f == *.v6 ]] && tr=ip6tables-restore-translate
	sed 's/XX:XX:XX:XX:XX:XX/02:00:00:00:00:01/g' "$f" > "$out/in.save"
	before=$("$out/ruleshift" translate --to nftables "$out/in.save" 2>/dev/null | counts | total)
	[ "$before" = 0 ] && before="-"
	if ! "$out/ruleshift" translate --to nftables --optimize "$out/in.save" > "$out/rs.nft" 2>/dev/null; then
		rs="error"
	else
		counts < "$out/rs.nft" > "$out/rs.counts"
		rs=$(total < "$out/rs.counts")
	fi
	nfto="-"
	if $tr -f "$out/in.save" > "$out/ref.nft" 2>/dev/null; then
		ip netns del "$ns" 2>/dev/null; ip netns add "$ns"
		if ! ip netns exec "$ns" nft -f "$out/ref.nft" 2>/dev/null; then
			nfto="no-load" # nft refuses the reference translation itself
		fi
		ip netns exec "$ns" nft list ruleset > "$out/ref.list"
		ip netns del "$ns" 2>/dev/null; ip netns add "$ns"
		msg=$(ip netns exec "$ns" nft -o -f "$out/ref.list" 2>&1 >/dev/null)
		rc=$?
		if [ "$nfto" = no-load ]; then
			:
		elif [ $rc = 0 ]; then
			ip netns exec "$ns" nft list ruleset | counts > "$out/nfto.counts"
			nfto=$(total < "$out/nfto.counts")
		else
			nfto="fails"
			case "$msg" in *Assertion*) nfto="assert";; *"File exists"*) nfto="EEXIST";; *conflicting*) nfto="conflict";; esac
			[ $rc -gt 128 ] && nfto="crash"
		fi
	else
		nfto="no-txlate"
	fi
	worse=""
	if [[ $nfto =~ ^[0-9]+$ && $rs =~ ^[0-9]+$ ]]; then
		worse=$(join "$out/nfto.counts" "$out/rs.counts" | awk '$3 > $2 {printf "%s(%d>%d) ", $1, $3, $2}')
	fi
	printf "%-44s %7s %12s %9s  %s\n" "$b" "$before" "$nfto" "$rs" "$worse"
done

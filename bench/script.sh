#!/usr/bin/env bash
# Benchmark: ruleshift translating a generated script of LINES `iptables -A`
# lines (default 10000), against the same script run for real with
# iptables-legacy in a scratch network namespace, one process per rule.
# Also times ruleshift apply of the same script (translate + load).
# Prints the wall times and the ratios.
# Usage: sudo bench/script.sh [LINES]   (needs root, ip, iptables-legacy)
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-10000}
out=$PWD/bench/out
mkdir -p "$out/wrap"
command -v iptables-legacy >/dev/null || { echo "needs iptables-legacy (apt-get install iptables)"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "needs root for the network namespace"; exit 1; }

go build -o "$out/ruleshift" ./cmd/ruleshift
# The same lines as genScript in translate/script/bench_test.go.
awk -v n="$lines" 'BEGIN {
	print "#!/bin/sh"
	for (i = 0; i < n; i++)
		printf "iptables -A INPUT -s 10.%d.%d.0/24 -p tcp --dport %d -j ACCEPT\n", int(i / 256) % 256, i % 256, 1024 + i % 60000
}' > "$out/gen.sh"
echo "input: $lines lines, $(wc -c < "$out/gen.sh") bytes"

now() { date +%s.%N; }

t0=$(now)
"$out/ruleshift" translate --from script --to iptables-legacy "$out/gen.sh" > "$out/gen.rules.v4"
t1=$(now)
got=$(grep -c '^-A' "$out/gen.rules.v4")

# The real run: iptables is iptables-legacy, inside a namespace of our own.
printf '#!/bin/sh\nexec iptables-legacy "$@"\n' > "$out/wrap/iptables"
chmod 755 "$out/wrap/iptables"
ns=rsS-bench-$$
ip netns add "$ns"
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
t2=$(now)
ip netns exec "$ns" env PATH="$out/wrap:$PATH" sh "$out/gen.sh"
t3=$(now)
real=$(ip netns exec "$ns" iptables-legacy-save | grep -c '^-A')

# ruleshift apply of the same script (translate + load), in a fresh
# namespace each, for both loaders.
for b in nftables iptables-legacy; do
	ans=rsS-bench-$b-$$
	ip netns add "$ans"
	a0=$(now)
	ip netns exec "$ans" "$out/ruleshift" apply --backend "$b" --from script "$out/gen.sh" > /dev/null 2>&1
	a1=$(now)
	ip netns del "$ans"
	awk -v a="$a0" -v b="$a1" -v c="$t2" -v d="$t3" -v n="$b" 'BEGIN {
		printf "%-40s %9.3f s  (%.0fx faster than the real run; target >= 200x)\n", "ruleshift apply (" n ")", b - a, (d - c) / (b - a)
	}'
done

awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v g="$got" -v r="$real" 'BEGIN {
	rs = b - a; k = d - c
	printf "%-40s %9.3f s  (%d rules)\n", "ruleshift translate (script)", rs, g
	printf "%-40s %9.3f s  (%d rules)\n", "sh gen.sh with iptables-legacy", k, r
	printf "time ratio ruleshift/real run: %.4f (%.0fx faster)\n", rs / k, k / rs
}'
[ "$got" -eq "$lines" ] && [ "$real" -eq "$lines" ] || { echo "rule counts differ from $lines"; exit 1; }

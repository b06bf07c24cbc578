#!/usr/bin/env bash
# Benchmark: the per-packet cost of N single-address DROP rules (N = 10,
# 1,000, 10,000 by default), as ruleshift translates them for nftables
# without and with --optimize (one set lookup), in the same run.
# Method (../shared/docs/optimizer-lint.md §4): UDP to 127.0.0.1:9 in a
# scratch network namespace, dropped at the end of an input chain that
# first holds the N rules, none of which matches; COUNT packets per run
# from a Python sender, the best of RUNS runs, in µs per packet (the
# sendto that runs the loopback's input path).
# The optimiser's target: optimised at the largest N at most 1.2 × its
# cost at the smallest, while the unoptimised chain costs at least 5 ×
# (else the method cannot tell flat from linear). The script prints both
# ratios and exits 1 when the target is missed; it asserts nothing else.
# Needs root; never touches the host's firewall.
# Usage: bench/optimize.sh [N...]   (COUNT=10000 RUNS=3 NETNS_PREFIX=rsopt)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10 1000 10000)
count=${COUNT:-10000}
runs=${RUNS:-3}
out=$PWD/bench/out
mkdir -p "$out"
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)"; exit 1; }
for t in ip nft python3; do
	command -v "$t" >/dev/null || { echo "needs $t (apt-get install iproute2 nftables python3)"; exit 1; }
done
go build -o "$out/ruleshift" ./cmd/ruleshift

ns=${NETNS_PREFIX:-rsopt}-$$
cleanup() { ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT

cat > "$out/send.py" <<'PY'
import socket, sys, time
n, runs = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
best = None
for _ in range(runs):
    t = time.perf_counter()
    for _ in range(n):
        try:
            s.sendto(b"x", ("127.0.0.1", 9))
        except OSError:
            pass
    d = (time.perf_counter() - t) / n
    best = d if best is None or d < best else best
print("%.2f" % (best * 1e6))
PY

# gen N: an iptables-save dump of N non-matching single-address DROPs,
# then the DROP every probe meets.
gen() {
	awk -v n="$1" 'BEGIN {
		print "*filter"; print ":INPUT ACCEPT [0:0]"; print ":FORWARD ACCEPT [0:0]"; print ":OUTPUT ACCEPT [0:0]"
		for (i = 0; i < n; i++)
			printf "-A INPUT -s 10.%d.%d.%d/32 -j DROP\n", int(i / 65536) % 256, int(i / 256) % 256, i % 256
		print "-A INPUT -p udp -m udp --dport 9 -j DROP"; print "COMMIT"
	}'
}

# cost FILE: µs per packet with the nft script FILE loaded
cost() {
	cleanup
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip netns exec "$ns" nft -f "$1"
	ip netns exec "$ns" python3 "$out/send.py" "$count" "$runs"
}

declare -A plain opt
printf "%8s %10s %10s %14s %14s\n" N rules opt-rules "plain µs/pkt" "optimised µs/pkt"
for n in "${sizes[@]}"; do
	gen "$n" > "$out/opt-$n.v4"
	"$out/ruleshift" translate --to nftables "$out/opt-$n.v4" > "$out/opt-$n.plain.nft"
	"$out/ruleshift" translate --to nftables --optimize "$out/opt-$n.v4" > "$out/opt-$n.opt.nft"
	rules=$(grep -c 'counter drop' "$out/opt-$n.plain.nft")
	orules=$(grep -c 'counter drop' "$out/opt-$n.opt.nft")
	plain[$n]=$(cost "$out/opt-$n.plain.nft")
	opt[$n]=$(cost "$out/opt-$n.opt.nft")
	printf "%8s %10s %10s %14s %14s\n" "$n" "$rules" "$orules" "${plain[$n]}" "${opt[$n]}"
done
lo=${sizes[0]}
hi=${sizes[${#sizes[@]}-1]}
rp=$(awk "BEGIN{printf \"%.2f\", ${plain[$hi]} / ${plain[$lo]}}")
ro=$(awk "BEGIN{printf \"%.2f\", ${opt[$hi]} / ${opt[$lo]}}")
echo "N=$hi / N=$lo: plain ${rp}x (must be >= 5), optimised ${ro}x (must be <= 1.2)"
awk "BEGIN{exit !($rp >= 5 && $ro <= 1.2)}" && echo PASS || { echo FAIL; exit 1; }

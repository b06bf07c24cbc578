#!/usr/bin/env bash
# Benchmark: ruleshift verify's probe rate. Verifies a generated ruleset
# (iptables-legacy, loaded as written) against ruleshift's nftables
# translation of it, and the example egress policy against itself, and
# prints probes per second over the probing phase and end to end (with
# namespace setup and rule loading). Target: at least 500 probes/s.
# Needs root. Usage: bench/verify.sh [RULES] [PROBES]
set -euo pipefail
cd "$(dirname "$0")/.."
rules=${1:-1000}
probes=${2:-10000}
out=bench/out
mkdir -p "$out"
[ "$(id -u)" = 0 ] || { echo "needs root: verify builds network namespaces"; exit 1; }
for t in ip nft iptables-legacy-restore; do
	command -v "$t" >/dev/null || { echo "needs $t (apt-get install iproute2 nftables iptables)"; exit 1; }
done

go build -o "$out/ruleshift" ./cmd/ruleshift
go run ./bench/gensave -rules "$rules" > "$out/verify-rules.v4"

# run NAME ARGS...: one verify, its probing rate and its end-to-end rate
run() {
	local name=$1; shift
	local start end
	start=$(date +%s.%N)
	"$out/ruleshift" verify "$@" > "$out/verify.txt" 2> "$out/verify.err" || {
		rc=$?; [ $rc = 5 ] || { cat "$out/verify.err"; exit $rc; }
	}
	end=$(date +%s.%N)
	local n rate
	n=$(sed -n 's/^verify: \([0-9]*\) probes (.*/\1/p' "$out/verify.txt")
	rate=$(sed -n 's/.*, \([0-9]*\) probes\/s;.*/\1/p' "$out/verify.txt")
	awk -v name="$name" -v n="$n" -v r="$rate" -v s="$start" -v e="$end" 'BEGIN{
		printf "%-34s %6d probes  %7d probes/s probing  %6.0f probes/s end to end (%.2f s)  ratio to target %.1fx\n",
			name, n, r, n/(e-s), e-s, r/500 }'
	grep -E "differ|agree" "$out/verify.txt" | tail -1
}

run "generated $rules rules, nftables" --probes "$probes" "$out/verify-rules.v4" "$out/verify-rules.v4"
run "generated $rules rules, iptables-nft" --probes "$probes" --new-backend iptables-nft "$out/verify-rules.v4" "$out/verify-rules.v4"
run "examples/egress.rules, nftables" --probes "$probes" examples/egress.rules examples/egress.rules

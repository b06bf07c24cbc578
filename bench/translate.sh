#!/usr/bin/env bash
# Benchmark: ruleshift translate against the reference translator, run side
# by side in the same run on the same generated input, for both of the
# repository's generators (mixed, and multiport: every fourth rule a
# multiport list). Prints wall time and peak memory of each and the
# ratios. Usage: bench/translate.sh [RULES]
set -euo pipefail
cd "$(dirname "$0")/.."
rules=${1:-100000}
runs=${RUNS:-3}
out=bench/out
mkdir -p "$out"
command -v iptables-restore-translate >/dev/null || { echo "needs iptables-restore-translate (apt-get install iptables)"; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)"; exit 1; }

go build -o "$out/ruleshift" ./cmd/ruleshift

# best wall time (s) and its peak RSS (KB) over $runs runs of a command
measure() {
	local best="" mem=""
	for _ in $(seq "$runs"); do
		/usr/bin/time -f "%e %M" -o "$out/time" "$@" > /dev/null 2>&1
		read -r t m < "$out/time"
		if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; mem=$m; fi
	done
	echo "$best $mem"
}

for mode in mixed multiport; do
	flag=""
	[ "$mode" = multiport ] && flag=-multiport
	go run ./bench/gensave -rules "$rules" $flag > "$out/rules.v4"
	echo "== $mode: $rules rules, $(wc -c < "$out/rules.v4") bytes"
	read -r rt rm < <(measure "$out/ruleshift" translate "$out/rules.v4")
	read -r xt xm < <(measure iptables-restore-translate -f "$out/rules.v4")
	printf "%-32s %8s s %8d MB\n" "ruleshift translate" "$rt" $((rm / 1024))
	printf "%-32s %8s s %8d MB\n" "iptables-restore-translate -f" "$xt" $((xm / 1024))
	awk -v m="$mode" -v a="$rt" -v b="$xt" 'BEGIN{printf "%s: time ratio ruleshift/reference: %.2f (target <= 0.50)\n", m, (b > 0 ? a/b : 0)}'
	echo "$mode: peak memory ruleshift: $((rm / 1024)) MB (target < 150 MB)"
done

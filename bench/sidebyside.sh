#!/usr/bin/env bash
# sidebyside.sh — the CPU per request of two Gatehouse nodes under load at
# the same time, each from its own data directory of one kept bench run.
#
# bench's rounds run one target at a time, so a move between two nodes
# mixes in how the machine's speed drifted between their runs. Here both
# nodes run at once, each under its own `wrk -t1`, and the figure is the
# ratio of their CPU time per request (user + system, from /proc): two
# 1,000-key nodes come out level within about 0.5 %. It is a diagnostic
# for explaining a move, not a verdict (see bench/README.md).
#
# Usage:
#   go run ./bench --keys 1000000 --active-keys 1000 --compare-keys 1000 --keep
#   go build -o /tmp/benchbin ./bench && go build -o /tmp/gatehouse ./cmd/gatehouse
#   bench/sidebyside.sh DIR /tmp/benchbin /tmp/gatehouse [/tmp/gatehouse-b]
#
# DIR is the temporary directory bench kept. Node A serves DIR/gatehouse-data
# with DIR/keys.txt, node B DIR/gatehouse-compare-data with
# DIR/compare-keys.txt; B runs the third binary unless a fourth is given.
# The upstream is started again at the address the nodes' integrations
# name. Environment: ROUTE (proxy or mock, default proxy), SECONDS_RUN (20),
# WARM (warm-up seconds, 5), CONNS (wrk connections per node, 32), PORT_A
# and PORT_B (data listeners, 47100 and 47200; admin on the next port),
# ENV_A/ENV_B and ARGS_A/ARGS_B (extra environment and serve flags per
# node), KEYS_A/KEYS_B (other keys files).
set -euo pipefail

if [ $# -lt 3 ]; then
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
	exit 2
fi
dir=$1 benchbin=$2 bin_a=$3 bin_b=${4:-$3}
route=${ROUTE:-proxy} secs=${SECONDS_RUN:-20} warm=${WARM:-5} conns=${CONNS:-32}
port_a=${PORT_A:-47100} port_b=${PORT_B:-47200}
for tool in wrk sqlite3 curl awk; do
	command -v "$tool" >/dev/null || { echo "sidebyside: $tool is not installed" >&2; exit 1; }
done
for f in "$dir/gatehouse-data/gatehouse.db" "$dir/gatehouse-compare-data/gatehouse.db" "$dir/keys.lua"; do
	[ -f "$f" ] || { echo "sidebyside: $f not found: DIR must be kept (--keep) from a --compare-keys run" >&2; exit 1; }
done
case $route in
proxy) method=GET body="" ;;
mock) method=POST body="{}" ;;
*) echo "sidebyside: ROUTE=$route: want proxy or mock" >&2; exit 1 ;;
esac

out=$(mktemp -d /tmp/sidebyside-XXXXXX)
pids=()
cleanup() { [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

q() { sqlite3 -cmd ".timeout 10000" "$dir/$1/gatehouse.db" "$2"; }
upstream=$(q gatehouse-data "SELECT doc FROM deployments" | grep -o 'http://127\.0\.0\.1:[0-9]*' | head -1 | sed 's#http://##')
api_a=$(q gatehouse-data "SELECT id FROM apis LIMIT 1")
api_b=$(q gatehouse-compare-data "SELECT id FROM apis LIMIT 1")
[ -n "$upstream" ] && [ -n "$api_a" ] && [ -n "$api_b" ] || { echo "sidebyside: no API or upstream address in $dir's databases" >&2; exit 1; }

"$benchbin" upstream -addr "$upstream" >"$out/upstream.log" 2>&1 &
pids+=($!)
pid_up=$!

start() { # name data-dir binary port env args
	# shellcheck disable=SC2086 # env and args are word lists
	env $5 "$3" serve --data-dir "$dir/$2" --listen "127.0.0.1:$4" --admin-listen "127.0.0.1:$(($4 + 1))" \
		--account-rate 1000000 --account-burst 1000000 $6 >"$out/$1.log" 2>&1 &
	pids+=($!)
}
start a gatehouse-data "$bin_a" "$port_a" "${ENV_A:-}" "${ARGS_A:-}"
pid_a=$!
start b gatehouse-compare-data "$bin_b" "$port_b" "${ENV_B:-}" "${ARGS_B:-}"
pid_b=$!

keys_a=${KEYS_A:-$dir/keys.txt} keys_b=${KEYS_B:-$dir/compare-keys.txt}
url_a=http://127.0.0.1:$port_a/restapis/$api_a/bench/_user_request_/$route
url_b=http://127.0.0.1:$port_b/restapis/$api_b/bench/_user_request_/$route

ready() { # url key: wait until the node answers 200 (a million keys load in about 20 s)
	for _ in $(seq 1200); do
		code=$(curl -s -o /dev/null -w '%{http_code}' -X "$method" -H "x-api-key: $2" -d "$body" "$1" || true)
		[ "$code" = 200 ] && return 0
		sleep 0.1
	done
	echo "sidebyside: $1 did not answer 200 within 120 s (last status $code); logs in $out" >&2
	exit 1
}
ready "$url_a" "$(head -1 "$keys_a")"
ready "$url_b" "$(head -1 "$keys_b")"
kill -0 $pid_up 2>/dev/null || { echo "sidebyside: the upstream did not start on $upstream (see $out/upstream.log)" >&2; exit 1; }

# bench's own wrk script (kept as DIR/keys.lua): keys round-robin from a
# file held as one Lua string, and one BENCH_RESULT line at the end.
load() { # seconds, then per node: wrk output file
	wrk -t1 -c"$conns" -d"$1"s --latency -s "$dir/keys.lua" "$url_a" -- "$keys_a" "$method" "$body" 1 >"$2" &
	local w=$!
	wrk -t1 -c"$conns" -d"$1"s --latency -s "$dir/keys.lua" "$url_b" -- "$keys_b" "$method" "$body" 1 >"$3"
	wait $w
}
# /proc/PID/stat, read as bench's parseCPUTime reads it: fields count from
# after the last ")" (the command name may hold spaces), where field 3
# begins. Field 10 counts minor page faults, 14 and 15 user and system
# clock ticks.
stat() { sed 's/.*) //' "/proc/$1/stat"; }
cpu() { stat "$1" | awk '{print $12 + $13}'; }
faults() { stat "$1" | awk '{print $8}'; }
if [ "$warm" -gt 0 ]; then load "$warm" /dev/null /dev/null; fi
a0=$(cpu $pid_a) b0=$(cpu $pid_b) fa0=$(faults $pid_a) fb0=$(faults $pid_b)
load "$secs" "$out/a.wrk" "$out/b.wrk"
a1=$(cpu $pid_a) b1=$(cpu $pid_b) fa1=$(faults $pid_a) fb1=$(faults $pid_b)

field() { # wrk output file, BENCH_RESULT field
	awk -v k="$2" '$1 == "BENCH_RESULT" { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$1"
}
for f in "$out/a.wrk" "$out/b.wrk"; do
	[ -n "$(field "$f" requests)" ] || { echo "sidebyside: no BENCH_RESULT line in $f" >&2; exit 1; }
	errs=0
	for k in status_errors connect read write timeout; do errs=$((errs + $(field "$f" $k))); done
	if [ "$errs" -gt 0 ]; then
		echo "sidebyside: $f counts $errs errors (not valid):" >&2
		grep BENCH_RESULT "$f" >&2
		exit 1
	fi
done
awk -v tck="$(getconf CLK_TCK)" -v ra="$(field "$out/a.wrk" requests)" -v rb="$(field "$out/b.wrk" requests)" \
	-v ca="$((a1 - a0))" -v cb="$((b1 - b0))" -v pa="$(field "$out/a.wrk" p99_us)" -v pb="$(field "$out/b.wrk" p99_us)" \
	-v fa="$((fa1 - fa0))" -v fb="$((fb1 - fb0))" 'BEGIN {
	ua = ca / tck * 1e6 / ra; ub = cb / tck * 1e6 / rb
	printf "A  %8d requests  cpu/req %6.1fµs  p99 %.2fms  page faults %d (%.3f/req)\n", ra, ua, pa / 1000, fa, fa / ra
	printf "B  %8d requests  cpu/req %6.1fµs  p99 %.2fms  page faults %d (%.3f/req)\n", rb, ub, pb / 1000, fb, fb / rb
	printf "A/B  cpu/req %.3f  requests %.3f\n", ua / ub, ra / rb
}'
echo "(logs and wrk output in $out)"

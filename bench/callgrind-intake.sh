#!/usr/bin/env bash
# Instructions per order and per `GET /healthz`, counted by callgrind (repeatable whatever else
# the machine does; docs/benchmarks.md). The server runs under valgrind on a fresh SQLite
# database with one shop and one API key; bench/callgrind_load.py sends a warm-up, then N
# `/healthz` and N API-key orders, and the counters are dumped after each.
#
#   bench/callgrind-intake.sh ./target/release/orderbell [N] [CLIENTS]
#
# Environment: ORDERBELL_METRICS=on to measure with metrics on; SCRAPE_EVERY=S to scrape
# /metrics every S seconds meanwhile (as Prometheus would); KEEP=DIR to keep callgrind's files
# there (for `callgrind_annotate --tree=caller`). Prints instructions per request.
set -euo pipefail
bin=$1
n=${2:-2000}
clients=${3:-16}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
vpid=""
scraper=""
cleanup() {
    if [ -n "$scraper" ]; then kill "$scraper" 2>/dev/null || true; fi
    if [ -n "$vpid" ]; then kill "$vpid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
db="sqlite://$work/o.db"
echo "a long bench password" | "$bin" user add bench@example.com --database "$db" >/dev/null
"$bin" shop add --slug bench --name Bench --owner bench@example.com --database "$db" >/dev/null
key=$("$bin" apikey add --shop bench --name bench --scope orders:write,orders:read,manage --database "$db")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
valgrind --tool=callgrind --callgrind-out-file="$work/cg.%p" "$bin" serve --listen "127.0.0.1:$port" \
    --database "$db" --log warn >"$work/server.log" 2>&1 &
vpid=$!
for _ in $(seq 1 600); do grep -q "listening" "$work/server.log" && break; sleep 0.5; done
python3 "$here/callgrind_load.py" 127.0.0.1 "$port" "$key" orders 300 "$clients"
python3 "$here/callgrind_load.py" 127.0.0.1 "$port" "$key" healthz 300 "$clients"
if [ -n "${SCRAPE_EVERY:-}" ]; then
    (while sleep "$SCRAPE_EVERY"; do curl -fsS "http://127.0.0.1:$port/metrics" >/dev/null || true; done) &
    scraper=$!
fi
callgrind_control -z "$vpid" >/dev/null
python3 "$here/callgrind_load.py" 127.0.0.1 "$port" "$key" healthz "$n" "$clients"
callgrind_control -d healthz "$vpid" >/dev/null
python3 "$here/callgrind_load.py" 127.0.0.1 "$port" "$key" orders "$n" "$clients"
callgrind_control -d orders "$vpid" >/dev/null
total() {
    # Every thread's dump of one phase, summed.
    local sum=0
    for f in "$work"/cg."$vpid"*; do
        grep -qx "desc: Trigger: dump $1" "$f" 2>/dev/null || continue
        sum=$((sum + $(grep -m1 '^summary:' "$f" | awk '{print $2}')))
    done
    echo "$sum"
}
if [ -n "${KEEP:-}" ]; then
    mkdir -p "$KEEP" && cp "$work"/cg."$vpid"* "$KEEP"/
fi
h=$(total healthz)
o=$(total orders)
echo "instructions per /healthz: $((h / n))"
echo "instructions per order:    $((o / n))"
python3 -c "print('healthz / order: %.3f' % ($h / $o))"

#!/usr/bin/env bash
# Orders/s through HAProxy with 1, 2 and 3 `orderbell serve` instances on one PostgreSQL
# database (docs/deploy.md), closed loop and at a fixed rate for p99, then order -> printer
# frame latency with the order and the printer on different instances.
#
#   bench/multi-instance.sh                      # 1, 2 and 3 instances, 30 s each
#   INSTANCES="1" DURATION=3 bench/multi-instance.sh
#
# Environment (all optional):
#   POSTGRES_URL   admin URL of the PostgreSQL cluster (default postgres://postgres@127.0.0.1:5432/postgres);
#                  each run gets a fresh database on it, dropped afterwards
#   INSTANCES      instance counts to run (default "1 2 3")
#   DURATION       seconds per measurement (default 30)
#   CONCURRENCY    closed-loop clients (default 64)
#   RATE           fixed rate in orders/s for the p99 run and the printing run (default 500)
#   PRINTING       1 to run `orderbell-bench printing --cross-instance` after (default 1)
#   ORDERBELL_BIN, BENCH_BIN   the binaries (default: release builds in $CARGO_TARGET_DIR or target/)
# Needs: haproxy, psql, python3 (for free ports).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

admin_url=${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
export PGOPTIONS="-c client_min_messages=warning"
instances=${INSTANCES:-1 2 3}
duration=${DURATION:-30}
concurrency=${CONCURRENCY:-64}
rate=${RATE:-500}
printing=${PRINTING:-1}
target=${CARGO_TARGET_DIR:-$repo/target}
orderbell=${ORDERBELL_BIN:-$target/release/orderbell}
bench=${BENCH_BIN:-$target/release/orderbell-bench}
for tool in "$orderbell" "$bench"; do
    if [ ! -x "$tool" ]; then
        echo "missing $tool: cargo build --release -p orderbell-server -p orderbell-bench" >&2
        exit 1
    fi
done
for tool in haproxy psql python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
db=""
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ -n "$db" ]; then
        psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# A fresh database named $db with a shop `bench`, its owner and an API key in $key.
fresh_database() {
    db="orderbell_bench_$$_$1"
    psql "$admin_url" -v ON_ERROR_STOP=1 -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    url="${admin_url%/*}/$db"
    export ORDERBELL_DATABASE_URL="$url"
    "$orderbell" migrate >/dev/null
    echo 'a long bench password' | "$orderbell" user add bench@example.com >/dev/null
    "$orderbell" shop add --slug bench --name Bench --owner bench@example.com >/dev/null
    key=$("$orderbell" apikey add --shop bench --name bench --scope orders:write,orders:read,manage)
}

drop_database() {
    unset ORDERBELL_DATABASE_URL
    psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
    db=""
}

# deploy/haproxy.cfg with our front port and backends in place of its bind and server lines.
haproxy_config() {
    local front=$1
    shift
    awk -v front="$front" -v servers="$*" '
        /^[[:space:]]*bind / { print "    bind 127.0.0.1:" front; next }
        /^[[:space:]]*server / {
            if (!done) {
                n = split(servers, s, " ")
                for (i = 1; i <= n; i++) print "    server orderbell" i " " s[i]
                done = 1
            }
            next
        }
        { print }
    ' deploy/haproxy.cfg
}

wait_ready() {
    for _ in $(seq 1 100); do
        curl -fsS "$1/readyz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "$1 did not become ready" >&2
    exit 1
}

stop_all() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    pids=()
}

echo "== $(date -u +%Y-%m-%dT%H:%MZ) $("$orderbell" --version 2>/dev/null || true), $(nproc) cores, $(haproxy -v | head -n1)"
for n in $instances; do
    fresh_database "$n"
    backends=()
    for i in $(seq 1 "$n"); do
        port=$(free_port)
        ORDERBELL_DATA_DIR="$work/instance-$n-$i" "$orderbell" serve --listen "127.0.0.1:$port" \
            --log warn >/dev/null 2>"$work/instance-$n-$i.log" &
        pids+=($!)
        backends+=("127.0.0.1:$port")
    done
    for b in "${backends[@]}"; do wait_ready "http://$b"; done
    front=$(free_port)
    haproxy_config "$front" "${backends[@]}" >"$work/haproxy-$n.cfg"
    haproxy -q -c -f "$work/haproxy-$n.cfg"
    haproxy -db -f "$work/haproxy-$n.cfg" >/dev/null 2>&1 &
    pids+=($!)
    wait_ready "http://127.0.0.1:$front"

    echo "== $n instance(s) behind HAProxy: closed loop, $concurrency clients, $duration s"
    "$bench" orders --url "http://127.0.0.1:$front" --key "$key" --shop bench \
        --concurrency "$concurrency" --duration "$duration"
    echo "== $n instance(s) behind HAProxy: $rate orders/s, $duration s"
    "$bench" orders --url "http://127.0.0.1:$front" --key "$key" --shop bench \
        --concurrency "$concurrency" --duration "$duration" --rate "$rate" --baseline 0
    stop_all
    drop_database
done

if [ "$printing" = 1 ]; then
    echo "== order -> printer frame, order and printer on different instances, $rate orders/s, $duration s"
    db="orderbell_bench_$$_printing"
    psql "$admin_url" -v ON_ERROR_STOP=1 -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    "$bench" printing --spawn "$orderbell" --database "${admin_url%/*}/$db" --cross-instance \
        --rate "$rate" --duration "$duration"
    drop_database
fi

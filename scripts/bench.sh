#!/usr/bin/env bash
# Measures what README.md reports: idle and peak RSS, webhook latency at a fixed rate, durable webhooks/s in a closed
# loop, and what PostgreSQL alone commits from 16 clients (pgbench, one insert per transaction), on this machine.
# Needs PostgreSQL on 127.0.0.1:5432 and Redis/Valkey on 127.0.0.1:6379 (as .ci/run starts them). Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
VK=${BENCH_VALKEY_URL:-redis://127.0.0.1:6379/15} # its own database: tests use /0
PORT=${BENCH_PORT:-3900}
RATE=${BENCH_RATE:-1000}
DUR=${BENCH_DURATION:-20s}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

schema="bench_$(date +%s)"
psql -q "$PG" -c "CREATE SCHEMA $schema" >/dev/null
dburl="$PG&search_path=$schema"
export PGOPTIONS="-c search_path=$schema"

go build -o "$work/waorder" ./cmd/waorder
go build -o "$work/loadgen" ./tools/loadgen

PORT=$PORT DATABASE_URL=$dburl VALKEY_URL=$VK SANDBOX=true GOMAXPROCS=2 "$work/waorder" serve >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
sleep 3
idle=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
echo "idle RSS: $((idle / 1024)) MB"

echo "open loop, $RATE deliveries/s for $DUR, Meta-like mix: 80% statuses, 20% customer messages the bot answers:"
"$work/loadgen" -url "http://127.0.0.1:$PORT/webhook" -rate "$RATE" -d "$DUR" -c 128 -statuses 80 -run "mix$RANDOM"
sleep 5

echo "open loop, $RATE deliveries/s for $DUR, every one a customer message the bot answers (worst case):"
"$work/loadgen" -url "http://127.0.0.1:$PORT/webhook" -rate "$RATE" -d "$DUR" -c 128 -run "open$RANDOM"

echo "closed loop, 64 senders for 10s (durable webhooks/s, 200 only after commit):"
"$work/loadgen" -url "http://127.0.0.1:$PORT/webhook" -rate 0 -c 64 -d 10s -run "closed$RANDOM"

echo "duplicates: 2000 deliveries each sent 5x concurrently:"
"$work/loadgen" -url "http://127.0.0.1:$PORT/webhook" -rate 200 -c 32 -d 10s -dup 5 -run "dup$RANDOM"

peak=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
echo "peak RSS under load: $((peak / 1024)) MB"
stored=$(psql -tA "$PG" -c "SELECT COUNT(*) FROM inbound_messages")
dups=$(psql -tA "$PG" -c "SELECT COUNT(*) FROM (SELECT wamid FROM inbound_messages GROUP BY wamid HAVING COUNT(*) > 1) d")
echo "stored inbound messages: $stored; wamids stored more than once: $dups"
kill "$pid"; wait "$pid" 2>/dev/null || true

echo "pgbench baseline: 16 clients, one INSERT per transaction, 10s:"
psql -q "$PG" -c "CREATE TABLE IF NOT EXISTS $schema.pgb (id BIGSERIAL PRIMARY KEY, wamid TEXT UNIQUE, payload TEXT)" >/dev/null
echo "INSERT INTO $schema.pgb (wamid, payload) VALUES (md5(random()::text), repeat('x', 600));" >"$work/insert.sql"
pgbench -n -c 16 -j 2 -T 10 -f "$work/insert.sql" "$PG" 2>/dev/null | grep -E "^tps|latency average"
psql -q "$PG" -c "DROP SCHEMA $schema CASCADE" >/dev/null 2>&1

#!/usr/bin/env bash
# The benchmark behind README.md's table, in one command: bash scripts/bench.sh
#
# Starts the built service in sandbox mode (its built-in fake Graph API accepts every send at once and answers with
# status webhooks) on PostgreSQL + Valkey, then on SQLite, with send rate limits raised out of the way, and drives
# it over loopback with tools/loadgen:
#   1. closed loop, 64 senders, 10 s, every delivery a text from a new customer, so the bot answers every one:
#      durable webhooks/s (200 only after commit) and p99; then the replies it queued are drained: replies
#      accepted by the Graph API per second, end to end, and the deepest queue seen;
#   2. open loop at BENCH_RATE/s (1,000) for 10 s, the same kind of deliveries: p99 of POST /webhook;
#   3. open loop at BENCH_RATE/s, a Meta-like mix (80 % statuses, 20 % customer messages): p99;
#   4. a web-only instance (RUN_WORKERS=false) under 1. and 2., then an instance running the workers drains it;
# and pgbench (16 clients, one INSERT per transaction, 10 s) in the same run, RSS idle and peak, and the idle RSS
# of the required stack alone (tools/stackfloor). It prints one
# table, writes the samples and docs/bench.svg (latency, RSS and sends over the PostgreSQL run; BENCH_PLOT=0: no
# plot). Needs PostgreSQL on 127.0.0.1:5432 and Redis/Valkey on 127.0.0.1:6379 (as .ci/run starts them),
# pgbench and psql. BENCH_NODE=1 also measures the Node peer (whatsapp-api-js + Express from npm, into a temp dir).
# Loopback only; every loop is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
VK=${BENCH_VALKEY_URL:-redis://127.0.0.1:6379/15} # its own database: tests use /0
PORT=${BENCH_PORT:-3900}
RATE=${BENCH_RATE:-1000}
DUR=${BENCH_DURATION:-10s}
DRAIN=${BENCH_DRAIN_SECONDS:-120}
PLOT=${BENCH_PLOT:-1}
work=$(mktemp -d)
pid=""
sampler=""
cleanup() {
	[ -n "$sampler" ] && kill "$sampler" 2>/dev/null
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	[ -f "$work/node.pid" ] && kill "$(cat "$work/node.pid")" 2>/dev/null
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/waorder" ./cmd/waorder
[ -n "${BENCH_BINARY:-}" ] && cp "$BENCH_BINARY" "$work/waorder" # A/B: another build of the service, same load
go build -o "$work/loadgen" ./tools/loadgen
go build -o "$work/benchplot" ./tools/benchplot
go build -o "$work/sqlitequery" ./tools/sqlitequery
go build -o "$work/stackfloor" ./tools/stackfloor
declare -A R # results: R[key]=value

# start DB_KIND [VAR=VALUE...]: runs the service on PostgreSQL (a fresh schema) or SQLite (a temp dir), with any
# more settings given, and waits for /health.
svcenv=()
start() {
	local kind=$1
	shift
	svcenv=(VALKEY_URL="$VK" SANDBOX=true GOMAXPROCS=2 SEND_RATE_PER_SECOND=100000 SEND_WORKERS=16 LOG_LEVEL=warn)
	if [ "$kind" = postgres ]; then
		schema="bench_$(date +%s)_$RANDOM"
		psql -q "$PG" -c "CREATE SCHEMA $schema" >/dev/null
		svcenv+=(DATABASE_URL="$PG&search_path=$schema")
	else
		schema=""
		svcenv+=(DATA_DIR="$work/sqlite")
	fi
	env "${svcenv[@]}" PORT="$PORT" METRICS_ADDR="127.0.0.1:$((PORT + 2))" "$@" "$work/waorder" serve >"$work/log.$kind" 2>&1 &
	pid=$!
	for _ in $(seq 1 200); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
	# Rate limits out of the way: the sandbox number's own budget (Meta's 80/s) and the per-recipient pacing stay
	# in force otherwise.
	sql "UPDATE phone_numbers SET send_rate_per_sec = 100000" >/dev/null
	sleep 3
}

# sql runs a statement against the running service's database.
sql() {
	if [ -n "$schema" ]; then
		PGOPTIONS="-c search_path=$schema" psql -tAq "$PG" -c "$1"
	else
		"$work/sqlitequery" "$work/sqlite/waorder.db" "$1"
	fi
}

stop() {
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=""
	if [ -n "$schema" ]; then psql -q "$PG" -c "DROP SCHEMA $schema CASCADE" >/dev/null 2>&1 || true; fi
}

rss() { awk '/VmRSS/ {print int($2/1024)}' /proc/"$pid"/status; }
hwm() { awk '/VmHWM/ {print int($2/1024)}' /proc/"$pid"/status; }
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" | head -1; }

# scrape prints, from the service's /metrics, the replies the Graph API accepted, the replies queued and the customer
# messages not yet handled, comma-separated (-1 for the queues when the service could not count them, which the
# drain never takes for empty). The queue depths are the service's own index-only counts; the
# benchmark reads them instead of counting rows itself, so measuring costs the database little while a queue is
# deep (a count over the whole outbox cost a fifth of a second a second in a drain).
scrape() {
	curl -fs "http://127.0.0.1:$((PORT + 2))/metrics" | awk '
		/^waorder_outbound_sends_total\{result="sent"\}/ { sent = $2 }
		/^waorder_queue_depth\{queue="outbound"\}/ { queued = $2; seen = 1 }
		/^waorder_queue_depth\{queue="inbound"\}/ { inbound = $2 }
		END { if (seen) printf "%d,%d,%d\n", sent, queued, inbound; else print "0,-1,-1" }'
}

# samples every second: seconds since start, RSS MB, replies sent, replies queued, messages waiting for the bot.
sample() {
	local t0=$SECONDS
	echo "second,rss_mb,sent,queued,waiting"
	while kill -0 "$pid" 2>/dev/null; do
		echo "$((SECONDS - t0)),$(rss 2>/dev/null || echo 0),$(scrape 2>/dev/null || echo 0,-1,-1)"
		sleep 1
	done
}

# load NAME ARGS...: one loadgen phase; its summary goes to $work/NAME.out, its timeline to $work/NAME.csv.
load() {
	local name=$1
	shift
	echo "== $name: loadgen $*" >&2
	"$work/loadgen" -url "http://127.0.0.1:$PORT/webhook" -timeline "$work/$name.csv" -run "$name$RANDOM$RANDOM" "$@" | tee "$work/$name.out" >&2 || true
}

# drain KEY: waits until no reply is queued and every stored message was answered; records replies/s end to end
# (from the start of the load before it) and the deepest queue seen.
drain() {
	local key=$1 start=$2 deepest=0 q p
	for _ in $(seq 1 "$DRAIN"); do
		if [ -n "$sampler" ]; then # the sampler scrapes every second: read its last line instead of scraping twice
			IFS=, read -r _ _ _ q p < <(tail -n 1 "$work/samples.csv")
		else
			IFS=, read -r _ q p < <(scrape)
		fi
		[ "$q" -gt "$deepest" ] && deepest=$q
		[ "$q" -eq 0 ] && [ "$p" -eq 0 ] && break
		sleep 1
	done
	local sent el
	sent=$(sql "SELECT COUNT(*) FROM outbound_messages WHERE status NOT IN ('queued','held')")
	el=$(($(date +%s) - start))
	R[$key.replies_per_s]=$((sent / (el > 0 ? el : 1)))
	R[$key.deepest]=$deepest
	R[$key.drained]=$([ "$q" -eq 0 ] && [ "$p" -eq 0 ] && echo "in ${el}s" || echo "NOT drained after ${el}s: $q queued, $p unanswered")
	R[$key.unanswered]=$p
}

# check KEY: every acknowledged customer message is stored once and answered once (idempotency keys are unique).
check() {
	local stored dup
	stored=$(sql "SELECT COUNT(*) FROM inbound_messages")
	dup=$(sql "SELECT COUNT(*) FROM (SELECT wamid FROM inbound_messages GROUP BY wamid HAVING COUNT(*) > 1) d")
	R[$1.stored]=$stored
	R[$1.dup]=$dup
}

echo "load before the run: $(uptime)" >&2
R[load]=$(uptime | sed 's/.*load average: //')

# PostgreSQL + Valkey.
start postgres
R[pg.idle]=$(rss)
sample >"$work/samples.csv" &
sampler=$!
t0=$SECONDS
off_closed=$((SECONDS - t0)); begin=$(date +%s)
load closed -rate 0 -c 64 -d "$DUR" -fresh
drain pg "$begin"
off_open=$((SECONDS - t0))
load open -rate "$RATE" -c 256 -d "$DUR" -fresh
off_mix=$((SECONDS - t0))
load mix -rate "$RATE" -c 256 -d "$DUR" -statuses 80
drain pgafter "$(date +%s)"
check pg
R[pg.peak]=$(hwm)
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
sampler=""
stop
echo "closed=$off_closed open=$off_open mix=$off_mix" >"$work/offsets"
[ -n "${BENCH_OUT:-}" ] && cp "$work/samples.csv" "$work/closed.csv" "$work/open.csv" "$work/mix.csv" "$work/offsets" "$BENCH_OUT/"

# SQLite, the embedded default.
start sqlite
R[sq.idle]=$(rss)
begin=$(date +%s)
load sqclosed -rate 0 -c 64 -d "$DUR" -fresh
drain sq "$begin"
check sq
R[sq.peak]=$(hwm)
stop

# PostgreSQL, split: a web-only instance (RUN_WORKERS=false) takes the closed loop and the open loop of new
# customers with no bot or outbox beside it on this machine, as it would with the workers on another host; then
# an instance running the workers starts on the same schema and answers them all.
start postgres RUN_WORKERS=false
R[web.idle]=$(rss)
load webclosed -rate 0 -c 64 -d "$DUR" -fresh
load webopen -rate "$RATE" -c 256 -d "$DUR" -fresh
R[web.peak]=$(hwm)
env "${svcenv[@]}" PORT="$((PORT + 10))" "$work/waorder" serve >"$work/log.worker" 2>&1 &
wpid=$!
drain web "$(date +%s)"
check web
kill "$wpid" 2>/dev/null || true
wait "$wpid" 2>/dev/null || true
stop

# The required stack alone (tools/stackfloor: Fiber, GORM + pgx, valkey-go, Viper, connected and idle).
PORT="$((PORT + 20))" DATABASE_URL="$PG" VALKEY_URL="$VK" "$work/stackfloor" >"$work/log.floor" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$((PORT + 20))/health" >/dev/null && break; sleep 0.1; done
sleep 3
R[floor]=$(rss)
stop

# PostgreSQL alone, same run.
schema="bench_pgb_$(date +%s)"
psql -q "$PG" -c "CREATE SCHEMA $schema; CREATE TABLE $schema.pgb (id BIGSERIAL PRIMARY KEY, wamid TEXT UNIQUE, payload TEXT)" >/dev/null
echo "INSERT INTO $schema.pgb (wamid, payload) VALUES (md5(random()::text), repeat('x', 600));" >"$work/insert.sql"
R[pgbench]=$(pgbench -n -c 16 -j 2 -T 10 -f "$work/insert.sql" "$PG" 2>/dev/null | sed -n 's/^tps = \([0-9]*\).*/\1/p')
psql -q "$PG" -c "DROP SCHEMA $schema CASCADE" >/dev/null 2>&1
schema=""

if [ "${BENCH_NODE:-0}" = 1 ]; then
	bash scripts/bench_node.sh "$work" "$PORT" && load node -rate 0 -c 64 -d "$DUR" -fresh -url "http://127.0.0.1:$((PORT + 1))/webhook"
	R[node]=$(field throughput <"$work/node.out")
fi

ok() { field "$1" <"$work/$2.out"; }
pgb=${R[pgbench]:-0}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
echo
echo "load average during the run: ${R[load]} (2 cores; the service, loadgen and the databases share them)"
echo
echo "| figure | PostgreSQL + Valkey | SQLite |"
echo "|---|---|---|"
echo "| durable webhooks/s, closed loop, 64 senders, each a new customer the bot answers | $(ok throughput closed) ($(ratio "$(ok throughput closed)" "$pgb")× pgbench) | $(ok throughput sqclosed) |"
echo "| p99 of POST /webhook in that closed loop | $(ok p99 closed) | $(ok p99 sqclosed) |"
echo "| replies accepted by the Graph API per second, end to end, from the start of that load | ${R[pg.replies_per_s]} (deepest queue ${R[pg.deepest]}; ${R[pg.drained]}) | ${R[sq.replies_per_s]} (deepest queue ${R[sq.deepest]}; ${R[sq.drained]}) |"
echo "| p50 / p99 of POST /webhook, open loop $RATE/s, each a new customer | $(ok p50 open) / $(ok p99 open) | |"
echo "| p50 / p99, open loop $RATE/s, Meta-like mix (80 % statuses) | $(ok p50 mix) / $(ok p99 mix) | |"
echo "| pgbench, 16 clients, one INSERT per transaction, same run | $pgb tps | |"
echo "| RSS idle / peak | ${R[pg.idle]} MB / ${R[pg.peak]} MB | ${R[sq.idle]} MB / ${R[sq.peak]} MB |"
echo "| inbound messages stored / stored twice; unanswered after the drain | ${R[pg.stored]} / ${R[pg.dup]}; ${R[pg.unanswered]} | ${R[sq.stored]} / ${R[sq.dup]}; ${R[sq.unanswered]} |"
echo "| web-only instance (RUN_WORKERS=false), the workers' instance started after the load: durable webhooks/s, closed loop, 64 senders, each a new customer | $(ok throughput webclosed) ($(ratio "$(ok throughput webclosed)" "$pgb")× pgbench); p99 $(ok p99 webclosed) | |"
echo "| … p50 / p99 of POST /webhook, open loop $RATE/s, each a new customer | $(ok p50 webopen) / $(ok p99 webopen) | |"
echo "| … then the workers' instance alone: replies accepted per second, from its start | ${R[web.replies_per_s]} (deepest queue ${R[web.deepest]}; ${R[web.drained]}); stored ${R[web.stored]} / twice ${R[web.dup]}; unanswered ${R[web.unanswered]} | |"
echo "| … RSS idle / peak of the web-only instance | ${R[web.idle]} MB / ${R[web.peak]} MB | |"
echo "| RSS idle of the required stack alone (Fiber, GORM + pgx, valkey-go, Viper; tools/stackfloor) | ${R[floor]} MB | |"
[ -n "${R[node]:-}" ] && echo "| Node peer (whatsapp-api-js + Express, verifies, stores nothing), same closed loop | ${R[node]} ok/s | |"
if [ "$PLOT" = 1 ]; then
	mkdir -p docs
	"$work/benchplot" -samples "$work/samples.csv" -o docs/bench.svg \
		-title "PostgreSQL run: closed loop, open loop $RATE/s, Meta-like mix (load average ${R[load]})" \
		-phase "closed=$off_closed:$work/closed.csv" -phase "open=$off_open:$work/open.csv" -phase "mix=$off_mix:$work/mix.csv"
	echo
	echo "plot: docs/bench.svg"
fi

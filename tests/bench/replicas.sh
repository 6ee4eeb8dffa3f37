#!/usr/bin/env bash
# Several replicas on one PostgreSQL (issue 12 §3), printed, not asserted: public-read
# throughput of 1, 2 and 3 `fundledger serve` processes over the same database, each
# compared with the 1-replica baseline of the same run. wrk's threads are spread over the
# replicas in turn, as a load balancer would (tests/bench/public.lua, ADDRS). Every replica
# answers from its own public query cache, keyed by the one watermark; only one of them
# projects (the advisory lock). Last, the same question by GET, answered in full and then
# revalidated with its ETag (304s: what a CDN in front costs the servers), conditional.lua.
#
#   BIN=target/release bash tests/bench/replicas.sh
# Knobs: REPLICAS="1 2 3", CONNECTIONS=64, SECONDS_PER_RUN=8, WRK_THREADS=3 (the same for
# every replica count, so the client's capacity does not change with it), WARMUP_SECONDS=2,
# PIN (as run.sh: servers on every core but the last, wrk on the last), GEOGRAPHY=csv,
# RUST_LOG (the servers' log level; the default, info, writes an access line per request).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${CONNECTIONS:=64}" "${SECONDS_PER_RUN:=8}" "${REPLICAS:=1 2 3}" "${WRK_THREADS:=3}"
: "${WARMUP_SECONDS:=2}" "${FIRST_PORT:=18281}"
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 1; }
if [ -z "${BIN:-}" ]; then
  cargo build --release -q -p fundledger-api --bin fundledger
  BIN=target/release
fi
GEOGRAPHY=${GEOGRAPHY:-../shared/geo/england-lsoa-imd2019.csv}
[ -f "$GEOGRAPHY" ] || GEOGRAPHY=api/demo/geography.csv
WORK=$(mktemp -d)
PIDS=()
NAME="fundledger_replicas_$$"
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS $NAME WITH (FORCE)" || true
  rm -rf "$WORK"
}
trap cleanup EXIT
psql -h 127.0.0.1 -U postgres -d test -qc "CREATE DATABASE $NAME"
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$NAME"
export FUNDLEDGER_JWT_SECRET="${FUNDLEDGER_JWT_SECRET:-bench-secret-$(date +%s%N)-0123456789abcdef}"
export FUNDLEDGER_LOG_FORMAT=json
"$BIN/fundledger" import geography "$GEOGRAPHY" >/dev/null 2>&1
"$BIN/fundledger" demo >/dev/null 2>&1
: "${PIN:=$([ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null && echo 1 || echo 0)}"
SERVER_CPUS=() CLIENT_CPUS=()
if [ "$PIN" = 1 ]; then
  LAST=$(( $(nproc) - 1 ))
  SERVER_CPUS=(taskset -c "0-$(( LAST - 1 ))") CLIENT_CPUS=(taskset -c "$LAST")
fi

start_replica() { # INDEX (1-based)
  local port=$(( FIRST_PORT + $1 - 1 ))
  "${SERVER_CPUS[@]}" "$BIN/fundledger" serve --listen "127.0.0.1:$port" \
    > "$WORK/serve-$1.out" 2> "$WORK/serve-$1.err" &
  PIDS+=($!)
  until curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
    kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$WORK/serve-$1.err"; exit 1; }
    sleep 0.5
  done
}

HOT=E06000010
LADS=$(psql "$DATABASE_URL" -Atc "SELECT string_agg(code, ',') FROM geography WHERE level = 'lad'")
[ -n "$LADS" ] || LADS=$HOT
EVENTS=$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM events")
echo "store: postgresql, events: $EVENTS, connections: $CONNECTIONS, wrk threads: $WRK_THREADS, pinned: $PIN ${SERVER_CPUS[*]:-} ${CLIENT_CPUS[*]:-}, log: ${RUST_LOG:-info (default)}, nproc: $(nproc), load: $(cut -d' ' -f1-3 /proc/loadavg)"

declare -A BASELINE
measure() { # REPLICAS ADDRS LABEL OPERATION CODES UNCACHED [SCRIPT]
  local uncached=$6 script=${7:-tests/bench/public.lua} line rate
  if [ "$uncached" = 0 ] && [ "$WARMUP_SECONDS" -gt 0 ]; then
    ADDRS=$2 OPERATION=$4 CODES=$5 CONDITIONAL=$uncached "${CLIENT_CPUS[@]}" wrk -t "$WRK_THREADS" -c "$CONNECTIONS" \
      -d "${WARMUP_SECONDS}s" --timeout 10s -s "$script" "http://127.0.0.1:$FIRST_PORT/graphql" >/dev/null
  fi
  line=$(ADDRS=$2 OPERATION=$4 CODES=$5 UNCACHED=$uncached CONDITIONAL=$uncached "${CLIENT_CPUS[@]}" wrk -t "$WRK_THREADS" \
    -c "$CONNECTIONS" -d "${SECONDS_PER_RUN}s" --timeout 10s -s "$script" \
    "http://127.0.0.1:$FIRST_PORT/graphql" | grep '^wrk ')
  rate=$(sed -E 's/.* ([0-9]+) req\/s.*/\1/' <<<"$line")
  [ "$1" = 1 ] && BASELINE[$3]=$rate
  echo "replicas $1 | $3 | ${line#wrk } | vs 1 replica: $(python3 -c "print(f'{$rate / max(${BASELINE[$3]:-$rate}, 1):.2f}x')")"
}

RUNNING=0
for replicas in $REPLICAS; do
  while [ "$RUNNING" -lt "$replicas" ]; do
    RUNNING=$(( RUNNING + 1 ))
    start_replica "$RUNNING"
  done
  ADDRS=$(seq -s, -f "127.0.0.1:%g" "$FIRST_PORT" $(( FIRST_PORT + replicas - 1 )))
  measure "$replicas" "$ADDRS" "neighbourhood, 1 area, cached" neighbourhood "$HOT" 0
  measure "$replicas" "$ADDRS" "neighbourhood, every LAD, cached" neighbourhood "$LADS" 0
  measure "$replicas" "$ADDRS" "neighbourhood, every LAD, uncached" neighbourhood "$LADS" 1
  measure "$replicas" "$ADDRS" "awards, every LAD, uncached" awards "$LADS" 1
  # The same public question by GET: full answers, then revalidated (ETag → 304).
  measure "$replicas" "$ADDRS" "GET neighbourhood, 1 area, full answers" - - 0 tests/bench/conditional.lua
  measure "$replicas" "$ADDRS" "GET neighbourhood, 1 area, revalidated (304)" - - 1 tests/bench/conditional.lua
done
# Which replica projected: the one whose log says it holds the projector's lock, if any.
grep -l "advisory\|active projector" "$WORK"/serve-*.err 2>/dev/null | sed 's/.*serve-/projector in replica /; s/\.err//' || true
